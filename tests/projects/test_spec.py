"""proj.v1: the model's JSON Schema and the checks (seats, timings, blocklist)."""

from __future__ import annotations

from studyforge.projects.spec import Meta, Part, PlanSection, ProjectSpec, SectionBody, validate


def _spec(seats: int, minutes: int, text: str = "measure the room") -> ProjectSpec:
    part = Part(objective=text, steps=[text])
    section = PlanSection.model_validate({
        "id": "sec_01", "name": "CoreTask", "math_objective": text,
        "constraints": {"time_min": minutes, "materials": ["paper"]},
        "success_criteria": [{"metric": "error_pct", "target_op": "<=", "target_value": 0.02}],
        "roles": ["teacher", "shared", "seat_1", "seat_2"],
    })  # fmt: skip
    spec = ProjectSpec(
        run_id="r",
        chat_id="c",
        meta=Meta(topic="Fractions", life_skill="Teamwork", group_size=2, duration_min=45),
    )
    spec.plan.sections.append(section)
    spec.sections["sec_01"] = SectionBody(
        teacher=part, shared=part, seats={str(i): part for i in range(1, seats + 1)}
    )
    return spec


def test_a_good_spec_passes_and_the_schema_is_published():
    spec = _spec(2, 30)
    assert validate(spec) == []
    assert spec.validator == {"ok": True, "findings": []} and spec.plan.blocklist_ok
    assert spec.model_json_schema()["properties"]["schema_version"]["const"] == "proj.v1"


def test_seats_timings_and_blocklist_are_findings():
    assert any("seats" in f for f in validate(_spec(3, 30)))
    assert any("sum to" in f for f in validate(_spec(2, 60)))
    bad = _spec(2, 30, "bring a weapon")
    assert validate(bad) and bad.plan.blocklist_ok is False
