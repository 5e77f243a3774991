"""`/api/jobs`: read, list, cancel, and follow progress as Server-Sent Events."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from studyforge.auth.deps import CurrentUser
from studyforge.db import SessionDep
from studyforge.events.service import envelope, stream_after
from studyforge.jobs.models import TERMINAL, Job, JobStatus
from studyforge.jobs.schemas import JobOut
from studyforge.jobs.service import cancel_job, get_job, list_jobs_stmt
from studyforge.kit.pagination import Page, PageDep, paginate

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
def read_job(row: JobDep) -> Job:
    """One job with its progress."""
    return row


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(row: JobDep, session: SessionDep) -> Job:
    """Cancel a job (queued: at once; running: at its next progress report)."""
    return cancel_job(session, row)


@router.get("/{job_id}/events")
async def events(
    request: Request,
    row: JobDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> StreamingResponse:
    """Progress as Server-Sent Events; resumes after `Last-Event-ID`; ends with the job."""
    start = after if after is not None else _parse_last_id(last_event_id)
    stream = _sse(request, row.id, start)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _parse_last_id(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


async def _sse(request: Request, job_id: uuid.UUID, after: int) -> AsyncIterator[str]:
    sessions = request.app.state.platform.sessions
    poll = request.app.state.platform.settings.events_poll_seconds / 4
    idle = 0.0

    def fetch() -> tuple[list[dict[str, object]], bool]:
        with sessions() as s:
            # Status first: if it is terminal now, the batch read after it holds the last event.
            job = s.get(Job, job_id)
            finished = job is None or job.status in TERMINAL
            return [envelope(e) for e in stream_after(s, job_id, after)], finished

    yield "retry: 2000\n\n"
    while True:
        batch, finished = await anyio.to_thread.run_sync(fetch)
        for item in batch:
            after = int(str(item["seq"]))
            yield f"id: {after}\nevent: {item['type']}\ndata: {json.dumps(item)}\n\n"
        if finished and not batch:
            return
        if batch:
            idle = 0.0
            continue
        if await request.is_disconnected():
            return
        idle += poll
        if idle >= 15:
            idle = 0.0
            yield ": keep-alive\n\n"
        await anyio.sleep(poll)
