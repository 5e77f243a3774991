"""`/api/courses/{id}/lessons/...`: edit a lesson, regenerate it alone, reorder the lessons,
and read or restore the versions a lesson kept."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.courses import editing, service
from studyforge.courses.editing_schemas import (
    EditableLesson,
    LessonEdit,
    LessonOrder,
    LessonPlace,
    RegenerateRequest,
    VersionOut,
    VersionSummary,
)
from studyforge.courses.models import Course, Lesson, LessonVersion
from studyforge.courses.schemas import REMOVED, LessonOut
from studyforge.db import SessionDep
from studyforge.jobs.models import Job
from studyforge.jobs.schemas import JobOut
from studyforge.kit.limits import MAX_INT64
from studyforge.openapi import errors

router = APIRouter(prefix="/api/courses", tags=["lesson editing"])
LESSON = "/{course_id}/lessons/{lesson_number:int}"
LessonNumber = Annotated[int, Path(ge=1, le=1000, description="the lesson's number (1..n)")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT64, description="the version's number")]
BUILDING = {409: "the course is still being written"}
EDIT_CONFLICT = (
    "the course is being written, the lesson changed since `revision`, or an `origin` names no "
    "paragraph of the current text"
)
REGENERATE_CONFLICT = (
    "the lesson has your edits (send `replace_edits`), or the course is still being written"
)


def _course(course_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Course:
    return service.get_course(session, course_id, user.id)


CourseDep = Annotated[Course, Depends(_course)]


def _lesson(course: CourseDep, lesson_number: LessonNumber) -> Lesson:
    return editing.lesson_of(course, lesson_number)


LessonDep = Annotated[Lesson, Depends(_lesson)]


def editable(session: Session, course: Course, lesson: Lesson) -> EditableLesson:
    """The lesson as the API shows it, with its edit time and revision."""
    removed = service.removed_documents(session, course)
    out = LessonOut.model_validate(lesson, context={REMOVED: removed})
    extra = {"edited_at": lesson.edited_at, "revision": editing.revision(lesson)}
    return EditableLesson.model_validate({**out.model_dump(), **extra})


def summary(version: LessonVersion) -> VersionSummary:
    """A kept version without its content."""
    snap = version.snapshot
    return VersionSummary(
        number=version.number,
        created_at=version.created_at,
        reason=version.reason,
        title=str(snap.get("title") or ""),
        origin=editing.origin(snap),
    )


@router.get(LESSON, response_model=EditableLesson)
def read_lesson(course: CourseDep, lesson: LessonDep, session: SessionDep) -> EditableLesson:
    """One lesson, with the `revision` to send back with an edit."""
    return editable(session, course, lesson)


@router.patch(
    LESSON,
    response_model=EditableLesson,
    responses=errors({409: EDIT_CONFLICT}),
)
def edit_lesson(
    body: LessonEdit, course: CourseDep, lesson: LessonDep, session: SessionDep
) -> EditableLesson:
    """Edit a lesson's title, description, objectives, text or summary.

    The version it replaces is kept (see `.../versions`). A paragraph with an `origin` keeps
    that paragraph's citations; a paragraph without one is your own text and cites nothing.
    """
    return editable(session, course, editing.edit_lesson(session, course, lesson, body))


@router.post(
    f"{LESSON}/regenerate",
    status_code=202,
    response_model=JobOut,
    responses=errors({409: REGENERATE_CONFLICT}),
)
def regenerate(
    course: CourseDep,
    lesson: LessonDep,
    session: SessionDep,
    body: RegenerateRequest | None = None,
) -> Job:
    """Write this lesson again, alone, from the course's sources with the course's provider.

    Answers with the job (follow it at `/api/jobs/{id}`). The lesson it replaces is kept.
    """
    replace = body.replace_edits if body is not None else False
    job = editing.request_regeneration(session, course, lesson, replace)
    session.flush()
    session.refresh(job)
    return job


@router.post(
    "/{course_id}/lessons/order",
    response_model=list[LessonPlace],
    responses=errors(BUILDING),
)
def reorder(body: LessonOrder, course: CourseDep, session: SessionDep) -> list[Lesson]:
    """Put the lessons in this order (every lesson of the course, once): they are numbered
    1..n by it everywhere. An id that is not a lesson of the course is a 404; a list that
    leaves a lesson out is a 422."""
    return editing.reorder(session, course, body.lesson_ids)


@router.get(f"{LESSON}/versions", response_model=list[VersionSummary])
def list_versions(lesson: LessonDep, session: SessionDep) -> list[VersionSummary]:
    """The versions the lesson kept, newest first: each was replaced by an edit, a
    regeneration or a restore (`reason`)."""
    return [summary(version) for version in editing.versions(session, lesson)]


@router.get(f"{LESSON}/versions/{{version:int}}", response_model=VersionOut)
def read_version(lesson: LessonDep, version: VersionNumber, session: SessionDep) -> VersionOut:
    """One kept version with its content: title, objectives, text, sources and checks."""
    found = editing.version_of(session, lesson, version)
    return VersionOut(**summary(found).model_dump(), snapshot=found.snapshot)


@router.post(
    f"{LESSON}/versions/{{version:int}}/restore",
    response_model=EditableLesson,
    responses=errors(BUILDING),
)
def restore(
    course: CourseDep, lesson: LessonDep, version: VersionNumber, session: SessionDep
) -> EditableLesson:
    """Put a kept version back; the lesson as it is now is kept as a version first."""
    return editable(session, course, editing.restore(session, course, lesson, version))
