"""The `courses.regenerate_lesson` job: write one lesson again, alone, from the course's sources.

It runs the course generation's own lesson step (`generate.write_lesson`: text, then checks)
on the lesson's plan (the outline entry it was first written from, so an edited title does not
steer it) with the provider the course was made with. The lesson it replaces is kept as a
version first; a lesson edited after the request was made (without `replace_edits`) is left
alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from studyforge.ai.llm import LLM
from studyforge.ai.registry import LLMS, AIProviders
from studyforge.config import Settings
from studyforge.courses import editing
from studyforge.courses.models import Course, Lesson
from studyforge.courses.prompts import LessonPlan
from studyforge.jobs import JobContext, job


def plan_of(lesson: Lesson) -> LessonPlan:
    """The plan the lesson was written from; for a lesson stored without one, its own fields."""
    if lesson.plan:
        return LessonPlan.model_validate(lesson.plan)
    indices = [s["index"] for s in lesson.sources if isinstance(s.get("index"), int)]
    return LessonPlan(
        title=lesson.title[:300] or "Lesson",
        description=lesson.description[:2000],
        key_concepts=lesson.key_concepts[:12],
        learning_objectives=lesson.learning_objectives[:8],
        sources=indices,
    )


def course_llm(settings: Settings, ai: AIProviders, provider: str | None) -> LLM:
    """The provider the course was written with, if this process can build it, else its own."""
    if provider is None or provider == ai.llm.name or provider not in LLMS:
        return ai.llm
    return LLMS[provider](settings)


@job(editing.REGENERATE_JOB, queue="ai_processing")
def regenerate_lesson(
    ctx: JobContext, course_id: str, lesson_id: str, replace_edits: bool = False
) -> dict[str, Any]:
    """Write one lesson again from its plan and the course's sources."""
    from studyforge.courses.generate import fill_lesson, write_lesson  # generate imports this

    settings: Settings = ctx.services.settings
    with ctx.sessions() as session:
        course = session.get(Course, uuid.UUID(course_id))
        lesson = session.get(Lesson, uuid.UUID(lesson_id))
        if course is None or lesson is None or lesson.course_id != course.id:
            return {"skipped": "the lesson was deleted"}
        request = {"topic": course.topic, "grade_level": course.grade_level}
        plan = plan_of(lesson)
        concepts = [c for other in course.lessons for c in plan_of(other).key_concepts]
        sources, number = list(course.sources or []), lesson.lesson_number
        provider = course.provider
    llm = course_llm(settings, ctx.services.ai, provider)
    ctx.progress(10, f"Rewriting lesson {number}", stage="lessons")
    written = write_lesson(ctx, llm, request, number, plan, sources, concepts, 20)
    with ctx.sessions.begin() as session:
        lesson = session.get(Lesson, uuid.UUID(lesson_id))
        course = session.get(Course, uuid.UUID(course_id))
        if course is None or lesson is None:
            return {"skipped": "the lesson was deleted"}
        editing.lock(session, course, lesson)
        if lesson.edited_at is not None and not replace_edits:
            return {"skipped": "the lesson was edited meanwhile; nothing was replaced"}
        editing.keep_version(session, lesson, editing.REGENERATED)
        fill_lesson(lesson, written)
        lesson.edited_at = None
        editing.rerender(lesson)
        for generation in (written.content, written.checks):
            course.prompt_tokens += generation.usage.prompt_tokens
            course.completion_tokens += generation.usage.completion_tokens
            course.cost_usd = round(course.cost_usd + generation.usage.cost_usd, 6)
        result = {"lesson_id": lesson_id, "lesson_number": lesson.lesson_number}
    ctx.progress(100, "Lesson rewritten", stage="done")
    return result
