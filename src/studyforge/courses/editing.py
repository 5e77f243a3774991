"""Editing a course before publishing it: edit a lesson, regenerate it, reorder the lessons,
and keep (and restore) the versions every edit, regeneration or restore replaced.

A lesson's text is stored structured (`content_json`: sections of prose, list and code
paragraphs, each citing the course's sources by index). An edit keeps the citations of every
paragraph it keeps, changed or not (`origin`), and a paragraph the teacher adds cites nothing
and is marked `"author": "teacher"` so pages can say it is not from the sources; a citation is
never made up. Writes lock the lesson row first (see `lock`), so two edits, or an edit and a
regeneration, never interleave and version numbers stay 1..n.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from studyforge.courses.editing_schemas import LessonEdit, ParagraphEdit, SectionEdit
from studyforge.courses.export import lesson_md
from studyforge.courses.models import (
    Course,
    CourseStatus,
    Lesson,
    LessonBody,
    LessonCheck,
    LessonVersion,
)
from studyforge.db import utcnow
from studyforge.errors import AppError, Conflict, NotFound
from studyforge.jobs import enqueue
from studyforge.jobs.models import Job

REGENERATE_JOB = "courses.regenerate_lesson"
EDITED, REGENERATED, RESTORED = "edited", "regenerated", "restored"
TEACHER = "teacher"  # `author` of a paragraph the teacher wrote
BUILDING = frozenset({CourseStatus.QUEUED, CourseStatus.GENERATING})
ORDER_ISSUE = {
    "loc": ["body", "lesson_ids"],
    "msg": "not every lesson once",
    "type": "lesson_order",
}
HAS_EDITS = (
    "This lesson has your edits. Regenerating replaces them; your edited version is kept in "
    "its history."
)


class LessonNotFound(NotFound):
    code = "LESSON_NOT_FOUND"


class VersionNotFound(NotFound):
    code = "LESSON_VERSION_NOT_FOUND"


class CourseBuilding(Conflict):
    code = "COURSE_BUILDING"


class ModuleRegeneration(Conflict):
    code = "REPOSITORY_COURSE"


class LessonHasEdits(Conflict):
    code = "LESSON_HAS_EDITS"


class LessonChanged(Conflict):
    code = "LESSON_CHANGED"


class ParagraphNotFound(Conflict):
    code = "PARAGRAPH_NOT_FOUND"


class LessonOrderInvalid(AppError):
    status = 422
    code = "LESSON_ORDER_INVALID"


def lesson_of(course: Course, number: int) -> Lesson:
    """The course's lesson `number`, or 404."""
    for lesson in course.lessons:
        if lesson.lesson_number == number:
            return lesson
    raise LessonNotFound("Lesson not found")


def revision(lesson: Lesson) -> str:
    """A short fingerprint of what an edit is made on (title, objectives, text)."""
    state = [lesson.title, lesson.description, lesson.learning_objectives, lesson.content_json]
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _ensure_editable(course: Course) -> None:
    if course.status in BUILDING:
        raise CourseBuilding("The course is still being written; edit it once it is ready")


