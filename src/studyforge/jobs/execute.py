"""Run one job: claim it, execute it with a heartbeat, then record exactly one outcome.

The claim is an atomic UPDATE (QUEUED -> RUNNING, or a RUNNING row whose heartbeat is stale),
and the final UPDATE is fenced by the attempt number, so a duplicate message or a worker that
lost its lease can never record a second outcome: the job's own work commits with SUCCEEDED
in one transaction, or not at all.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from studyforge.db import utcnow
from studyforge.errors import AppError
from studyforge.events.service import emit
from studyforge.jobs.models import Job, JobStatus
from studyforge.jobs.registry import REGISTRY, JobCancelled, JobContext, get_spec, snapshot
from studyforge.kit.redact import redact

log = logging.getLogger(__name__)


class Heartbeat:
    """One thread that refreshes `heartbeat_at` of every job this process is running."""

    def __init__(self, sessions: sessionmaker[Session], interval: float) -> None:
        self.sessions = sessions
        self.interval = interval
        self._running: dict[uuid.UUID, int] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, job_id: uuid.UUID, attempt: int) -> None:
        """Start beating for a claimed job."""
        with self._lock:
            self._running[job_id] = attempt
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="job-heartbeat", daemon=True
                )
                self._thread.start()

    def remove(self, job_id: uuid.UUID) -> None:
        """Stop beating for a job."""
        with self._lock:
            self._running.pop(job_id, None)

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                running = dict(self._running)
            for job_id, attempt in running.items():
                try:
                    with self.sessions.begin() as s:
                        s.execute(
                            update(Job)
                            .where(Job.id == job_id, Job.attempts == attempt)
                            .where(Job.status == JobStatus.RUNNING)
                            .values(heartbeat_at=utcnow())
                        )
                except Exception as exc:  # a missed beat is harmless; keep beating the rest
                    log.warning("heartbeat for job %s failed: %r", job_id, exc)


class Executor:
    """Executes jobs by id against the database; shared by the inline and Celery runners."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        lease_seconds: float,
        backoff_seconds: float,
        services: Any = None,
    ) -> None:
        self.sessions = sessions
        self.lease = lease_seconds
        self.backoff = backoff_seconds
        self.services = services
        self.heartbeat = Heartbeat(sessions, max(lease_seconds / 3, 0.2))

    def claim(self, job_id: uuid.UUID) -> Job | None:
        """Atomically move a runnable job to RUNNING; None if someone else has it or it ended."""
        now = utcnow()
        stale = now - timedelta(seconds=self.lease)
        runnable = or_(
            and_(
                Job.status == JobStatus.QUEUED,
                or_(Job.run_after.is_(None), Job.run_after <= now),
            ),
            and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < stale),
        )
        with self.sessions.begin() as s:
            result = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.cancel_requested.is_(False), runnable)
                .values(
                    status=JobStatus.RUNNING,
                    attempts=Job.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    error=None,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = s.scalars(select(Job).where(Job.id == job_id)).one()
            emit(s, "job.started", snapshot(row), stream_id=row.id, user_id=row.user_id)
            return row

    def run(self, job_id: uuid.UUID) -> float | None:
        """Run a job if it can be claimed; returns a delay when it should be retried later."""
        row = self.claim(job_id)
        if row is None:
            return None
        spec = get_spec(row.kind)
        self.heartbeat.add(row.id, row.attempts)
        try:
            with self.sessions() as session:
                ctx = JobContext(
                    job_id=row.id,
                    kind=row.kind,
                    attempt=row.attempts,
                    user_id=row.user_id,
                    session=session,
                    sessions=self.sessions,
                    services=self.services,
                )
                try:
                    result = spec.func(ctx, **row.params)
                except JobCancelled:
                    session.rollback()
                    log.warning("job %s (%s) cancelled", row.id, row.kind)
                    self._finish(row, JobStatus.CANCELLED, "Cancelled")
                    return None
                except spec.transient as exc:
                    session.rollback()
                    return self._retry_or_fail(row, exc)
                except AppError as exc:
                    # An expected failure ("no passages match"): its message says it all.
                    session.rollback()
                    log.warning("job %s (%s) failed: %s", row.id, row.kind, _describe(exc))
                    self._finish(row, JobStatus.FAILED, _describe(exc))
                    return None
                except ValidationError as exc:  # data that broke its schema: say which
                    session.rollback()
                    log.warning("job %s (%s) failed: %s", row.id, row.kind, _invalid_data(exc))
                    self._finish(row, JobStatus.FAILED, _invalid_data(exc))
                    return None
                except Exception as exc:
                    session.rollback()
                    if self._cancel_requested(row):
                        # Its subject was deleted (or it was cancelled) while it ran: a write
                        # that then failed is the deletion's doing, not a fault.
                        log.warning("job %s (%s) cancelled while running: %s", row.id,
                                    row.kind, type(exc).__name__)  # fmt: skip
                        self._finish(row, JobStatus.CANCELLED, "Cancelled")
                        return None
                    log.exception("job %s (%s) failed", row.id, row.kind)
                    # Database and library messages stay in the log: they help nobody here.
                    self._finish(row, JobStatus.FAILED, INTERNAL_ERROR)
                    return None
                self._succeed(session, row, result)
                return None
        finally:
            self.heartbeat.remove(row.id)

    def _succeed(self, session: Session, row: Job, result: dict[str, Any] | None) -> None:
        values = {
            "progress": 100,
            "result": result,
            "finished_at": utcnow(),
            "current_step": "Done",
        }
        if transition(session, row, JobStatus.SUCCEEDED, "job.succeeded", **values):
            session.commit()
        else:
            # Another worker took the job over (our lease expired): discard our work.
            session.rollback()
            log.warning("job %s lost its lease; result discarded", row.id)

    def _retry_or_fail(self, row: Job, exc: BaseException) -> float | None:
        if row.attempts >= row.max_attempts:
            log.warning(
                "job %s (%s) failed after %d attempts: %s",
                row.id,
                row.kind,
                row.attempts,
                _describe(exc),
            )
            self._finish(row, JobStatus.FAILED, _describe(exc))
            return None
        delay = self.backoff * (2 ** (row.attempts - 1))
        with self.sessions.begin() as s:
            values = {
                "error": _describe(exc),
                "run_after": utcnow() + timedelta(seconds=delay),
                "dispatched_at": utcnow(),
            }
            if not transition(s, row, JobStatus.QUEUED, "job.retrying", **values):
                return None
        log.info("job %s will retry in %.1fs after %s", row.id, delay, _describe(exc))
        return delay

    def _cancel_requested(self, row: Job) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(Job.cancel_requested).where(Job.id == row.id)))

    def _finish(self, row: Job, status: JobStatus, error: str | None) -> None:
        kind = "job.cancelled" if status is JobStatus.CANCELLED else "job.failed"
        with self.sessions.begin() as s:
            transition(s, row, status, kind, error=error, finished_at=utcnow())


