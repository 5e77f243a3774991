"""The `projects.generate` job: passages -> one generation -> validate -> persist per section.

1. Read the owner's passages on the topic, with the code around them (`passages.gather`).
2. One `complete_json(PROJECT, inputs)`: the configured LLM or, offline, the planner. The
   answer must match the schema and fit the request (every section written, one seat per
   member, times within the lesson); the adapter sends the errors back once (the repair
   attempt). Invalid output twice ends the run in `error`.
3. `spec.validate` on the whole document; findings go to `validator`.
4. Each section in turn: `project.section_started`, then the section written into `spec_json`
   under a row lock (`SELECT ... FOR UPDATE` on PostgreSQL) and `project.section_completed`
   committed with it. Then `complete` and `project.completed`.

A failure part-way keeps the sections written and ends with `project.failed` (SSE `error`).
Prompt, output and one CSV row per stage go to the run log (redacted).
"""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from studyforge.ai.errors import InvalidOutput
from studyforge.ai.llm import LLM, Generation
from studyforge.config import Settings
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job
from studyforge.projects.models import Project
from studyforge.projects.passages import gather
from studyforge.projects.prompts import PROJECT, ProjectDraft
from studyforge.projects.runlog import RunLog
from studyforge.projects.service import FINAL, announce
from studyforge.projects.spec import ProjectSpec, validate

log = logging.getLogger(__name__)


def _locked(session: Session, project_pk: uuid.UUID, run_id: str) -> Project | None:
    """The project row, locked until this transaction ends, if it is still on this run.

    PostgreSQL: `SELECT ... FOR UPDATE`. SQLite has no row locks, and pysqlite begins a
    transaction only at its first write, so a plain read could be stale by the time the write
    lands: a no-op UPDATE first takes the database's write lock, and the read sees the last
    commit with no other writer in between."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Project).where(Project.id == project_pk).values(status=Project.status)
        )
    project = session.scalar(select(Project).where(Project.id == project_pk).with_for_update())
    return project if project is not None and str(project.run_id) == run_id else None


def _update(session: Session, project: Project, **changes: Any) -> dict[str, Any]:
    """Replace top-level keys of spec_json (a new dict, so the ORM writes it)."""
    spec = copy.deepcopy(project.spec_json)
    spec.update(changes)
    project.spec_json = spec
    if "status" in changes:
        project.status = changes["status"]
    return spec


def _model(llm: LLM, settings: Settings) -> LLM:
    """The LLM with MODEL_PRIMARY as its model when that is set (a shallow copy)."""
    if settings.model_primary and llm.name != "offline":
        llm = copy.copy(llm)
        llm.model = settings.model_primary
    return llm


def mark_failed(session: Session, row: Job) -> None:
    """The job ended FAILED: the project (if still on this run) is `error`, announced."""
    project = _locked(session, uuid.UUID(str(row.params["project_pk"])), str(row.params["run_id"]))
    if project is not None and project.status not in FINAL:
        _fail(session, project, row.error or "generation failed")


def _fail(session: Session, project: Project, message: str) -> None:
    _update(
        session,
        project,
        status="error",
        validator={**(project.spec_json.get("validator") or {}), "error": message[:500]},
    )
    announce(session, project, "project.failed", status="error", error=message[:500])


@job("projects.generate", queue="ai_processing", on_failure=mark_failed)
def generate(ctx: JobContext, project_pk: str, run_id: str) -> dict[str, Any]:
    """Generate a project's document for its run (see the module docstring)."""
    settings: Settings = ctx.services.settings
    pk, runlog = uuid.UUID(project_pk), RunLog(settings, uuid.UUID(run_id))
    with ctx.sessions.begin() as session:
        project = _locked(session, pk, run_id)
        if project is None or project.status in FINAL:
            return {"skipped": "the project was deleted or regenerated"}
        spec = _update(session, project, status="generating")
        inputs = {
            "title": project.title,
            **{k: spec["meta"][k] for k in ("topic", "life_skill", "group_size", "duration_min")},
        }
        inputs["passages"] = gather(
            session, ctx.services.ai.embedder, project.user_id, inputs["topic"]
        )
    ctx.progress(10, "Planning the project", stage="planning")
    llm = _model(ctx.services.ai.llm, settings)
    prompt_path = runlog.write_json(
        "prompt", {"system": PROJECT.system, "prompt": PROJECT.render(inputs), "inputs": inputs}
    )
    try:
        generation: Generation[ProjectDraft] = llm.complete_json(PROJECT, inputs)
    except InvalidOutput as exc:
        runlog.row(
            "generate",
            model=llm.model,
            decision="invalid output after one repair",
            input_path=prompt_path,
            warning=str(exc)[:300],
        )
        with ctx.sessions.begin() as session:
            project = _locked(session, pk, run_id)
            if project is not None:
                _fail(session, project, f"the model's project JSON was invalid twice: {exc}")
        return {"error": "invalid output"}
    ctx.record_usage(generation.usage)
    draft = generation.output
    output_path = runlog.write_json("output", draft.model_dump(mode="json"))
    full = ProjectSpec.model_validate(
        {
            **spec,
            "plan": draft.plan.model_dump(),
            "sections": {k: v.model_dump() for k, v in draft.sections.items()},
        }
    )
    findings = validate(
        full, tuple(w.strip() for w in settings.project_blocklist.split(",") if w.strip())
    )
    runlog.row(
        "generate",
        model=f"{generation.provider}:{generation.model}",
        temperature=None if generation.extractive else 0.2,
        usage=generation.usage,
        decision=f"{len(draft.plan.sections)} sections, theme {draft.theme}, "
        f"grounded {draft.grounded}",
        input_path=prompt_path,
        output_path=output_path,
        warning="; ".join(findings)[:500],
    )
    written = _persist(ctx, pk, run_id, full)
    with ctx.sessions.begin() as session:
        project = _locked(session, pk, run_id)
        if project is None:
            return {"skipped": "deleted while generating", "sections": written}
        _update(
            session,
            project,
            status="complete",
            validator=full.validator,
            plan={**project.spec_json["plan"], "blocklist_ok": full.plan.blocklist_ok},
        )
        announce(
            session,
            project,
            "project.completed",
            status="complete",
            sections=written,
            validator=full.validator,
        )
    runlog.row(
        "complete",
        model=generation.model,
        decision=f"{written} sections persisted",
        output_path=output_path,
    )
    ctx.progress(100, f"{written} sections written", stage="done")
    return {"sections": written, **generation.usage.as_dict()}


