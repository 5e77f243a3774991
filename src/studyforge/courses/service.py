"""Course use cases shared by HTTP and RabbitMQ: request, read, list, retry, delete."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, cast, delete, select
from sqlalchemy.orm import Session

from studyforge.courses.models import Course, CourseStatus, Lesson
from studyforge.courses.schemas import CourseRequest
from studyforge.documents.service import existing_ids
from studyforge.errors import AppError, Conflict, NotFound
from studyforge.events.service import emit
from studyforge.jobs import enqueue
from studyforge.jobs.service import cancel_subject_job

STATUS_EVENT = "course.status"


class CourseNotFound(NotFound):
    code = "COURSE_NOT_FOUND"


class CourseNotFailed(Conflict):
    code = "COURSE_NOT_FAILED"


class UnknownDocuments(AppError):
    """Chosen ids that are not the caller's documents (whether they exist is never said).

    `details` has the shape of a validation error's: one issue per refused id, at its index.
    """

    status = 422
    code = "UNKNOWN_DOCUMENTS"

    def __init__(self, unknown: dict[int, str]) -> None:
        ids = list(unknown.values())
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        verb = "are not your documents" if len(ids) > 1 else "is not one of your documents"
        issues = [
            {"loc": ["body", "document_ids", i], "msg": "not one of your documents",
             "type": "unknown_document"}
            for i in unknown
        ]  # fmt: skip
        super().__init__(f"document_ids: {shown} {verb}", details=issues)
        self.ids = ids


def status_message(request_id: str, status: str, message: str, **extra: Any) -> dict[str, Any]:
    """A status message in the specification's format."""
    body = {"request_id": request_id, "status": status, "message": message, **extra}
    body["timestamp"] = datetime.now(UTC).isoformat()
    return body


def emit_status(session: Session, course: Course, status: str, message: str, **extra: Any) -> None:
    """Record a `course.status` event (relayed to RabbitMQ's status route) with the change."""
    payload = status_message(course.request_id, status, message, **extra)
    emit(session, STATUS_EVENT, payload, stream_id=course.id, user_id=course.user_id)


def request_course(
    session: Session, user_id: uuid.UUID, req: CourseRequest, *, check_documents: bool = False
) -> Course:
    """Record a QUEUED course and queue its generation; a `request_id` the user already sent
    returns its course (ids are scoped per user: another user's ids are neither seen nor taken).

    With `check_documents` (HTTP and the pages), chosen ids that are not the user's documents
    are an `UnknownDocuments` 422. A broker request is not refused here (its consumer
    dead-letters only schema errors): its generation, scoped to the user, fails saying so.
    """
    request_id = req.request_id or str(uuid.uuid4())
    existing = find_by_request(session, user_id, request_id)
    if existing is not None:
        return existing
    if check_documents:
        own_documents(session, user_id, req.document_ids)
    course = Course(user_id=user_id, request_id=request_id, status=CourseStatus.QUEUED)
    _set_request(course, req)
    session.add(course)
    session.flush()
    emit_status(session, course, "processing", f"Generating course for '{course.topic}'")
    _start(session, course)
    return course


def _set_request(course: Course, req: CourseRequest) -> None:
    course.topic = req.topic
    course.grade_level = req.grade_level
    course.num_lessons = req.num_lessons
    course.source_filter = req.source_filter
    course.document_ids = None if req.document_ids is None else [str(i) for i in req.document_ids]
    course.allow_ungrounded = req.allow_ungrounded


def own_documents(session: Session, user_id: uuid.UUID, ids: Iterable[uuid.UUID] | None) -> None:
    """Raise `UnknownDocuments` unless every id is one of the user's documents."""
    wanted = list(ids or ())
    if not wanted:
        return
    found = existing_ids(session, user_id, wanted)
    unknown = {n: str(i) for n, i in enumerate(wanted) if i not in found}
    if unknown:
        raise UnknownDocuments(unknown)


def same_request(course: Course, req: CourseRequest) -> bool:
    """Whether `req` asks for exactly what the course was asked for."""
    chosen = None if req.document_ids is None else [str(i) for i in req.document_ids]
    return (course.topic, course.grade_level, course.num_lessons, course.source_filter,
            course.document_ids) == (req.topic, req.grade_level, req.num_lessons,
                                     req.source_filter, chosen)  # fmt: skip


def find_by_request(session: Session, user_id: uuid.UUID, request_id: str) -> Course | None:
    """The user's course made for a request id, if any."""
    return session.scalar(
        select(Course).where(Course.user_id == user_id, Course.request_id == request_id)
    )


