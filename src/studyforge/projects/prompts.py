"""The one LLM task of the project generator: the whole project (plan + sections) as JSON.

With a model configured, `complete_json(PROJECT, inputs)` makes one call whose answer must match
`ProjectDraft`; the adapter sends the validation errors back once (the repair attempt) and then
raises `InvalidOutput`. Offline the task's strategy is the planner (`planner.plan`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from studyforge.ai.llm import Task
from studyforge.projects.planner import plan
from studyforge.projects.spec import Plan, SectionBody, structure_findings


class ProjectDraft(BaseModel):
    """What the model (or the planner) writes: the plan and one body per planned section."""

    plan: Plan
    sections: dict[str, SectionBody]
    grounded: bool = Field(False, description="true when the passages were used")
    theme: str = Field("llm", max_length=40)

    @model_validator(mode="after")
    def _fits_the_request(self, info: ValidationInfo) -> ProjectDraft:
        """With the request as context: every section written, one seat per member, on time."""
        request = info.context or {}
        if "group_size" in request:
            problems = structure_findings(
                self.plan, self.sections, request["group_size"], request["duration_min"]
            )
            if problems:
                raise ValueError("; ".join(problems))
        return self


SYSTEM = (
    "You plan a classroom group project for grades 6-8 in the UAE (prices in AED). Write the "
    "plan's sections (ids sec_01, sec_02, ...; names such as Launch, CoreTask, Share & reflect) "
    "whose constraints.time_min add up to at most duration_min, each with a math objective, "
    "materials, measurable success criteria (snake_case metric, operator, number) and roles "
    "['teacher','shared','seat_1',...]. For every section write the teacher's part, the shared "
    "part and exactly one part per seat, keyed '1'..'group_size', each seat's task different. "
    "Use the passages when given and cite them in extras.citations."
)


def render(inputs: dict[str, Any]) -> str:
    """The user prompt: the request and the owner's passages (already redacted)."""
    passages = [
        {"n": i + 1, "text": p["text"][:1200], "filename": p.get("filename"), "page": p.get("page")}
        for i, p in enumerate(inputs.get("passages", []))
    ]
    request = {k: inputs[k] for k in ("title", "topic", "life_skill", "group_size", "duration_min")}
    return f"Request: {json.dumps(request)}\nPassages: {json.dumps(passages)}"


PROJECT: Task[ProjectDraft] = Task(
    name="projects.generate",
    schema=ProjectDraft,
    system=SYSTEM,
    render=render,
    offline=plan,
    context=lambda inputs: {k: inputs[k] for k in ("group_size", "duration_min")},
)