def _persist(ctx: JobContext, pk: uuid.UUID, run_id: str, full: ProjectSpec) -> int:
    """Write the sections one by one (each its own transaction, under the row lock). A section
    this run already wrote (the job is run again after a crash) is neither written nor
    announced again."""
    total = len(full.plan.sections)
    for n, section in enumerate(full.plan.sections, start=1):
        body = full.sections[section.id].model_dump(mode="json")
        where = {"section_id": section.id, "name": section.name, "index": n, "total": total}
        with ctx.sessions.begin() as session:
            project = _locked(session, pk, run_id)
            if project is None:
                return n - 1
            if section.id in project.spec_json.get("sections", {}):
                continue
            announce(session, project, "project.section_started", **where)
        ctx.check_cancelled()
        with ctx.sessions.begin() as session:
            project = _locked(session, pk, run_id)
            if project is None:
                return n - 1
            plan = project.spec_json.get("plan") or {"blocklist_ok": True, "sections": []}
            kept = [s for s in plan["sections"] if s["id"] != section.id]
            _update(
                session,
                project,
                plan={**plan, "sections": [*kept, section.model_dump(mode="json")]},
                sections={**project.spec_json.get("sections", {}), section.id: body},
            )
            announce(session, project, "project.section_completed", **where)
        ctx.progress(10 + 85 * n // total, f"Section {section.name} written", stage="sections")
    return total
