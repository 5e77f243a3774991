"""The `courses.generate` job: sources -> outline -> lessons (concurrently) -> READY.

Each lesson (content, then its checks) is generated in a thread of a bounded pool and committed
in its own transaction as soon as it is done, so readers see finished lessons early and a
retried job keeps nothing half-written (it starts again from an empty lesson list).
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from studyforge.ai.errors import ProviderError
from studyforge.ai.llm import LLM, Generation, Usage, reporting_progress
from studyforge.ai.registry import AIProviders
from studyforge.config import Settings
from studyforge.courses import export
from studyforge.courses import regenerate as _regenerate  # noqa: F401  (registers its job)
from studyforge.courses.models import Course, CourseStatus, Lesson, LessonBody, LessonCheck
from studyforge.courses.offline import NotEnoughSources
from studyforge.courses.prompts import (
    CHECKS,
    LESSON,
    OUTLINE,
    Checks,
    LessonContent,
    LessonPlan,
    Outline,
)
from studyforge.courses.render import lesson_markdown
from studyforge.courses.service import emit_status, unique_slug
from studyforge.courses.sources import TopicNotCovered, course_sources
from studyforge.db import after_commit, utcnow
from studyforge.documents.index import Scope
from studyforge.documents.service import existing_ids
from studyforge.errors import AppError
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job

log = logging.getLogger(__name__)


class CourseGenerationFailed(AppError):
    """Generation cannot succeed with these inputs (no sources, too few sentences...)."""

    code = "COURSE_GENERATION_FAILED"


def mark_failed(session: Session, row: Job) -> None:
    """The job ended FAILED or CANCELLED: the course (if still this job's) is FAILED."""
    course = session.get(Course, uuid.UUID(str(row.params.get("course_id"))))
    if course is None or course.job_id != row.id:
        return
    course.status = CourseStatus.FAILED
    course.error_message = row.error or "generation failed"
    emit_status(session, course, "error", course.error_message)


@job("courses.generate", queue="ai_processing", on_failure=mark_failed)
def generate(ctx: JobContext, course_id: str) -> dict[str, Any]:
    """Generate one course end to end."""
    settings: Settings = ctx.services.settings
    ai: AIProviders = ctx.services.ai
    with ctx.sessions.begin() as session:
        course = session.get(Course, uuid.UUID(course_id))
        if course is None or course.job_id != ctx.job_id:
            return {"skipped": "the course was deleted or re-queued"}
        course.status = CourseStatus.GENERATING
        session.execute(delete(Lesson).where(Lesson.course_id == course.id))
        request = {
            "topic": course.topic,
            "grade_level": course.grade_level,
            "num_lessons": course.num_lessons,
            "user_id": course.user_id,
            "source_filter": course.source_filter,
            "document_ids": _chosen(session, course),
            "allow_ungrounded": course.allow_ungrounded,
        }

    ctx.progress(5, "Finding sources", stage="retrieving")
    found = _sources(ctx, settings, ai, request)
    sources = found or []
    ctx.progress(10, "Writing the outline", stage="outline")
    usage = Usage()
    with reporting_progress(lambda message: ctx.progress(12, message, stage="outline")):
        outline = _outline(ctx, ai, request, sources, usage)
    _save_outline(ctx, uuid.UUID(course_id), outline, sources)
    _lessons(ctx, settings, ai, uuid.UUID(course_id), request, outline, sources, usage)

    course = ctx.session.get_one(Course, uuid.UUID(course_id))
    course.status = CourseStatus.READY
    course.grounded = found is not None
    course.generated_at = utcnow()
    course.provider, course.model = ai.llm.name, ai.llm.model
    course.prompt_tokens, course.completion_tokens = usage.prompt_tokens, usage.completion_tokens
    course.cost_usd = round(usage.cost_usd, 6)
    emit_status(
        ctx.session,
        course,
        "success",
        "Course generated successfully",
        course_id=str(course.id),
        course_title=course.title,
        total_lessons=len(outline.lessons),
    )
    if settings.course_files:
        after_commit(ctx.session, lambda: _write_files(ctx, settings, uuid.UUID(course_id)))
    return {"lessons": len(outline.lessons), "sources": len(sources), **usage.as_dict()}


def _save_outline(
    ctx: JobContext, course_id: uuid.UUID, outline: Outline, sources: list[dict[str, Any]]
) -> None:
    """Store title, slug, outline and sources; a concurrent course may take the slug first."""
    for suffixed in (False, True):
        try:
            with ctx.sessions.begin() as session:
                course = session.get_one(Course, course_id)
                course.title = outline.course_title
                course.slug = unique_slug(session, course, outline.course_title, suffixed)
                course.description = outline.description
                course.outline = outline.model_dump()
                course.sources = sources
            return
        except IntegrityError:
            if suffixed:
                raise


def _sources(
    ctx: JobContext, settings: Settings, ai: AIProviders, request: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The passages that cover the topic; None for an allowed ungrounded (LLM-only) course."""
    chosen = request["document_ids"]
    scope = Scope(request["user_id"], request["source_filter"], chosen)
    try:
        with ctx.sessions() as session:
            return course_sources(session, ai.embedder, scope, request["topic"],
                                  settings.course_sources, request["num_lessons"])  # fmt: skip
    except TopicNotCovered:
        if ai.llm.name != "offline" and request["allow_ungrounded"]:
            return None
        where = f" under '{request['source_filter']}'" if request["source_filter"] else ""
        which = f"The {_count(len(chosen))} you chose" if chosen is not None else "Your documents"
        verb = "doesn't" if chosen is not None and len(chosen) == 1 else "don't"
        widen = "choose other documents" if chosen is not None else "widen the source folder"
        hint = (
            f"Upload documents about it (or {widen})"
            if ai.llm.name == "offline"
            else "Upload documents about it, or allow a course that is not grounded in them"
        )
        raise CourseGenerationFailed(
            f"{which}{where} {verb} cover '{request['topic']}'. {hint}."
        ) from None


def _count(n: int) -> str:
    return "document" if n == 1 else f"{n} documents"


def _chosen(session: Session, course: Course) -> tuple[uuid.UUID, ...] | None:
    """The chosen documents that still are the user's; none left fails the course."""
    if course.document_ids is None:
        return None
    wanted = [uuid.UUID(i) for i in course.document_ids]
    found = existing_ids(session, course.user_id, wanted)
    if not found:
        gone = (
            "The document chosen for this course no longer exists"
            if len(wanted) == 1
            else f"None of the {len(wanted)} documents chosen for this course exist any more"
        )
        raise CourseGenerationFailed(
            f"{gone} (deleted, or not yours). Choose other documents and try again."
        )
    return tuple(i for i in wanted if i in found)


def _outline(
    ctx: JobContext,
    ai: AIProviders,
    request: dict[str, Any],
    sources: list[dict[str, Any]],
    usage: Usage,
) -> Outline:
    inputs = {**request, "user_id": str(request["user_id"]), "sources": sources}
    try:
        generation = ai.llm.complete_json(OUTLINE, inputs)
    except NotEnoughSources as exc:
        raise CourseGenerationFailed(f"Cannot build the course: {exc}.") from None
    ctx.record_usage(generation.usage)
    usage.add(generation.usage)
    outline = generation.output
    wanted = request["num_lessons"]
    if len(outline.lessons) < wanted:
        raise ProviderError(f"the outline has {len(outline.lessons)} lessons, {wanted} asked")
    outline.lessons = outline.lessons[:wanted]
    return outline


def _lessons(
    ctx: JobContext,
    settings: Settings,
    ai: AIProviders,
    course_id: uuid.UUID,
    request: dict[str, Any],
    outline: Outline,
    sources: list[dict[str, Any]],
    usage: Usage,
) -> None:
    lock, done = threading.Lock(), [0]
    concepts = [c for plan in outline.lessons for c in plan.key_concepts]
    total = len(outline.lessons)

    def one(number: int, plan: LessonPlan) -> None:
        percent = 15 + 80 * done[0] // total
        written = write_lesson(ctx, ai.llm, request, number, plan, sources, concepts, percent)
        with ctx.sessions.begin() as session:
            lesson = Lesson(course_id=course_id, lesson_number=number)
            fill_lesson(lesson, written)
            session.add(lesson)
        with lock:
            usage.add(written.content.usage)
            usage.add(written.checks.usage)
            done[0] += 1
            finished = done[0]
        ctx.progress(
            15 + 80 * finished // total,
            f"Lesson {number} written ({finished} of {total})",
            stage="lessons",
        )

    # A provider that runs one generation at a time (a local model) gains nothing from more
    # threads, and lessons taken in order share its prompt cache.
    workers = min(settings.course_lesson_concurrency, total, getattr(ai.llm, "concurrency", 99))
    with ThreadPoolExecutor(workers, thread_name_prefix="lesson") as pool:
        futures = [pool.submit(one, n, plan) for n, plan in enumerate(outline.lessons, start=1)]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:  # after a failure, lessons not started yet are not started
            future.cancel()
        for future in futures:
            if not future.cancelled():
                future.result()  # re-raises the first failure


@dataclass(frozen=True)
class WrittenLesson:
    """One lesson as the provider wrote it: its plan, the sources it drew on, text, checks."""

    plan: LessonPlan
    sources: list[dict[str, Any]]
    content: Generation[LessonContent]
    checks: Generation[Checks]


def write_lesson(
    ctx: JobContext,
    llm: LLM,
    request: dict[str, Any],
    number: int,
    plan: LessonPlan,
    sources: list[dict[str, Any]],
    concepts: list[str],
    percent: int,
) -> WrittenLesson:
    """Write one lesson (its text, then its checks) from its plan and the course's sources,
    recording the usage on the job: a step of the course's generation, and "Regenerate"."""
    own = [s for s in sources if s["index"] in set(plan.sources)] or sources[:5]
    inputs = {
        "topic": request["topic"],
        "grade_level": request["grade_level"],
        "lesson_number": number,
        "lesson": plan.model_dump(),
        "sources": own,
    }
    with reporting_progress(lambda message: ctx.progress(
            percent, f"Lesson {number}: {message}", stage="lessons")):  # fmt: skip
        content = llm.complete_json(LESSON, inputs)
        checks = llm.complete_json(
            CHECKS,
            {**inputs, "content": content.output.model_dump(), "other_concepts": concepts},
        )
    for generation in (content, checks):
        ctx.record_usage(generation.usage)
    return WrittenLesson(plan, own, content, checks)


def fill_lesson(lesson: Lesson, written: WrittenLesson) -> None:
    """Set a new or stored lesson (its number set) to what was written: outline fields, text
    and checks (a stored lesson's previous checks are deleted)."""
    plan, content = written.plan, written.content.output
    by_index = {s["index"]: s for s in written.sources}
    lesson.title = plan.title
    lesson.description = plan.description
    lesson.key_concepts = plan.key_concepts
    lesson.learning_objectives = plan.learning_objectives
    lesson.sources = written.sources
    lesson.plan = plan.model_dump()
    lesson.generated_at = utcnow()
    markdown = lesson_markdown(lesson.lesson_number, plan, content, by_index)
    if lesson.body is None:
        lesson.body = LessonBody(content_json=content.model_dump(), content_md=markdown)
    else:
        lesson.body.content_json, lesson.body.content_md = content.model_dump(), markdown
    lesson.checks = [
        LessonCheck(
            position=position,
            kind=check.kind,
            question=check.question,
            options=check.options,
            answer=check.answer,
            explanation=check.explanation,
            source=by_index.get(check.source) if check.source is not None else None,
        )
        for position, check in enumerate(written.checks.output.checks)
    ]


def _write_files(ctx: JobContext, settings: Settings, course_id: uuid.UUID) -> None:
    """The specification's backup files; a failure here never fails the course."""
    try:
        with ctx.sessions() as session:
            export.write_files(settings.home / "courses", session.get_one(Course, course_id))
    except OSError as exc:
        log.warning("could not write the backup files of course %s: %s", course_id, exc)
