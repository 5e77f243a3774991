"""Reading and cancelling jobs on behalf of their owner."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from studyforge.db import utcnow
from studyforge.errors import NotFound
from studyforge.events.service import emit
from studyforge.jobs.models import TERMINAL, Job, JobStatus
from studyforge.jobs.registry import REGISTRY, snapshot
from studyforge.jobs.schemas import JobOut


class JobNotFound(NotFound):
    """No such job for this user."""

    code = "JOB_NOT_FOUND"


def get_job(session: Session, job_id: uuid.UUID, user_id: uuid.UUID) -> Job:
    """The caller's job, or 404 (also for another user's job)."""
    row = session.get(Job, job_id)
    if row is None or row.user_id != user_id:
        raise JobNotFound("Job not found")
    return row


_JOB_OUT = select(
    *(column for column in Job.__table__.c if column.name in JobOut.model_fields),
    Job.user_id,
).where(Job.id == bindparam("job_id"))


def read_job_row(conn: Connection, job_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
    """The caller's job as `JobOut`'s fields, read without the ORM (the most-polled endpoint)."""
    row = conn.execute(_JOB_OUT, {"job_id": job_id}).mappings().one_or_none()
    if row is None or row["user_id"] != user_id:
        raise JobNotFound("Job not found")
    return dict(row)


def list_jobs_stmt(user_id: uuid.UUID, status: JobStatus | None = None) -> Select[Job]:
    """Select the caller's jobs, newest first."""
    stmt = select(Job).where(Job.user_id == user_id).order_by(Job.created_at.desc())
    if status is not None:
        stmt = stmt.where(Job.status == status)
    return stmt


def jobs_by_id(
    session: Session, user_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Job]:
    """The caller's jobs among `ids`, by id (none asked, no query)."""
    if not ids:
        return {}
    stmt = list_jobs_stmt(user_id).where(Job.id.in_(list(ids)))
    return {job.id: job for job in session.scalars(stmt)}


def cancel_subject_job(session: Session, job_id: uuid.UUID | None) -> None:
    """Cancel the job working on a row that is being deleted, if it has not ended."""
    row = session.get(Job, job_id) if job_id is not None else None
    if row is not None and row.status not in TERMINAL:
        cancel_job(session, row)


def cancel_job(session: Session, row: Job) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    if row.status in TERMINAL:
        return row
    row.cancel_requested = True
    if row.status is JobStatus.QUEUED:
        row.status = JobStatus.CANCELLED
        row.finished_at = utcnow()
        row.error = "Cancelled"
        kind = "job.cancelled"
        spec = REGISTRY.get(row.kind)
        if spec is not None and spec.on_failure is not None:  # its subject ends with it
            spec.on_failure(session, row)
    else:
        kind = "job.cancel_requested"
    session.flush()
    emit(session, kind, snapshot(row), stream_id=row.id, user_id=row.user_id)
    return row
