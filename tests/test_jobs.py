"""One job suite, run against the inline runner and Celery workers (Redis and RabbitMQ brokers)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.db import utcnow
from studyforge.events.models import OutboxEvent
from studyforge.jobs import enqueue
from studyforge.jobs.models import Job
from studyforge.platform import Platform, build_platform
from studyforge.system import jobs as _system_jobs  # noqa: F401
from tests.conftest import make_settings
from tests.support.procs import Proc, start_worker

pytestmark = pytest.mark.anyio
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@dataclass
class JobEnv:
    """A platform, an ASGI client factory and a user, for one runner."""

    name: str
    platform: Platform
    worker: Proc | None

    def user(self) -> tuple[uuid.UUID, dict[str, str]]:
        with self.platform.sessions.begin() as s:
            user = create_user(s, f"u{uuid.uuid4().hex[:10]}", "password-123")
            token = issue_token(user, self.platform.settings.secret_key(), 60)
            return user.id, {"Authorization": f"Bearer {token}"}

    def enqueue(self, kind: str, user_id: uuid.UUID, **params: Any) -> uuid.UUID:
        with self.platform.sessions.begin() as s:
            return enqueue(s, kind, user_id=user_id, **params).id

    def count_events(self, job_id: uuid.UUID, type_: str) -> int:
        with self.platform.sessions() as s:
            stmt = select(func.count()).where(
                OutboxEvent.stream_id == job_id, OutboxEvent.type == type_
            )
            return s.scalar(stmt) or 0


RUNNERS = ["inline-sqlite", "inline-postgresql", "celery-redis", "celery-rabbitmq"]


@pytest.fixture(scope="module", params=RUNNERS)
def job_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JobEnv]:
    """A database + runner for the whole module (tests isolate themselves by user)."""
    runner, backend = request.param.split("-")
    tmp = tmp_path_factory.mktemp(request.param)
    overrides: dict[str, Any] = {}
    if runner == "celery":
        broker = request.getfixturevalue("redis" if backend == "redis" else "rabbitmq")
        overrides = {"jobs": "celery", "celery_broker_url": broker.url}
        backend = "sqlite" if backend == "redis" else "postgresql"
    if backend == "sqlite":
        db_url = f"sqlite:///{tmp / 'jobs.db'}"
        from studyforge.migrate import upgrade

        upgrade(db_url)
    else:
        db_url = request.getfixturevalue("module_pg_url")
    settings = make_settings(tmp / "home", db_url, **overrides)
    worker = start_worker(settings, tmp) if runner == "celery" else None
    platform = build_platform(settings, role="client" if worker else "server")
    yield JobEnv(request.param, platform, worker)
    platform.close()
    if worker:
        worker.stop()


@pytest.fixture
async def api(job_env: JobEnv) -> Any:
    transport = httpx.ASGITransport(app=create_app(platform=job_env.platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def wait_status(
    api: httpx.AsyncClient, job_id: uuid.UUID, headers: dict[str, str], timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = (await api.get(f"/api/jobs/{job_id}", headers=headers)).json()
        if body["status"] in TERMINAL:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {body}")


async def test_job_runs_and_reports(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    job_id = job_env.enqueue("system.sleep", user_id, steps=3, seconds=0.05)
    body = await wait_status(api, job_id, headers)
    assert body["status"] == "SUCCEEDED"
    assert body["progress"] == 100 and body["attempts"] == 1
    assert body["result"] == {"steps": 3, "attempt": 1}
    assert body["started_at"] and body["finished_at"]


async def test_sse_stream_orders_events_and_resumes(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    job_id = job_env.enqueue("system.sleep", user_id, steps=4, seconds=0.05)
    resp = await api.get(f"/api/jobs/{job_id}/events", headers=headers, timeout=30)
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = _parse_sse(resp.text)
    types = [e["event"] for e in events]
    assert types[0] == "job.queued" and types[-1] == "job.succeeded"
    assert types.count("job.progress") == 4
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)
    resumed = await api.get(
        f"/api/jobs/{job_id}/events", headers={**headers, "Last-Event-ID": str(ids[2])}
    )
    assert [int(e["id"]) for e in _parse_sse(resumed.text)] == ids[3:]


def _parse_sse(text: str) -> list[dict[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            fields["data"] = json.loads(fields["data"])
            events.append(fields)
    return events


async def test_transient_errors_retry_with_backoff(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    job_id = job_env.enqueue("system.flaky", user_id, fail_times=2)
    body = await wait_status(api, job_id, headers)
    assert body["status"] == "SUCCEEDED"
    assert body["attempts"] == 3
    assert job_env.count_events(job_id, "job.retrying") == 2


async def test_retries_stop_at_max_attempts(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    with job_env.platform.sessions.begin() as s:
        job_id = enqueue(s, "system.flaky", user_id=user_id, max_attempts=2, fail_times=5).id
    body = await wait_status(api, job_id, headers)
    assert body["status"] == "FAILED"
    assert body["attempts"] == 2
    assert "transient failure on attempt 2" in body["error"]


async def test_permanent_error_fails_at_once(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    job_id = job_env.enqueue("system.flaky", user_id, fail_times=1, permanent=True)
    body = await wait_status(api, job_id, headers)
    assert body["status"] == "FAILED" and body["attempts"] == 1
    assert body["error"] == "permanent failure on attempt 1"


async def test_cancel_running_job(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    job_id = job_env.enqueue("system.sleep", user_id, steps=200, seconds=0.05)
    deadline = time.monotonic() + 20
    while (await api.get(f"/api/jobs/{job_id}", headers=headers)).json()["status"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    resp = await api.post(f"/api/jobs/{job_id}/cancel", headers=headers)
    assert resp.status_code == 200 and resp.json()["cancel_requested"] is True
    body = await wait_status(api, job_id, headers)
    assert body["status"] == "CANCELLED"
    assert job_env.count_events(job_id, "system.sleep.done") == 0


async def test_cancel_queued_job(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    with job_env.platform.sessions.begin() as s:
        row = enqueue(s, "system.noop", user_id=user_id)
        row.run_after = utcnow() + timedelta(hours=1)  # keeps it queued
        job_id = row.id
    resp = await api.post(f"/api/jobs/{job_id}/cancel", headers=headers)
    assert resp.json()["status"] == "CANCELLED"
    assert job_env.platform.executor.run(job_id) is None
    assert (await api.get(f"/api/jobs/{job_id}", headers=headers)).json()["attempts"] == 0


async def test_duplicate_delivery_runs_once(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    job_id = job_env.enqueue("system.sleep", user_id, steps=3, seconds=0.1)
    for _ in range(3):
        job_env.platform.runner.dispatch(job_id, "default")
    body = await wait_status(api, job_id, headers)
    time.sleep(0.5)  # let any duplicate delivery reach the database
    assert body["attempts"] == 1
    assert job_env.count_events(job_id, "system.sleep.done") == 1
    assert job_env.count_events(job_id, "job.succeeded") == 1


async def test_other_users_job_is_404(api: httpx.AsyncClient, job_env: JobEnv):
    owner, _ = job_env.user()
    _, stranger = job_env.user()
    job_id = job_env.enqueue("system.noop", owner)
    for method, path in [
        ("GET", f"/api/jobs/{job_id}"),
        ("POST", f"/api/jobs/{job_id}/cancel"),
        ("GET", f"/api/jobs/{job_id}/events"),
    ]:
        resp = await api.request(method, path, headers=stranger)
        assert resp.status_code == 404, path
        assert resp.json()["code"] == "JOB_NOT_FOUND"
    listing = (await api.get("/api/jobs", headers=stranger)).json()
    assert listing["items"] == [] and listing["total"] == 0


async def test_list_is_mine_and_paginated(api: httpx.AsyncClient, job_env: JobEnv):
    user_id, headers = job_env.user()
    ids = [job_env.enqueue("system.noop", user_id) for _ in range(3)]
    page = (await api.get("/api/jobs?limit=2", headers=headers)).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert {i["id"] for i in page["items"]} <= {str(i) for i in ids}
    assert (await api.get("/api/jobs?limit=0", headers=headers)).status_code == 422


def test_job_rows_carry_owner(job_env: JobEnv, tmp_path: Path):
    user_id, _ = job_env.user()
    job_id = job_env.enqueue("system.noop", user_id)
    with job_env.platform.sessions() as s:
        row = s.get(Job, job_id)
        assert row is not None and row.user_id == user_id and row.kind == "system.noop"
