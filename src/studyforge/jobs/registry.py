"""The `@job` registry, `enqueue`, and the context a running job reports progress through."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from studyforge.ai.llm import Usage
from studyforge.db import after_commit, utcnow
from studyforge.errors import AppError, TransientError
from studyforge.events.service import emit
from studyforge.jobs.models import Job, JobStatus


class UnknownJob(AppError):
    """A job kind nobody registered."""

    code = "UNKNOWN_JOB"
    status = 500


class JobCancelled(Exception):
    """Raised inside a job when its cancellation was requested."""


RUN_JOB = "studyforge.run_job"


@dataclass(frozen=True)
class JobSpec:
    """A registered job kind."""

    name: str
    func: Callable[..., dict[str, Any] | None]
    queue: str = "default"
    max_attempts: int | None = None
    transient: tuple[type[BaseException], ...] = (TransientError,)
    # Called in the transaction that records a final FAILED or CANCELLED outcome, so the job's
    # domain row (a document, a course) can never stay "processing" after its job ended.
    on_failure: Callable[[Session, Job], None] | None = None
    # The Celery task that runs it (a specification may name its tasks; all run the job by id).
    task: str = RUN_JOB


REGISTRY: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    queue: str = "default",
    max_attempts: int | None = None,
    transient: tuple[type[BaseException], ...] = (TransientError,),
    on_failure: Callable[[Session, Job], None] | None = None,
    task: str = RUN_JOB,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `func(ctx, **params)` as the job kind `name` (params: ids and primitives);
    `task`: the name of the Celery task it runs as."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"job {name!r} registered twice")
        REGISTRY[name] = JobSpec(name, func, queue, max_attempts, transient, on_failure, task)
        return func

    return register


def get_spec(name: str) -> JobSpec:
    """The spec of a registered job kind."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownJob(f"No job named {name!r} is registered") from None


Dispatch = Callable[[Job], None]


def enqueue(
    session: Session,
    name: str,
    *,
    user_id: uuid.UUID | None = None,
    max_attempts: int | None = None,
    **params: Any,
) -> Job:
    """Create a QUEUED job row; it is sent to the runner only once the session commits."""
    spec = get_spec(name)
    dispatch: Dispatch = session.info["dispatch"]
    default_attempts: int = session.info.get("default_max_attempts", 3)
    row = Job(
        kind=name,
        queue=spec.queue,
        user_id=user_id,
        params=params,
        max_attempts=max_attempts or spec.max_attempts or default_attempts,
        status=JobStatus.QUEUED,
    )
    session.add(row)
    session.flush()
    emit(session, "job.queued", snapshot(row), stream_id=row.id, user_id=user_id)
    after_commit(session, lambda: dispatch(row))
    return row


def snapshot(row: Job) -> dict[str, Any]:
    return {
        "job_id": str(row.id),
        "kind": row.kind,
        "status": row.status.value,
        "stage": row.stage,
        "progress": row.progress,
        "current_step": row.current_step,
        "error": row.error,
        "attempts": row.attempts,
    }


@dataclass
class JobContext:
    """What a running job sees: its id, params, a session for its work, and progress reporting.

    `session` is the job's unit of work: the runner commits it together with SUCCEEDED. A job
    that wants partial results visible early (a lesson at a time) may commit it itself.
    """

    job_id: uuid.UUID
    kind: str
    attempt: int
    user_id: uuid.UUID | None
    session: Session
    sessions: sessionmaker[Session]
    services: Any = None
    _last: dict[str, Any] = field(default_factory=dict)

    def progress(self, percent: int, step: str | None = None, stage: str | None = None) -> None:
        """Record progress (committed at once, in its own transaction) and honour cancel."""
        percent = max(0, min(100, int(percent)))
        with self.sessions.begin() as s:
            row = s.get(Job, self.job_id)
            if row is None:
                raise JobCancelled("job row was deleted")
            if row.cancel_requested:
                raise JobCancelled("cancel requested")
            values: dict[str, Any] = {"progress": percent, "heartbeat_at": utcnow()}
            if step is not None:
                values["current_step"] = step[:500]
            if stage is not None:
                values["stage"] = stage[:100]
            s.execute(update(Job).where(Job.id == self.job_id).values(**values))
            s.refresh(row)
            emit(s, "job.progress", snapshot(row), stream_id=row.id, user_id=row.user_id)

    def record_usage(self, usage: Usage) -> None:
        """Add an AI call's tokens and estimated cost to the job row (own transaction)."""
        with self.sessions.begin() as s:
            row = s.get(Job, self.job_id)
            if row is not None:
                total = Usage(**(row.usage or {}))
                total.add(usage)
                row.usage = total.as_dict()

    def check_cancelled(self) -> None:
        """Raise JobCancelled if someone asked to cancel this job."""
        with self.sessions() as s:
            if s.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)):
                raise JobCancelled("cancel requested")
