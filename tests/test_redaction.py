"""Log hygiene: ids are never redacted, one record per failure, quiet expected failures."""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from studyforge.auth.service import create_user
from studyforge.errors import AppError
from studyforge.jobs import enqueue
from studyforge.jobs.models import Job, JobStatus
from studyforge.jobs.registry import JobCancelled, JobContext, job
from studyforge.kit.redact import redact
from studyforge.platform import Platform, build_platform
from tests.conftest import make_settings
from tests.support.procs import free_port, wait_for

# --- redaction -----------------------------------------------------------------------------


def test_random_uuids_and_digests_are_never_touched():
    rng = random.Random(20240610)
    for _ in range(50_000):
        value = uuid.UUID(int=rng.getrandbits(128), version=4)
        for text in (
            str(value),
            str(value).upper(),
            value.hex,
            f"job {value} (courses.generate) failed",
            f"blob uploads/{value}/{uuid.uuid4()}.pdf",
            f"document_id={value}, user-{value}",
        ):
            assert redact(text) == text
    for _ in range(2_000):
        data = rng.randbytes(32)
        for digest in (hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest()):
            assert redact(f"sha256 {digest} ok") == f"sha256 {digest} ok"


def test_uuids_whose_groups_are_all_digits_survive():
    """The shape that used to lose its middle: 7150b4d7-[phone]-874f2f72ab44."""
    for text in (
        "7150b4d7-1234-4567-8901-874f2f72ab44",
        "12345678-1234-4234-8234-123456789012",
        "00000000-0000-0000-0000-000000000000",
    ):
        assert redact(text) == text
        assert redact(f"job {text} failed: boom") == f"job {text} failed: boom"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("call me at 555-123-4567.", "555-123-4567"),
        ("phone: +1 (555) 123-4567, evenings", "555) 123-4567"),
        ("London office +44 20 7946 0958", "7946 0958"),
        ("sms to +14155552671 failed", "+14155552671"),
        ("Tel 020 7946 0958", "020 7946 0958"),
        ("mail bob.smith+tag@example.co.uk now", "bob.smith+tag@example.co.uk"),
        ("owner 7150b4d7-1234-4567-8901-874f2f72ab44 is alice@example.com", "alice@example.com"),
        ("login password=hunter22 for x", "hunter22"),
        ('{"password": "0123456789abcdef0123"}', "0123456789abcdef0123"),
        ("token=0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln here", "eyJzdWIiOiJ4In0"),
        ("key sk-proj-abcdefgh12345678", "sk-proj-abcdefgh12345678"),
        ("postgresql://app:s3cr3t@db.internal/sf", "s3cr3t"),
    ],
)
def test_personal_data_and_secrets_are_still_redacted(text: str, secret: str):
    assert secret not in redact(text)


def test_ids_next_to_personal_data_keep_both_right():
    job_id = "7150b4d7-1234-4567-8901-874f2f72ab44"
    text = f"job {job_id} for +44 20 7946 0958 / bob@example.com"
    assert redact(text) == f"job {job_id} for [phone] / [email]"


# --- one log record per unhandled failure --------------------------------------------------


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    """The test's app under a real uvicorn server (whose own error logging is in play)."""

    def boom() -> None:
        raise RuntimeError("kaboom in a handler")

    app.add_api_route("/boom", boom)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15, "uvicorn to start", 0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_an_unhandled_error_is_logged_once_and_keeps_the_connection(
    served: str, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO), httpx.Client(base_url=served) as client:
        resp = client.get("/boom")
        assert resp.status_code == 500
        assert resp.json()["code"] == "INTERNAL_ERROR"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        # The same keep-alive connection serves the next request.
        assert client.get("/health/live").status_code == 200
        time.sleep(0.2)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1, [(r.name, r.getMessage()) for r in failures]
    assert failures[0].exc_info is not None
    assert "GET /boom" in failures[0].getMessage()


# --- job failures: expected ones are warnings without a traceback -------------------------


@job("tests.expected_failure")
def _expected_failure(ctx: JobContext) -> dict[str, Any]:
    raise AppError("No passages match 'photosynthesis'", code="NO_PASSAGES")


@job("tests.real_bug")
def _real_bug(ctx: JobContext) -> dict[str, Any]:
    raise ZeroDivisionError("division by zero in step 3")


@job("tests.cancelled")
def _cancelled(ctx: JobContext) -> dict[str, Any]:
    raise JobCancelled()


@pytest.fixture
def client_platform(tmp_path: Path, db_url: str) -> Iterator[Platform]:
    """A platform that runs no jobs by itself: the test runs each one, here, with `run`."""
    built = build_platform(make_settings(tmp_path / "home", db_url), role="client")
    yield built
    built.close()


def _run(platform: Platform, kind: str) -> Job:
    with platform.sessions.begin() as session:
        user = create_user(session, f"u{uuid.uuid4().hex[:8]}", "correct horse battery")
        job_id = enqueue(session, kind, user_id=user.id).id
    platform.executor.run(job_id)
    with platform.sessions() as session:
        return session.get_one(Job, job_id)


def _job_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "studyforge.jobs.execute"]


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("tests.expected_failure", JobStatus.FAILED, "No passages match 'photosynthesis'"),
        ("tests.cancelled", JobStatus.CANCELLED, "cancelled"),
    ],
)
def test_expected_job_failures_are_one_warning_without_traceback(
    client_platform: Platform,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    status: JobStatus,
    words: str,
):
    with caplog.at_level(logging.DEBUG):
        row = _run(client_platform, kind)
    assert row.status == status
    records = _job_records(caplog)
    assert [r.levelno for r in records] == [logging.WARNING], [r.getMessage() for r in records]
    assert records[0].exc_info is None and records[0].exc_text is None
    assert words in records[0].getMessage() and str(row.id) in records[0].getMessage()


def test_a_real_bug_in_a_job_is_one_error_with_its_traceback(
    client_platform: Platform, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.DEBUG):
        row = _run(client_platform, "tests.real_bug")
    assert row.status == JobStatus.FAILED
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].exc_info is not None
    assert "ZeroDivisionError" in (records[0].exc_text or "")
