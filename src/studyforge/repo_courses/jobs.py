"""The four stages as jobs, named as the specification's Celery tasks and on its queues:
`tasks.repository_clone_task` (repo_analysis), `tasks.document_analyser_task`,
`tasks.learning_pathway_task` and `tasks.modules_generation_task` (ai_processing).

The same functions run on the inline runner. Each stage job first checks it is still the
stage's current task (a stage started again supersedes it), replaces whatever an earlier
attempt of it wrote, reports progress on the job (and so on its SSE stream) and on
`course_tasks`, and commits its results together with its success, so a worker killed
mid-stage leaves nothing half-written and the retry finishes the stage exactly once.
Transient failures (a host that does not answer, a database restart) are retried with
backoff; permanent ones fail the stage at once with the reason in `error_message`.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from studyforge.ai.errors import ProviderAuthError, ProviderError
from studyforge.ai.llm import Usage
from studyforge.config import Settings
from studyforge.courses.models import Course, CourseStatus
from studyforge.courses.service import emit_status
from studyforge.db import after_commit, utcnow
from studyforge.errors import TransientError
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job
from studyforge.repo_courses import stage4
from studyforge.repo_courses.access import clone, extract_archive
from studyforge.repo_courses.models import (
    AnalyzedDocument,
    CourseTask,
    Module,
    ModuleDocument,
    Pathway,
    RepositoryFile,
    Stage1Selection,
    Stage2Input,
    Stage3Input,
)
from studyforge.repo_courses.pathways import build_pathways
from studyforge.repo_courses.prompts import TEXT_CHARS, analyse
from studyforge.repo_courses.scan import read_text, scan
from studyforge.repo_courses.service import JOB_KINDS, selected_paths
from studyforge.repo_courses.structure import parse
from studyforge.storage import BlobNotFound

log = logging.getLogger(__name__)


def stage_failed(session: Session, row: Job) -> None:
    """The stage's job ended FAILED or CANCELLED: so do its task and the course's stage."""
    course_id = uuid.UUID(str(row.params.get("course_id")))
    stage = next(s for s, kind in JOB_KINDS.items() if kind == row.kind)
    task = session.get(CourseTask, (course_id, stage))
    course = session.get(Course, course_id)
    if task is None or course is None or task.task_id != row.id:
        return
    task.status, task.error_message, task.completed_at = "FAILURE", row.error, utcnow()
    course.repo_status = f"{stage}_failed"
    course.status = CourseStatus.FAILED
    course.error_message = row.error
    emit_status(session, course, course.repo_status, row.error or f"{stage} failed", stage=stage)


def _begin(ctx: JobContext, course_id: str, stage: str) -> bool:
    """Mark the stage STARTED; False when this job no longer runs the stage."""
    with ctx.sessions.begin() as session:
        task = session.get(CourseTask, (uuid.UUID(course_id), stage))
        if task is None or task.task_id != ctx.job_id:
            return False
        task.status, task.error_message = "STARTED", None
    return True


def _report(ctx: JobContext, course_id: str, stage: str, percent: int, step: str) -> None:
    ctx.progress(percent, step, stage=stage)
    with ctx.sessions.begin() as session:
        session.execute(
            update(CourseTask)
            .where(
                CourseTask.course_id == uuid.UUID(course_id),
                CourseTask.stage == stage,
                CourseTask.task_id == ctx.job_id,
            )
            .values(progress_percentage=percent, current_step=step[:500])
        )


def _finish(ctx: JobContext, course_id: str, stage: str, step: str, **meta: Any) -> Course:
    """Record the stage's success in the job's own unit of work (committed with the job)."""
    session = ctx.session
    task = session.get_one(CourseTask, (uuid.UUID(course_id), stage))
    task.status, task.progress_percentage, task.current_step = "SUCCESS", 100, step
    task.completed_at = utcnow()
    task.metadata_ = {**(task.metadata_ or {}), **meta}
    course = session.get_one(Course, uuid.UUID(course_id))
    course.repo_status = f"{stage}_complete"
    course.status = CourseStatus.READY if stage == "stage4" else CourseStatus.QUEUED
    course.error_message = None
    emit_status(session, course, course.repo_status, step, stage=stage)
    return course


MODEL_FAILED = "The model's analysis of this page was not usable, even when asked again."
UNREADABLE = "This page could not be read as its format (its markup may be broken)."
ANALYSIS_COLUMNS = (
    "title",
    "doc_type",
    "complexity_level",
    "key_concepts",
    "learning_objectives",
    "summary",
    "prerequisites",
    "related_topics",
    "word_count",
)
SKIPPED = {"skipped": "this stage was started again; a newer task runs it"}


@job(
    JOB_KINDS["stage1"],
    queue="repo_analysis",
    task="tasks.repository_clone_task",
    on_failure=stage_failed,
)
def repository_clone(
    ctx: JobContext, course_id: str, repo_url: str, archive_key: str | None = None
) -> dict[str, Any]:
    """Stage 1: clone (or unpack) the repository, find its documentation, keep its text."""
    if not _begin(ctx, course_id, "stage1"):
        return SKIPPED
    settings: Settings = ctx.services.settings
    limits = {
        "max_bytes": settings.repo_max_bytes,
        "max_files": settings.repo_max_files,
        "max_depth": settings.repo_max_depth,
    }
    with tempfile.TemporaryDirectory(prefix="studyforge-repo-") as tmp:
        dest = Path(tmp) / "checkout"
        if archive_key:
            _report(ctx, course_id, "stage1", 20, "Unpacking the archive...")
            try:
                data = ctx.services.blobs.get(archive_key)
            except BlobNotFound:
                raise stage4.StageFailed("The uploaded archive is gone; upload it again") from None
            checkout = extract_archive(data, dest, **limits)
        else:
            _report(ctx, course_id, "stage1", 20, "Cloning repository...")
            checkout = clone(
                repo_url,
                dest,
                allow_local=settings.repo_allow_local,
                timeout=settings.repo_clone_timeout_seconds,
                **limits,
            )
        _report(ctx, course_id, "stage1", 60, "Scanning files...")
        found = scan(checkout.root, max_doc_bytes=settings.repo_max_doc_bytes)
        _report(ctx, course_id, "stage1", 80, "Saving to database...")
        cid = uuid.UUID(course_id)
        rows = [  # read every text before this session takes the write lock
            RepositoryFile(
                course_id=cid, file_path=entry.path, file_type=entry.file_type,
                is_documentation=entry.is_documentation,
                is_overview_candidate=entry.is_overview_candidate, file_size=entry.file_size,
                doc_format=entry.doc_format,
                content=read_text(checkout.root, entry.path, settings.repo_max_doc_bytes)
                if entry.is_documentation else None,
            )
            for entry in found.files
        ]  # fmt: skip
    session = ctx.session
    session.execute(delete(RepositoryFile).where(RepositoryFile.course_id == cid))
    session.add_all(rows)
    if archive_key:  # once the stage is committed: a retry still needs it
        blobs, key = ctx.services.blobs, archive_key
        after_commit(session, lambda: blobs.delete(key))
    docs = sum(f.is_documentation for f in found.files)
    _finish(
        ctx,
        course_id,
        "stage1",
        "Repository analysis complete",
        commit=checkout.commit,
        folders=found.folders,
        overview_candidates=found.overview_candidates,
        skipped=checkout.skipped[:200],
        documents=docs,
    )
    return {"status": "success", "files_count": len(found.files), "documents": docs}


def _documents(session: Session, course_id: uuid.UUID) -> list[RepositoryFile]:
    """The documentation files the user selected, in path order, with their text."""
    chosen = session.get_one(Stage1Selection, course_id)
    rows = session.scalars(
        select(RepositoryFile)
        .where(
            RepositoryFile.course_id == course_id,
            RepositoryFile.is_documentation.is_(True),
        )
        .order_by(RepositoryFile.file_path)
    ).all()
    by_path = {r.file_path: r for r in rows}
    paths = selected_paths(list(by_path), chosen.selected_folders, chosen.overview_document)
    return [by_path[p] for p in paths]


@job(
    JOB_KINDS["stage2"],
    queue="ai_processing",
    task="tasks.document_analyser_task",
    on_failure=stage_failed,
)
def document_analyser(ctx: JobContext, course_id: str) -> dict[str, Any]:
    """Stage 2: analyse each selected document; one that cannot be read is recorded as
    failed and the stage goes on."""
    if not _begin(ctx, course_id, "stage2"):
        return SKIPPED
    cid = uuid.UUID(course_id)
    session = ctx.session
    inputs = session.get_one(Stage2Input, cid)
    docs = _documents(session, cid)
    rows, failed = [], 0
    usage = Usage()
    # A part of a long document per model call, sized to the model's context (in tokens).
    context = getattr(ctx.services.ai.llm, "context", 16384)
    words = max(300, min((context - 1500) // 2, TEXT_CHARS // 7))
    for i, doc in enumerate(docs):  # nothing is written until every document is analysed
        percent = int(i / max(len(docs), 1) * 95)
        _report(ctx, course_id, "stage2", percent, f"Analyzing {doc.file_path}...")
        row = AnalyzedDocument(course_id=cid, file_path=doc.file_path)
        try:
            structure = parse(doc.file_path, doc.content or "", doc.doc_format or "text")
            analysis = analyse(
                ctx.services.ai,
                doc.file_path,
                structure,
                inputs.complexity_level,
                inputs.additional_info,
                words,
                usage,
            )
        except ProviderError as exc:
            if isinstance(exc, TransientError | ProviderAuthError):
                raise  # the model's service is down or refuses us: the stage is retried or fails
            failed += 1
            log.warning("stage 2: %s: the model failed: %s", doc.file_path, exc)
            row.status, row.error_message = "failed", MODEL_FAILED
        except (ValueError, RecursionError) as exc:
            failed += 1
            log.warning("stage 2: %s could not be analysed: %r", doc.file_path, exc)
            row.status, row.error_message = "failed", UNREADABLE
        else:
            data = analysis.as_dict()
            for key in ANALYSIS_COLUMNS:
                setattr(row, key, data[key])
            row.title = (row.title or "")[:300]
            row.analysis = data
        rows.append(row)
    ctx.record_usage(usage)  # its own transaction: before this session starts writing
    session.execute(delete(AnalyzedDocument).where(AnalyzedDocument.course_id == cid))
    session.add_all(rows)
    analyzed = len(docs) - failed
    if not analyzed:
        reason = rows[0].error_message if rows else "no documents were selected"
        raise stage4.StageFailed(f"None of the selected documents could be analysed: {reason}")
    figures = {"analyzed": analyzed, "failed": failed, **usage.as_dict()}
    _finish(ctx, course_id, "stage2", "Document analysis complete", **figures)
    return {"status": "success", "analyzed_docs": analyzed, **figures}


@job(
    JOB_KINDS["stage3"],
    queue="ai_processing",
    task="tasks.learning_pathway_task",
    on_failure=stage_failed,
)
def learning_pathway(ctx: JobContext, course_id: str) -> dict[str, Any]:
    """Stage 3: several pathways through the analysed documents, with their modules."""
    if not _begin(ctx, course_id, "stage3"):
        return SKIPPED
    cid = uuid.UUID(course_id)
    session = ctx.session
    _report(ctx, course_id, "stage3", 20, "Ordering the documents...")
    info = session.get_one(Stage3Input, cid).additional_info
    level = session.get_one(Stage2Input, cid).complexity_level
    overview = session.get_one(Stage1Selection, cid).overview_document
    rows = session.scalars(
        select(AnalyzedDocument)
        .where(
            AnalyzedDocument.course_id == cid,
            AnalyzedDocument.status == "analyzed",
        )
        .order_by(AnalyzedDocument.file_path)
    ).all()
    documents = [{**(r.analysis or {}), "id": str(r.id), "file_path": r.file_path} for r in rows]
    plans = build_pathways(
        documents, overview_document=overview, complexity_level=level, additional_info=info
    )
    _report(ctx, course_id, "stage3", 80, "Saving the pathways...")
    session.execute(delete(Pathway).where(Pathway.course_id == cid))
    for position, plan in enumerate(plans):
        pathway = Pathway(
            course_id=cid,
            position=position,
            key=plan.key,
            title=plan.title[:300],
            description=plan.description,
            complexity_level=plan.complexity_level,
            estimated_duration=plan.estimated_duration,
            prerequisites=plan.prerequisites,
            templated=plan.templated,
        )
        session.add(pathway)
        session.flush()
        for module_plan in plan.modules:
            module = Module(
                pathway_id=pathway.id,
                title=module_plan.title[:300],
                description=module_plan.description,
                sequence_order=module_plan.sequence_order,
                learning_objectives=module_plan.learning_objectives,
                estimated_time=module_plan.estimated_time,
            )
            session.add(module)
            session.flush()
            for n, doc_id in enumerate(module_plan.document_ids):
                session.add(
                    ModuleDocument(module_id=module.id, document_id=uuid.UUID(doc_id), position=n)
                )
    _finish(ctx, course_id, "stage3", "Learning pathways ready", pathways=len(plans))
    return {"status": "success", "pathways": len(plans)}


@job(
    JOB_KINDS["stage4"],
    queue="ai_processing",
    task="tasks.modules_generation_task",
    on_failure=stage_failed,
)
def modules_generation(ctx: JobContext, course_id: str, pathway_id: str) -> dict[str, Any]:
    """Stage 4: every module's content (concurrently), the course's lessons and exports."""
    if not _begin(ctx, course_id, "stage4"):
        return SKIPPED
    result = stage4.generate(
        ctx,
        uuid.UUID(course_id),
        uuid.UUID(pathway_id),
        lambda pct, step: _report(ctx, course_id, "stage4", pct, step),
    )
    _finish(ctx, course_id, "stage4", "Course generated", **result)
    stage4.after_success(ctx, uuid.UUID(course_id))
    return {"status": "success", **result}
