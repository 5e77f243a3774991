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
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from studyforge.ai.errors import ProviderError
from studyforge.ai.llm import Usage, reporting_progress
from studyforge.ai.registry import AIProviders
from studyforge.config import Settings
from studyforge.courses import export
from studyforge.courses.models import Course, CourseStatus, Lesson, LessonBody, LessonCheck
from studyforge.courses.offline import NotEnoughSources
from studyforge.courses.prompts import CHECKS, LESSON, OUTLINE, LessonPlan, Outline
from studyforge.courses.render import lesson_markdown
from studyforge.courses.service import emit_status, unique_slug
from studyforge.courses.sources import TopicNotCovered, course_sources
from studyforge.db import after_commit, utcnow
from studyforge.documents.index import Scope
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
    scope = Scope(user_id=request["user_id"], source_filter=request["source_filter"])
    try:
        with ctx.sessions() as session:
            return course_sources(session, ai.embedder, scope, request["topic"],
                                  settings.course_sources, request["num_lessons"])  # fmt: skip
    except TopicNotCovered:
        if ai.llm.name != "offline" and request["allow_ungrounded"]:
            return None
        where = f" under '{request['source_filter']}'" if request["source_filter"] else ""
        hint = (
            "Upload documents about it (or widen the source folder)"
            if ai.llm.name == "offline"
            else "Upload documents about it, or allow a course that is not grounded in them"
        )
        raise CourseGenerationFailed(
            f"Your documents{where} don't cover '{request['topic']}'. {hint}."
        ) from None


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
        own = [s for s in sources if s["index"] in set(plan.sources)] or sources[:5]
        inputs = {
            "topic": request["topic"],
            "grade_level": request["grade_level"],
            "lesson_number": number,
            "lesson": plan.model_dump(),
            "sources": own,
        }
        percent = 15 + 80 * done[0] // total
        with reporting_progress(lambda message: ctx.progress(
                percent, f"Lesson {number}: {message}", stage="lessons")):  # fmt: skip
            content = ai.llm.complete_json(LESSON, inputs)
            checks = ai.llm.complete_json(
                CHECKS,
                {**inputs, "content": content.output.model_dump(), "other_concepts": concepts},
            )
        for generation in (content, checks):
            ctx.record_usage(generation.usage)
        with ctx.sessions.begin() as session:
            _save_lesson(session, course_id, number, plan, own, content.output, checks.output)
        with lock:
            usage.add(content.usage)
            usage.add(checks.usage)
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


def _save_lesson(
    session: Session,
    course_id: uuid.UUID,
    number: int,
    plan: LessonPlan,
    sources: list[dict[str, Any]],
    content: Any,
    checks: Any,
) -> None:
    by_index = {s["index"]: s for s in sources}
    lesson = Lesson(
        course_id=course_id,
        lesson_number=number,
        title=plan.title,
        description=plan.description,
        key_concepts=plan.key_concepts,
        learning_objectives=plan.learning_objectives,
        sources=sources,
        generated_at=utcnow(),
    )
    session.add(lesson)
    session.flush()
    session.add(
        LessonBody(
            lesson_id=lesson.id,
            content_json=content.model_dump(),
            content_md=lesson_markdown(number, plan, content, by_index),
        )
    )
    for position, check in enumerate(checks.checks):
        source = by_index.get(check.source) if check.source is not None else None
        session.add(
            LessonCheck(
                lesson_id=lesson.id,
                position=position,
                kind=check.kind,
                question=check.question,
                options=check.options,
                answer=check.answer,
                explanation=check.explanation,
                source=source,
            )
        )


def _write_files(ctx: JobContext, settings: Settings, course_id: uuid.UUID) -> None:
    """The specification's backup files; a failure here never fails the course."""
    try:
        with ctx.sessions() as session:
            export.write_files(settings.home / "courses", session.get_one(Course, course_id))
    except OSError as exc:
        log.warning("could not write the backup files of course %s: %s", course_id, exc)