def transition(
    session: Session, row: Job, status: JobStatus, event: str, **values: Any
) -> Job | None:
    """Move a RUNNING job of attempt `row.attempts` to `status` and emit `event`.

    Fenced by the attempt number: returns None (and changes nothing) when another worker has
    taken the job over since, so only the current holder records an outcome.
    """
    done = session.execute(
        update(Job)
        .where(Job.id == row.id, Job.attempts == row.attempts)
        .where(Job.status == JobStatus.RUNNING)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    fresh = session.scalars(select(Job).where(Job.id == row.id)).one()
    session.refresh(fresh)
    emit(session, event, snapshot(fresh), stream_id=row.id, user_id=row.user_id)
    if status in (JobStatus.FAILED, JobStatus.CANCELLED):
        spec = REGISTRY.get(fresh.kind)
        if spec is not None and spec.on_failure is not None:
            spec.on_failure(session, fresh)
    return fresh


INTERNAL_ERROR = "Something went wrong on our side while running this job; it has been logged."


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AppError):
        return redact(exc.message)
    text = str(exc) or type(exc).__name__
    return redact(text)[:2000]


def _invalid_data(exc: ValidationError) -> str:
    """A validation failure as a user can act on it: which fields and why, never the rejected
    values, Pydantic's wording of its own types or its documentation links."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    fields = ", ".join(dict.fromkeys(".".join(str(p) for p in e["loc"]) or "value" for e in errors))
    return redact(
        f"The request or a generated result had invalid data ({fields}); "
        "check the request and try again, or retry the job"
    )