def _start(session: Session, course: Course) -> None:
    job = enqueue(session, "courses.generate", user_id=course.user_id, course_id=str(course.id))
    course.job_id = job.id


def get_course(session: Session, course_id: uuid.UUID, user_id: uuid.UUID) -> Course:
    """The caller's course, or 404."""
    course = session.get(Course, course_id)
    if course is None or course.user_id != user_id:
        raise CourseNotFound("Course not found")
    return course


def list_courses_stmt(user_id: uuid.UUID, status: CourseStatus | None) -> Select[Any]:
    """The caller's courses, newest first, optionally by status."""
    stmt = select(Course).where(Course.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Course.status == status)
    return stmt.order_by(Course.created_at.desc(), Course.id)


class RepositoryCourse(Conflict):
    code = "REPOSITORY_COURSE"


def _not_repository(course: Course) -> None:
    if course.from_repository:
        raise RepositoryCourse("A repository course is made stage by stage: start its failed "
                               "stage again from /api/courses/{course_id}/...")  # fmt: skip


def retry(session: Session, course: Course) -> Course:
    """Generate a FAILED course again, from scratch."""
    _not_repository(course)
    if course.status is not CourseStatus.FAILED:
        raise CourseNotFailed(f"only a FAILED course can be retried (this one is {course.status})")
    session.execute(delete(Lesson).where(Lesson.course_id == course.id))
    course.status = CourseStatus.QUEUED
    course.error_message = None
    emit_status(session, course, "processing", f"Generating course for '{course.topic}'")
    _start(session, course)
    return course


def resubmit(session: Session, course: Course, req: CourseRequest) -> Course:
    """Change a FAILED course's request (topic, grade, lessons, sources) and generate it again.

    The course keeps its id, page and `request_id`: it is the same course asked for again, so
    a link to it still works and its request id still de-duplicates (sending it again returns
    this course, as the edited request). What the failed run left is cleared with it.
    """
    _not_repository(course)
    if course.status is not CourseStatus.FAILED:
        raise CourseNotFailed(f"only a FAILED course can be edited (this one is {course.status})")
    own_documents(session, course.user_id, req.document_ids)
    _set_request(course, req)
    course.title = course.slug = course.description = None
    course.outline = course.sources = course.grounded = None
    return retry(session, course)


def delete_course(session: Session, course: Course) -> None:
    """Delete the course and its lessons; a running generation is cancelled."""
    cancel_subject_job(session, course.job_id)
    session.delete(course)


def _document_ids(sources: Iterable[dict[str, Any] | None]) -> set[str]:
    return {str(s["document_id"]) for s in sources if s and s.get("document_id")}


def cited_documents(course: Course) -> set[str]:
    """Ids of every document the course's sources, lessons and checks cite."""
    ids = _document_ids(course.sources or [])
    for lesson in course.lessons:
        ids |= _document_ids(lesson.sources)
        ids |= _document_ids(check.source for check in lesson.checks)
    return ids


def removed_documents(session: Session, course: Course) -> frozenset[str]:
    """Ids of the documents the course cites that no longer exist (deleted since)."""
    cited = cited_documents(course)
    wanted = {uuid.UUID(i) for i in cited if _is_uuid(i)}
    return frozenset(cited - {str(i) for i in existing_ids(session, course.user_id, wanted)})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def citing_courses(session: Session, user_id: uuid.UUID, document_id: uuid.UUID) -> list[Course]:
    """The user's courses whose sources cite the document, newest first."""
    needle = str(document_id)
    # The JSON text narrows the candidates in the database; the parsed sources decide.
    stmt = list_courses_stmt(user_id, None).where(
        cast(Course.sources, String).contains(needle, autoescape=True)
    )
    return [c for c in session.scalars(stmt) if needle in _document_ids(c.sources or [])]


def slugify(title: str) -> str:
    """A URL slug: lower-case ASCII words joined by hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80] or "course"


def unique_slug(session: Session, course: Course, title: str, suffixed: bool = False) -> str:
    """The title's slug, suffixed by the course id when the user already has that slug."""
    base = slugify(title)
    if suffixed:
        return f"{base}-{course.id.hex[:8]}"
    taken = set(
        session.scalars(
            select(Course.slug).where(
                Course.user_id == course.user_id,
                Course.id != course.id,
                Course.slug.like(f"{base}%"),
            )
        )
    )
    if base not in taken:
        return base
    return f"{base}-{course.id.hex[:8]}"
