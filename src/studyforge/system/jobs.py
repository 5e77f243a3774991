"""Built-in diagnostic jobs: measure the runner, prove recovery and retries end to end."""

from __future__ import annotations

import time
from typing import Any

from studyforge.errors import AppError, TransientError
from studyforge.events.service import emit
from studyforge.jobs import JobContext, job


@job("system.noop")
def noop(ctx: JobContext) -> dict[str, Any]:
    """Do nothing; used to measure runner overhead."""
    return {"ok": True}


@job("system.sleep")
def sleep(ctx: JobContext, steps: int = 5, seconds: float = 0.2) -> dict[str, Any]:
    """Sleep `steps` x `seconds`, reporting progress; records one `system.sleep.done` event."""
    steps = max(1, min(int(steps), 1000))
    for i in range(steps):
        ctx.progress(int(100 * i / steps), f"step {i + 1} of {steps}", stage="sleeping")
        time.sleep(float(seconds))
    # Written in the job's own transaction: it exists once exactly when the job succeeded once.
    emit(
        ctx.session,
        "system.sleep.done",
        {"job_id": str(ctx.job_id), "attempt": ctx.attempt},
        stream_id=ctx.job_id,
        user_id=ctx.user_id,
    )
    return {"steps": steps, "attempt": ctx.attempt}


@job("system.flaky", max_attempts=5)
def flaky(ctx: JobContext, fail_times: int = 1, permanent: bool = False) -> dict[str, Any]:
    """Fail the first `fail_times` attempts (transiently, or permanently if asked)."""
    if ctx.attempt <= int(fail_times):
        if permanent:
            raise AppError(f"permanent failure on attempt {ctx.attempt}", code="PERMANENT")
        raise TransientError(f"transient failure on attempt {ctx.attempt}")
    return {"attempt": ctx.attempt}