def lock(session: Session, course: Course, lesson: Lesson | None = None) -> None:
    """Lock the lesson's row (every lesson of the course without one) and read it afresh.

    The UPDATE takes PostgreSQL's row lock, and on SQLite begins the write transaction, before
    anything is read for the change, so concurrent writers wait for each other.
    """
    session.flush()
    where = Lesson.id == lesson.id if lesson is not None else Lesson.course_id == course.id
    session.execute(
        update(Lesson).where(where).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot(lesson: Lesson) -> dict[str, Any]:
    """Everything a version keeps of a lesson (what `restore` puts back)."""
    return {
        "title": lesson.title,
        "description": lesson.description,
        "key_concepts": list(lesson.key_concepts),
        "learning_objectives": list(lesson.learning_objectives),
        "sources": list(lesson.sources),
        "plan": lesson.plan,
        "content": lesson.content_json,
        "checks": [_check(c) for c in lesson.checks],
        "generated_at": _iso(lesson.generated_at),
        "edited_at": _iso(lesson.edited_at),
    }


def _check(c: LessonCheck) -> dict[str, Any]:
    return {"kind": c.kind, "question": c.question, "options": list(c.options),
            "answer": c.answer, "explanation": c.explanation, "source": c.source}  # fmt: skip


def keep_version(session: Session, lesson: Lesson, reason: str) -> LessonVersion:
    """Keep the lesson as it is now as its next version (call after `lock`)."""
    last = session.scalar(
        select(func.max(LessonVersion.number)).where(LessonVersion.lesson_id == lesson.id)
    )
    version = LessonVersion(
        lesson_id=lesson.id, number=(last or 0) + 1, reason=reason, snapshot=snapshot(lesson)
    )
    session.add(version)
    return version


def rerender(lesson: Lesson) -> None:
    """Store the lesson's Markdown again from its fields (its number, title or text changed)."""
    if lesson.body is not None:
        lesson.body.content_md = lesson_md(lesson)


# --- edit -------------------------------------------------------------------------------------


def clean(text: str, kind: str) -> str:
    """Line breaks as `\\n`; code keeps its first line's indentation, other text is trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "code":
        return re.sub(r"^(?:[ \t]*\n)+", "", text).rstrip()
    return text.strip()


def _paragraph(old: Sequence[Any], edit: ParagraphEdit) -> dict[str, Any]:
    if edit.origin is None:
        return {"text": clean(edit.text, "prose"), "citations": [], "kind": "prose",
                "author": TEACHER}  # fmt: skip
    try:
        original = old[edit.origin.section]["paragraphs"][edit.origin.paragraph]
    except (IndexError, KeyError, TypeError):
        where = f"{edit.origin.section}.{edit.origin.paragraph}"
        raise ParagraphNotFound(
            f"The lesson's text has no paragraph {where} (section.paragraph, from 0): it "
            "changed, or the position is wrong. Read the lesson again and resend the edit."
        ) from None
    kept = dict(original)
    kind = str(kept.get("kind") or "prose")
    text = clean(edit.text, kind)
    if text != clean(str(kept.get("text") or ""), kind):
        kept["text"] = text
        if kept.get("author") != TEACHER:
            kept["edited"] = True
    return kept


def edited_sections(
    content: dict[str, Any] | None, sections: Sequence[SectionEdit]
) -> list[dict[str, Any]]:
    """The new sections, each paragraph keeping its origin's citations, kind and language."""
    old = (content or {}).get("sections") or []
    return [
        {"heading": section.heading, "paragraphs": [_paragraph(old, p) for p in section.paragraphs]}
        for section in sections
    ]


def edit_lesson(session: Session, course: Course, lesson: Lesson, edit: LessonEdit) -> Lesson:
    """Apply an edit; the version it replaces is kept. An edit that changes nothing is no-op."""
    _ensure_editable(course)
    lock(session, course, lesson)
    if edit.revision is not None and edit.revision != revision(lesson):
        raise LessonChanged(
            "The lesson changed since this edit was made on it (it was edited, regenerated or "
            "restored meanwhile); nothing was saved. Read it again and redo the edit."
        )
    content = dict(lesson.content_json or {"sections": [], "summary": ""})
    if edit.sections is not None:
        content["sections"] = edited_sections(lesson.content_json, edit.sections)
    if edit.summary is not None:
        content["summary"] = edit.summary
    fields: dict[str, Any] = {
        name: value
        for name, value in (
            ("title", edit.title),
            ("description", edit.description),
            ("learning_objectives", edit.learning_objectives),
        )
        if value is not None and value != getattr(lesson, name)
    }
    if not fields and content == (lesson.content_json or {"sections": [], "summary": ""}):
        return lesson
    keep_version(session, lesson, EDITED)
    for name, value in fields.items():
        setattr(lesson, name, value)
    if lesson.body is None:
        lesson.body = LessonBody(content_json=content, content_md="")
    lesson.body.content_json = content
    lesson.edited_at = utcnow()
    rerender(lesson)
    return lesson


# --- regenerate -------------------------------------------------------------------------------


def request_regeneration(
    session: Session, course: Course, lesson: Lesson, replace_edits: bool
) -> Job:
    """Queue the lesson's regeneration; a lesson with edits needs `replace_edits` (409)."""
    _ensure_editable(course)
    if course.from_repository:
        raise ModuleRegeneration("A repository course's modules are written by its stage 4: "
                                 "run generate-course again to rewrite them")  # fmt: skip
    if lesson.edited_at is not None and not replace_edits:
        raise LessonHasEdits(HAS_EDITS + " Send replace_edits: true to regenerate it anyway.")
    return enqueue(
        session,
        REGENERATE_JOB,
        user_id=course.user_id,
        course_id=str(course.id),
        lesson_id=str(lesson.id),
        replace_edits=replace_edits,
    )


# --- versions ---------------------------------------------------------------------------------


def versions(session: Session, lesson: Lesson) -> list[LessonVersion]:
    """The lesson's kept versions, newest first."""
    stmt = select(LessonVersion).where(LessonVersion.lesson_id == lesson.id)
    return list(session.scalars(stmt.order_by(LessonVersion.number.desc())))


def version_of(session: Session, lesson: Lesson, number: int) -> LessonVersion:
    """The lesson's version `number`, or 404."""
    found = session.scalar(
        select(LessonVersion).where(
            LessonVersion.lesson_id == lesson.id, LessonVersion.number == number
        )
    )
    if found is None:
        raise VersionNotFound("This lesson has no such version")
    return found


def origin(snap: dict[str, Any]) -> str:
    """Whether a snapshot (or a lesson's) text is as generated or has the teacher's edits."""
    return EDITED if snap.get("edited_at") else "generated"


def restore(session: Session, course: Course, lesson: Lesson, number: int) -> Lesson:
    """Put a kept version back; the current one is kept as a version first."""
    _ensure_editable(course)
    lock(session, course, lesson)
    snap = version_of(session, lesson, number).snapshot
    keep_version(session, lesson, RESTORED)
    lesson.title = snap["title"]
    lesson.description = snap.get("description") or ""
    lesson.key_concepts = list(snap.get("key_concepts") or [])
    lesson.learning_objectives = list(snap.get("learning_objectives") or [])
    lesson.sources = list(snap.get("sources") or [])
    lesson.plan = snap.get("plan") or lesson.plan
    if lesson.body is not None and snap.get("content") is not None:
        lesson.body.content_json = snap["content"]
    lesson.checks = [
        LessonCheck(position=i, kind=c["kind"], question=c["question"], options=c["options"],
                    answer=c["answer"], explanation=c["explanation"], source=c["source"])
        for i, c in enumerate(snap.get("checks") or [])
    ]  # fmt: skip
    lesson.generated_at = _parse(snap.get("generated_at"))
    lesson.edited_at = _parse(snap.get("edited_at"))
    rerender(lesson)
    return lesson


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- order ------------------------------------------------------------------------------------


def reorder(session: Session, course: Course, lesson_ids: Sequence[uuid.UUID]) -> list[Lesson]:
    """Number the course's lessons 1..n in the order given (every lesson, once)."""
    _ensure_editable(course)
    lock(session, course)
    lessons = list(session.scalars(select(Lesson).where(Lesson.course_id == course.id)))
    by_id = {lesson.id: lesson for lesson in lessons}
    if any(i not in by_id for i in lesson_ids):
        raise LessonNotFound("One of these lessons is not a lesson of this course")
    if len(lesson_ids) != len(by_id) or set(lesson_ids) != set(by_id):
        missing = len(by_id) - len(set(lesson_ids))
        raise LessonOrderInvalid(
            f"List every lesson of the course once ({len(by_id)}); {missing} are missing",
            details=[ORDER_ISSUE],
        )
    wanted = {lesson_id: n for n, lesson_id in enumerate(lesson_ids, start=1)}
    if all(wanted[lesson.id] == lesson.lesson_number for lesson in lessons):
        return sorted(lessons, key=lambda lesson: lesson.lesson_number)
    # Two passes, so (course, number) stays unique after every statement on every database.
    for step in ("park", "place"):
        for lesson in lessons:
            number = -wanted[lesson.id] if step == "park" else wanted[lesson.id]
            session.execute(
                update(Lesson).where(Lesson.id == lesson.id).values(lesson_number=number),
                execution_options={"synchronize_session": False},
            )
    session.expire_all()
    ordered = sorted(session.scalars(select(Lesson).where(Lesson.course_id == course.id)),
                     key=lambda lesson: lesson.lesson_number)  # fmt: skip
    for lesson in ordered:
        rerender(lesson)
    return ordered


def move(session: Session, course: Course, lesson: Lesson, step: int) -> Lesson:
    """Move a lesson one place up (-1) or down (+1); at either end it stays."""
    order = [item.id for item in sorted(course.lessons, key=lambda item: item.lesson_number)]
    at = order.index(lesson.id)
    to = max(0, min(len(order) - 1, at + step))
    if to != at:
        order.insert(to, order.pop(at))
        reorder(session, course, order)
    return lesson
