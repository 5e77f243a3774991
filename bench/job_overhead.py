"""Job overhead: enqueue (commit) to start (claim), p50/p99, inline runner vs Celery workers."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

from tests.conftest import make_settings
from tests.support import servers as services
from tests.support.procs import start_worker, wait_for

from studyforge.jobs import enqueue
from studyforge.jobs.models import Job, JobStatus
from studyforge.migrate import upgrade
from studyforge.platform import Platform, build_platform
from studyforge.system import jobs as _system_jobs  # noqa: F401

N_JOBS = 200


def _measure(platform: Platform, n: int) -> list[float]:
    """Enqueue noop jobs one at a time; latency = claim time - commit time."""
    latencies = []
    for _ in range(n):
        with platform.sessions.begin() as s:
            job_id = enqueue(s, "system.noop").id
        committed = time.time()

        def done(job_id: uuid.UUID = job_id) -> Job | None:
            with platform.sessions() as s:
                row = s.get(Job, job_id)
                return row if row and row.status is JobStatus.SUCCEEDED else None

        row = wait_for(done, 30, "noop job", interval=0.001)
        latencies.append((row.started_at.timestamp() - committed) * 1000)
    return latencies


def _row(name: str, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return f"| {name} | {len(latencies)} | {q[49]:.1f} | {q[98]:.1f} | {max(latencies):.1f} |"


def main() -> None:
    """Print the job-overhead table."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'bench.db'}"
        upgrade(db)
        inline = build_platform(make_settings(root / "home", db, job_lease_seconds=30.0))
        _measure(inline, 10)  # warm-up
        rows.append(_row("inline (SQLite)", _measure(inline, N_JOBS)))
        inline.close()
        redis = services.start_redis()
        try:
            settings = make_settings(
                root / "home",
                db,
                jobs="celery",
                celery_broker_url=redis.url,
                job_lease_seconds=30.0,
            )
            worker = start_worker(settings, root)
            client = build_platform(settings, role="client")
            _measure(client, 10)
            rows.append(_row("celery + Redis (SQLite)", _measure(client, N_JOBS)))
            client.close()
            worker.stop()
        finally:
            redis.stop()
    print("\nJob overhead: commit of enqueue -> job claimed by a worker (ms)")
    print("| runner | jobs | p50 | p99 | max |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
