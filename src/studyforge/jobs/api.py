"""`/api/jobs`: read, list, cancel, and follow progress as Server-Sent Events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.db import SessionDep
from studyforge.events.models import OutboxEvent
from studyforge.events.service import stream_after
from studyforge.events.sse import AfterQuery, LastEventIdHeader, sse_response, start_after
from studyforge.jobs.models import TERMINAL, Job, JobStatus
from studyforge.jobs.schemas import JobOut
from studyforge.jobs.service import cancel_job, get_job, list_jobs_stmt, read_job_row
from studyforge.kit.pagination import Page, PageDep, paginate
from studyforge.openapi import EventStream

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


def _job(job_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Job:
    return get_job(session, job_id, user.id)


JobDep = Annotated[Job, Depends(_job)]


@router.get("", response_model=Page[JobOut])
def list_jobs(
    session: SessionDep, user: CurrentUser, page: PageDep, status: JobStatus | None = None
) -> dict[str, object]:
    """The caller's jobs, newest first."""
    return paginate(session, list_jobs_stmt(user.id, status), page)


@router.get("/{job_id}", response_model=JobOut)
async def read_job(request: Request, job_id: uuid.UUID, user: CurrentUser) -> dict[str, object]:
    """One job with its progress."""
    platform = request.app.state.platform
    row: dict[str, object] = await platform.read(read_job_row, job_id, user.id)
    return row


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(row: JobDep, session: SessionDep) -> Job:
    """Cancel a job (queued: at once; running: at its next progress report)."""
    return cancel_job(session, row)


@router.get("/{job_id}/events", response_class=EventStream)
async def events(
    request: Request,
    row: JobDep,
    last_event_id: LastEventIdHeader = None,
    after: AfterQuery = None,
) -> StreamingResponse:
    """Progress as Server-Sent Events; resumes after `Last-Event-ID`; ends with the job."""
    job_id = row.id

    def fetch(session: Session, since: int) -> tuple[list[OutboxEvent], bool]:
        job = session.get(Job, job_id)
        finished = job is None or job.status in TERMINAL
        return stream_after(session, [job_id], since), finished

    return sse_response(request, fetch, start_after(after, last_event_id))
