"""`/api/courses`: request, list, read, follow live, retry, delete and export courses."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.courses import service
from studyforge.courses.export import course_document, course_zip
from studyforge.courses.models import Course, CourseStatus
from studyforge.courses.render import course_html, course_markdown
from studyforge.courses.schemas import (
    REMOVED,
    CourseOut,
    CourseQueued,
    CourseRequest,
    CourseSummary,
)
from studyforge.db import SessionDep
from studyforge.events.models import OutboxEvent
from studyforge.events.service import stream_after
from studyforge.events.sse import AfterQuery, LastEventIdHeader, sse_response, start_after
from studyforge.kit.pagination import Page, PageDep, paginate
from studyforge.openapi import TEXT, EventStream, content, errors

router = APIRouter(prefix="/api/courses", tags=["courses"])
FINAL = (CourseStatus.READY, CourseStatus.FAILED)


def _course(course_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Course:
    return service.get_course(session, course_id, user.id)


CourseDep = Annotated[Course, Depends(_course)]


def _queued(course: Course) -> CourseQueued:
    return CourseQueued(
        course_id=course.id,
        request_id=course.request_id,
        status=course.status,
        job_id=course.job_id,
    )


@router.post("", status_code=202, response_model=CourseQueued)
def request_course(body: CourseRequest, session: SessionDep, user: CurrentUser) -> CourseQueued:
    """Queue a course; the same `request_id` again returns the same course.

    `document_ids` that are not all your documents are a 422 (`UNKNOWN_DOCUMENTS`).
    """
    return _queued(service.request_course(session, user.id, body, check_documents=True))


@router.get("", response_model=Page[CourseSummary])
def list_courses(
    session: SessionDep, user: CurrentUser, page: PageDep, status: CourseStatus | None = None
) -> dict[str, object]:
    """My courses, newest first."""
    return paginate(session, service.list_courses_stmt(user.id, status), page)


@router.get("/{course_id}", response_model=CourseOut)
def read_course(course: CourseDep, session: SessionDep) -> CourseOut:
    """A course with its lessons; sources whose document was deleted have `removed: true`."""
    removed = service.removed_documents(session, course)
    return CourseOut.model_validate(course, context={REMOVED: removed})


@router.get("/{course_id}/events", response_class=EventStream)
async def course_events(
    request: Request,
    course: CourseDep,
    last_event_id: LastEventIdHeader = None,
    after: AfterQuery = None,
) -> StreamingResponse:
    """Status and progress as Server-Sent Events, until the course is READY or FAILED."""
    course_id = course.id

    def fetch(session: Session, since: int) -> tuple[list[OutboxEvent], bool]:
        row = session.get(Course, course_id)
        streams = [course_id] + ([row.job_id] if row is not None and row.job_id else [])
        finished = row is None or row.status in FINAL
        return stream_after(session, streams, since), finished

    return sse_response(request, fetch, start_after(after, last_event_id))


@router.post(
    "/{course_id}/retry",
    status_code=202,
    response_model=CourseQueued,
    responses=errors({409: "the course is not FAILED"}),
)
def retry(course: CourseDep, session: SessionDep) -> CourseQueued:
    """Generate a FAILED course again (409 for any other status)."""
    return _queued(service.retry(session, course))


@router.delete("/{course_id}", status_code=204)
def delete(course: CourseDep, session: SessionDep) -> Response:
    """Delete a course and its lessons (cancelling its generation if it is running)."""
    service.delete_course(session, course)
    return Response(status_code=204)


@router.get(
    "/{course_id}/export",
    response_class=Response,
    responses=content({"application/json": {}, "text/markdown": TEXT, "text/html": TEXT,
                       "application/zip": {"schema": {"type": "string", "format": "binary"}}}),
)  # fmt: skip
def export(
    course: CourseDep, session: SessionDep, format: Literal["json", "md", "html", "zip"] = "json"
) -> Response:
    """The course as the specification's course.json, as Markdown, as an HTML page, or all
    three in a zip (with one Markdown file per lesson)."""
    name = quote(course.slug or str(course.id), safe="")
    removed = service.removed_documents(session, course)
    if format == "json":
        document = course_document(course, removed)
        body, media = json.dumps(document, indent=2, default=str), "application/json"
    elif format == "zip":
        return Response(course_zip(course, removed), media_type="application/zip", headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}.zip"})  # fmt: skip
    elif format == "md":
        body, media = course_markdown(course, removed), "text/markdown; charset=utf-8"
    else:
        body, media = course_html(course, removed), "text/html; charset=utf-8"
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}.{format}"}
    return Response(body, media_type=media, headers=headers)
