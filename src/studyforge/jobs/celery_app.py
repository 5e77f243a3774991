"""The Celery application: `studyforge.run_job(job_id)`, executed by the Executor, and the same
under the names a specification gives its tasks (`tasks.repository_clone_task`...; a job kind
says which with `@job(..., task=...)`).

Messages are acknowledged late and rejected when a worker is lost, so a killed worker's job is
delivered again; the database claim makes the second delivery harmless if the first finished.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from celery import Celery

QUEUES = ("default", "repo_analysis", "ai_processing")


def make_celery(broker_url: str, lease_seconds: float) -> Celery:
    """Build a Celery app for `broker_url` (redis:// or amqp://)."""
    app = Celery("studyforge", broker=broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue="default",
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        broker_transport_options={
            # Redis redelivers unacknowledged messages after this; the sweeper covers the gap.
            "visibility_timeout": max(int(lease_seconds * 4), 60),
        },
        task_ignore_result=True,
        result_backend=None,
    )
    return app


def register_run_job(app: Celery, run: Callable[[uuid.UUID], float | None]) -> None:
    """Attach the worker-side tasks that execute a job by id (retrying with its backoff): one
    per task name of the registered job kinds."""
    from studyforge.jobs.registry import REGISTRY, RUN_JOB

    def run_job(self: Any, job_id: str) -> None:
        delay = run(uuid.UUID(job_id))
        if delay is not None:
            queue = (self.request.delivery_info or {}).get("routing_key") or "default"
            app.send_task(self.name, args=[job_id], queue=queue, countdown=delay)

    for name in sorted({RUN_JOB, *(spec.task for spec in REGISTRY.values())}):
        app.task(name=name, bind=True, acks_late=True, reject_on_worker_lost=True)(run_job)
