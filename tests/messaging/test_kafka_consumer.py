"""The Kafka consumer runner against a real broker (Tansu): a broker restart loses nothing, and
a database outage is retried (never dead-lettered) until the database is back."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from studyforge.config import Settings
from studyforge.events.models import OutboxEvent
from studyforge.platform import Platform
from studyforge.quizzes.models import Quiz, QuizStatus
from tests.messaging.kafka_helpers import (
    dead_lettered,
    kafka_settings,
    own_kafka,
    produce,
    read_topic,
    runner_of,
    wait_settled,
)
from tests.quizzes.conftest import make_quiz, science
from tests.support.procs import wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.services]
REQUESTED = "quiz.requested"


kafka = pytest.fixture(scope="module")(own_kafka)


@pytest.fixture
def settings(tmp_path: Path, db_url: str, kafka: Any) -> Settings:
    return kafka_settings(tmp_path / "home", db_url, kafka.bootstrap)


def _request(user_id: uuid.UUID, doc: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {"user_id": str(user_id), "request_id": request_id, "num_questions": 2,
            "document_id": doc["document_id"], "difficulty": "easy"}  # fmt: skip


def _statuses(platform: Platform, user_id: uuid.UUID, request_id: str) -> list[QuizStatus]:
    with platform.sessions() as session:
        stmt = select(Quiz.status).where(Quiz.user_id == user_id, Quiz.request_id == request_id)
        return list(session.scalars(stmt))


def _pending(platform: Platform) -> int:
    with platform.sessions() as session:
        stmt = select(func.count()).where(OutboxEvent.published_at.is_(None))
        return session.scalar(stmt) or 0


def _generated(bootstrap: str, request_id: str) -> dict[str, Any]:
    [(event_, _, _)] = read_topic(
        bootstrap, "quiz.generated", lambda v, _: v["data"].get("request_id") == request_id, 60
    )
    return dict(event_["data"])


async def test_a_broker_restart_loses_nothing(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any
):
    runner = runner_of(platform)
    user_id, headers = make_user()
    doc = await science(client, headers)
    tag = uuid.uuid4().hex[:8]
    before, during, after = f"before-{tag}", f"during-{tag}", f"after-{tag}"
    where = produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, before))
    wait_settled(runner, REQUESTED, *where)
    wait_for(lambda: _pending(platform) == 0, 30, "the outbox to drain")

    kafka.stop()
    try:
        # A quiz made while the broker is down: its quiz.generated waits in the outbox.
        quiz = await make_quiz(client, headers, document_id=doc["document_id"],
                               num_questions=2, request_id=during)  # fmt: skip
        assert quiz["status"] == "READY"
        time.sleep(1.5)
        assert _pending(platform) >= 1
    finally:
        kafka.start()  # memory storage: the topics (and the group's offsets) are gone

    produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, after))
    wait_for(lambda: _statuses(platform, user_id, after), 90, "the request sent after it")
    for request_id in (before, during, after):
        assert _statuses(platform, user_id, request_id) == [QuizStatus.READY], request_id
    assert _generated(kafka.bootstrap, during)["quiz_id"] == quiz["quiz_id"]
    assert _generated(kafka.bootstrap, after)["user_id"] == str(user_id)
    wait_for(lambda: _pending(platform) == 0, 30, "the outbox to drain")


@contextlib.contextmanager
def _database_down(platform: Platform, db_url: str) -> Iterator[None]:
    """The database refuses service: PostgreSQL really (no connections to the test database,
    its sessions terminated); SQLite, which has no server, fails every statement."""
    if platform.engine.dialect.name == "postgresql":
        name = db_url.rsplit("/", 1)[1]
        admin = db_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
        with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))  # fmt: skip
            try:
                yield
            finally:
                conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        return

    def refuse(*_: Any) -> None:
        raise OperationalError("(outage)", None, sqlite3.OperationalError("disk I/O error"))

    event.listen(platform.engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(platform.engine, "before_cursor_execute", refuse)


async def test_a_database_outage_is_retried_and_never_dead_lettered(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any, db_url: str,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    runner = runner_of(platform)
    user_id, headers = make_user()
    doc = await science(client, headers)
    tag = uuid.uuid4().hex[:8]
    # Everything before this one is settled: the retries below are of the next message only.
    wait_settled(runner, REQUESTED, *produce(kafka.bootstrap, REQUESTED,
                                             _request(user_id, doc, f"first-{tag}")))  # fmt: skip
    caplog.set_level(logging.WARNING, "studyforge.messaging.kafka_consumer")
    request_id = f"outage-{tag}"
    with _database_down(platform, db_url):
        partition, offset = produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, request_id))
        retried = f"{REQUESTED}[{partition}]@{offset} will be retried"
        wait_for(lambda: sum(retried in r.getMessage() for r in caplog.records) >= 2, 30,
                 "two retries of the message")  # fmt: skip
        assert runner.settled[REQUESTED, partition] < offset, "not committed while down"
    wait_settled(runner, REQUESTED, partition, offset, timeout=60)
    assert dead_lettered(runner, REQUESTED, (partition, offset)) is None
    assert _statuses(platform, user_id, request_id) == [QuizStatus.READY]
    mine = [r for r in caplog.records if r.name.startswith("studyforge.messaging")]
    assert not [r for r in mine if r.exc_info], "expected failures log no traceback"
