"""Crash recovery: a job whose process is SIGKILLed mid-run finishes exactly once after restart."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from studyforge.auth.service import create_user
from studyforge.events.models import OutboxEvent
from studyforge.jobs import enqueue
from studyforge.jobs.models import Job, JobStatus
from studyforge.platform import Platform, build_platform
from studyforge.system import jobs as _system_jobs  # noqa: F401
from tests.conftest import DATABASES, make_settings
from tests.support.procs import start_server, start_worker, wait_for

STEPS, STEP_SECONDS = 16, 0.25


def _job(platform: Platform, job_id: uuid.UUID) -> Job:
    with platform.sessions() as s:
        row = s.get(Job, job_id)
        assert row is not None
        return row


def _enqueue_sleep(platform: Platform) -> uuid.UUID:
    with platform.sessions.begin() as s:
        user = create_user(s, f"u{uuid.uuid4().hex[:8]}", "password-123")
        return enqueue(s, "system.sleep", user_id=user.id, steps=STEPS, seconds=STEP_SECONDS).id


def _wait_mid_run(platform: Platform, job_id: uuid.UUID) -> None:
    def mid_run() -> bool:
        row = _job(platform, job_id)
        return row.status is JobStatus.RUNNING and row.progress >= 20

    wait_for(mid_run, 60, "the job to be half-way")


def _assert_finished_once(platform: Platform, job_id: uuid.UUID) -> None:
    wait_for(lambda: _job(platform, job_id).status is JobStatus.SUCCEEDED, 90, "job to succeed")
    with platform.sessions() as s:
        done = s.scalar(
            select(func.count()).where(
                OutboxEvent.stream_id == job_id, OutboxEvent.type == "system.sleep.done"
            )
        )
    row = _job(platform, job_id)
    assert done == 1
    assert row.attempts == 2, "the killed attempt and exactly one more"
    assert row.result == {"steps": STEPS, "attempt": 2}


@pytest.mark.parametrize("backend", DATABASES)
def test_inline_job_survives_server_kill(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
):
    db_url = (
        f"sqlite:///{tmp_path / 'crash.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("module_pg_url")
    )
    settings = make_settings(tmp_path / "home", db_url, job_lease_seconds=30.0)
    server, _ = start_server(settings, tmp_path)  # migrates the database
    client = build_platform(settings, role="client")
    try:
        job_id = _enqueue_sleep(client)  # the server's sweeper picks it up
        _wait_mid_run(client, job_id)
        server.kill()
        assert _job(client, job_id).status is JobStatus.RUNNING
        server, _ = start_server(settings, tmp_path)
        _assert_finished_once(client, job_id)
    finally:
        server.stop()
        client.close()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_celery_job_survives_worker_kill(
    broker: str, tmp_path: Path, request: pytest.FixtureRequest, module_pg_url: str
):
    service: Any = request.getfixturevalue(broker)
    settings = make_settings(
        tmp_path / "home",
        module_pg_url,
        jobs="celery",
        celery_broker_url=service.url,
        job_lease_seconds=2.0,
    )
    worker = start_worker(settings, tmp_path)
    client = build_platform(settings, role="client")
    try:
        job_id = _enqueue_sleep(client)
        _wait_mid_run(client, job_id)
        worker.kill()
        worker = start_worker(settings, tmp_path)
        _assert_finished_once(client, job_id)
    finally:
        worker.stop()
        client.close()
