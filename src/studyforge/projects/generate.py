"""The `projects.generate` job: passages -> one generation -> validate -> persist per section.

1. Read the owner's passages on the topic (`documents.service.retrieve`), if there are any.
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
from studyforge.documents.index import Scope
from studyforge.documents.models import Passage
from studyforge.documents.schemas import SearchHit
from studyforge.documents.service import retrieve
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job
from studyforge.projects.models import Project
from studyforge.projects.planner import interleave, topic_parts, varied
from studyforge.projects.prompts import PROJECT, ProjectDraft
from studyforge.projects.runlog import RunLog
from studyforge.projects.service import FINAL, announce
from studyforge.projects.spec import ProjectSpec, validate

log = logging.getLogger(__name__)
PASSAGES = 6
CANDIDATES = 16  # retrieved, of which `varied` keeps PASSAGES
EXAMPLE_LINES = 12  # of a code example shown under a reading, at most
READABLE = ("prose", "list")  # passage kinds a seat can read aloud and explain
POOL = 48  # retrieved for a topic of several parts, which each part's best are taken from
MIN_SCORE = 0.0  # retrieve ranks by fused rank: any hit matched the topic's words or meaning


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


def _passages(
    session: Session, ctx: JobContext, user_id: uuid.UUID, topic: str
) -> list[dict[str, Any]]:
    """The owner's passages on the topic, varied, each with the code example that follows it.
    Code and tables are not readings. A topic naming several things ("lists and dictionaries")
    is also searched part by part, and each part's best passages among the topic's own are
    moved up, so no part is left without a reading."""
    embedder, scope = ctx.services.ai.embedder, Scope(user_id)
    hits = retrieve(session, embedder, scope, topic, POOL)
    found = [_shape(h) for h in hits if h.score > MIN_SCORE and h.kind in READABLE]
    pool = {(p["document_id"], p["start"]): p for p in found}
    orders = [
        [pool[key] for h in retrieve(session, embedder, scope, part, POOL)
         if (key := (str(h.document_id), h.start)) in pool]
        for part in topic_parts(topic)
    ]  # fmt: skip
    chosen = varied(interleave(found[:CANDIDATES], *orders), PASSAGES)
    for passage in chosen:
        passage["example"] = _example(session, user_id, passage)
    return chosen


def _example(session: Session, user_id: uuid.UUID, passage: dict[str, Any]) -> str | None:
    """The code example that follows the passage in its document, if the next passage is code
    (a tutorial's prose and its example are passages of their own), cut to EXAMPLE_LINES.
    A single line that is not a prompt (`>>>`, `$`) is a signature, not an example."""
    row = session.execute(
        select(Passage.kind, Passage.text)
        .where(
            Passage.user_id == user_id,
            Passage.document_id == uuid.UUID(passage["document_id"]),
            Passage.start >= passage["end"],
        )
        .order_by(Passage.start)
        .limit(1)
    ).first()
    if row is None or row.kind != "code":
        return None
    lines = row.text.strip("\n").splitlines()
    if len(lines) == 1 and not lines[0].startswith((">>>", "$ ")):
        return None  # one line of code such as "list.insert(i, x)": the next entry's signature
    return "\n".join(lines[:EXAMPLE_LINES] + (["..."] if len(lines) > EXAMPLE_LINES else []))


def _shape(hit: SearchHit) -> dict[str, Any]:
    return {
        "text": hit.text,
        "document_id": str(hit.document_id),
        "filename": hit.filename,
        "page": hit.page,
        "heading": hit.heading,
        "start": hit.start,
        "end": hit.end,
    }


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
        inputs["passages"] = _passages(session, ctx, project.user_id, inputs["topic"])
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
        with ctx.sessions.begin() as session:
            project = _locked(session, pk, run_id)
            if project is None:
                return n - 1
            if section.id in project.spec_json.get("sections", {}):
                continue
            announce(
                session,
                project,
                "project.section_started",
                section_id=section.id,
                name=section.name,
                index=n,
                total=total,
            )
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
            announce(
                session,
                project,
                "project.section_completed",
                section_id=section.id,
                name=section.name,
                index=n,
                total=total,
            )
        ctx.progress(10 + 85 * n // total, f"Section {section.name} written", stage="sections")
    return total
