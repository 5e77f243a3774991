"""The proj.v1 document as Pydantic models, and the checks a generated project must pass.

The checks: one seat per group member exactly, section times summing to at most
`duration_min`, well-formed success criteria, and a content blocklist (`plan.blocklist_ok`).
Findings go to `validator`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["planning", "generating", "validating", "complete", "error"]
DEFAULT_BLOCKLIST = ("violence", "weapon", "gambling", "alcohol")


class Meta(BaseModel):
    """What the project was asked for (the owner's email is stored redacted)."""

    grade_band: str = "6-8"
    topic: str
    life_skill: str
    group_size: int = Field(ge=1, le=50)
    duration_min: int = Field(ge=1, le=1440)
    owner_email: str = "redacted@example.com"
    uae_context: bool = True


class Constraints(BaseModel):
    """A section's time and materials."""

    time_min: int = Field(ge=0)
    materials: list[str] = Field(default_factory=list)


class SuccessCriterion(BaseModel):
    """A measurable target: `metric target_op target_value`."""

    metric: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    target_op: Literal["<=", ">=", "<", ">", "=="]
    target_value: float


class PlanSection(BaseModel):
    """One section of the plan."""

    id: str = Field(pattern=r"^sec_\d{2}$")
    name: str = Field(min_length=1)
    math_objective: str = Field(min_length=1)
    constraints: Constraints
    success_criteria: list[SuccessCriterion] = Field(min_length=1)
    roles: list[str]


class Plan(BaseModel):
    """The plan: blocklist verdict and the sections in order."""

    blocklist_ok: bool = True
    sections: list[PlanSection] = Field(default_factory=list)


class Part(BaseModel):
    """What one role (teacher, shared, a seat) does in a section."""

    objective: str
    steps: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    extras: dict[str, Any] = Field(default_factory=dict)


class SectionBody(BaseModel):
    """A written section: the teacher's part, the shared part and one part per seat."""

    teacher: Part
    shared: Part
    seats: dict[str, Part]


class Logs(BaseModel):
    """Where the run's logs are."""

    csv_url: str | None = None
    events_replayable: bool = False


class ProjectSpec(BaseModel):
    """The canonical proj.v1 document."""

    schema_version: Literal["proj.v1"] = "proj.v1"
    run_id: str
    chat_id: str
    status: Status = "planning"
    meta: Meta
    plan: Plan = Field(default_factory=Plan)
    sections: dict[str, SectionBody] = Field(default_factory=dict)
    validator: dict[str, Any] | None = None
    logs: Logs = Field(default_factory=Logs)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of proj.v1."""
    return ProjectSpec.model_json_schema()


def _texts(spec: ProjectSpec) -> list[str]:
    out = [s.name + " " + s.math_objective for s in spec.plan.sections]
    for body in spec.sections.values():
        for part in [body.teacher, body.shared, *body.seats.values()]:
            out.append(part.objective)
            out.extend(part.steps)
    return out


def structure_findings(
    plan: Plan, sections: dict[str, SectionBody], group_size: int, duration_min: int
) -> list[str]:
    """What makes a project unusable for the request: a planned section without its body,
    seats that are not exactly 1..group_size, section times over the lesson's length."""
    findings = [f"{s.id}: planned but not written" for s in plan.sections if s.id not in sections]
    expected = {str(i) for i in range(1, group_size + 1)}
    for sid, body in sections.items():
        if set(body.seats) != expected:
            findings.append(
                f"{sid}: seats {sorted(body.seats)} but the group has {group_size} members"
            )
    total = sum(s.constraints.time_min for s in plan.sections)
    if total > duration_min:
        findings.append(f"section times sum to {total} min, over {duration_min}")
    return findings


def validate(spec: ProjectSpec, blocklist: tuple[str, ...] = DEFAULT_BLOCKLIST) -> list[str]:
    """Check `spec`, set `plan.blocklist_ok` and `validator`; return the findings."""
    meta = spec.meta
    findings = structure_findings(spec.plan, spec.sections, meta.group_size, meta.duration_min)
    words = " ".join(_texts(spec)).casefold()
    hits = [w for w in blocklist if w.casefold() in words]
    spec.plan.blocklist_ok = not hits
    if hits:
        findings.append("blocked content: " + ", ".join(hits))
    spec.validator = {"ok": not findings, "findings": findings}
    return findings
