"""Background jobs: the `@job` registry, `enqueue`, and the inline / Celery runners.

Jobs are rows (`jobs` table). A job function takes a `JobContext` plus ids and primitives.
`enqueue` writes the row in the caller's transaction and hands the id to the runner only after
commit. Runners claim a row atomically (QUEUED -> RUNNING), so a duplicate delivery never runs a
job twice, and a sweeper re-queues jobs whose worker died (stale heartbeat).
"""

from studyforge.jobs.registry import JobCancelled, JobContext, enqueue, job

__all__ = ["JobCancelled", "JobContext", "enqueue", "job"]
