"""The two runners (inline thread pool, Celery) and the sweeper that rescues stranded jobs."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from studyforge.db import utcnow
from studyforge.events.service import emit
from studyforge.jobs.execute import Executor, transition
from studyforge.jobs.models import Job, JobStatus
from studyforge.jobs.registry import REGISTRY, RUN_JOB, snapshot
from studyforge.kit.periodic import Periodic

log = logging.getLogger(__name__)


class Runner(Protocol):
    """Sends a committed job id to whatever executes it."""

    def dispatch(
        self, job_id: uuid.UUID, queue_name: str, delay: float = 0.0, kind: str | None = None
    ) -> None: ...

    def close(self) -> None: ...


class InlineRunner:
    """A bounded pool of daemon threads inside the server process."""

    def __init__(self, executor: Executor, workers: int) -> None:
        self.executor = executor
        self._queue: queue.Queue[uuid.UUID | None] = queue.Queue()
        self._pending: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._timers: set[threading.Timer] = set()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def dispatch(
        self, job_id: uuid.UUID, queue_name: str = "default", delay: float = 0.0,
        kind: str | None = None,
    ) -> None:  # fmt: skip
        """Queue a job id now, or after `delay` seconds."""
        if delay > 0:
            timer = threading.Timer(delay, self.dispatch, args=(job_id, queue_name))
            timer.daemon = True
            with self._lock:
                self._timers.add(timer)
            timer.start()
            return
        with self._lock:
            if self._closed or job_id in self._pending:
                return
            self._pending.add(job_id)
        self._queue.put(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                self._pending.discard(job_id)
            try:
                delay = self.executor.run(job_id)
            except Exception:  # the executor records failures; this guards the thread itself
                log.exception("inline runner crashed on job %s", job_id)
                continue
            if delay is not None:
                self.dispatch(job_id, delay=delay)

    def close(self) -> None:
        """Stop taking work; running jobs are abandoned and recovered on the next start."""
        with self._lock:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
        for _ in self._threads:
            self._queue.put(None)


class CeleryRunner:
    """Sends job ids to Celery workers (`studyforge worker`), one queue per job kind's queue."""

    def __init__(self, celery_app: Any) -> None:
        self.app = celery_app

    def dispatch(
        self, job_id: uuid.UUID, queue_name: str = "default", delay: float = 0.0,
        kind: str | None = None,
    ) -> None:  # fmt: skip
        """Publish the job id to the broker, as the Celery task its kind names."""
        spec = REGISTRY.get(kind) if kind else None
        self.app.send_task(
            spec.task if spec else RUN_JOB,
            args=[str(job_id)],
            queue=queue_name,
            countdown=delay or None,
        )

    def close(self) -> None:
        """Release broker connections."""
        self.app.close()


def requeue_orphans(sessions: sessionmaker[Session]) -> int:
    """Inline mode start-up: jobs RUNNING in a previous (dead) server go back to QUEUED."""
    with sessions.begin() as s:
        rows = list(s.scalars(select(Job).where(Job.status == JobStatus.RUNNING)))
        for row in rows:
            row.status = JobStatus.QUEUED
            row.current_step = "Recovered after restart"
            s.flush()
            emit(s, "job.requeued", snapshot(row), stream_id=row.id, user_id=row.user_id)
        return len(rows)


class NullRunner:
    """For short-lived client processes: jobs are left QUEUED for the server's sweeper."""

    def dispatch(
        self, job_id: uuid.UUID, queue_name: str = "default", delay: float = 0.0,
        kind: str | None = None,
    ) -> None:  # fmt: skip
        """Do nothing; the serving process picks the job up."""

    def close(self) -> None:
        """Nothing to release."""


def sweep(
    sessions: sessionmaker[Session], runner: Runner, lease: float, resend_after: float
) -> int:
    """Re-queue jobs whose worker died and re-send queued jobs not sent for `resend_after` s."""
    now = utcnow()
    stale = now - timedelta(seconds=lease)
    forgotten = now - timedelta(seconds=resend_after)
    with sessions.begin() as s:
        dead = list(
            s.scalars(select(Job).where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < stale))
        )
        for row in dead:
            transition(
                s, row, JobStatus.QUEUED, "job.requeued", current_step="Worker lost; re-queued"
            )
        last_sent = func.coalesce(Job.dispatched_at, Job.updated_at)
        waiting = list(
            s.execute(
                select(Job.id, Job.queue, Job.kind).where(
                    Job.status == JobStatus.QUEUED,
                    or_(Job.run_after.is_(None), Job.run_after <= now),
                    or_(Job.id.in_([r.id for r in dead]), and_(last_sent < forgotten)),
                )
            )
        )
        if waiting:
            s.execute(
                update(Job)
                .where(Job.id.in_([w.id for w in waiting]))
                .values(dispatched_at=now)
                .execution_options(synchronize_session=False)
            )
    for job_id, queue_name, kind in waiting:
        runner.dispatch(job_id, queue_name, kind=kind)
    return len(waiting)


class Sweeper(Periodic):
    """Runs `sweep` every half lease (at most every 5 s) in a daemon thread."""

    def __init__(
        self, sessions: sessionmaker[Session], runner: Runner, lease: float, resend_after: float
    ) -> None:
        super().__init__(
            "job sweep", min(lease / 2, 5.0), lambda: sweep(sessions, runner, lease, resend_after)
        )


def dispatch_queued(sessions: sessionmaker[Session], runner: Runner) -> int:
    """Send every QUEUED job to the runner (used when an inline server starts)."""
    now = utcnow()
    with sessions() as s:
        rows = list(
            s.execute(
                select(Job.id, Job.queue, Job.run_after, Job.kind).where(
                    Job.status == JobStatus.QUEUED
                )
            )
        )
    for job_id, queue_name, run_after, kind in rows:
        delay = (run_after - now).total_seconds() if run_after else 0.0
        runner.dispatch(job_id, queue_name, max(delay, 0.0), kind=kind)
    return len(rows)
