"""Outbox events: written with the change, relayed to Kafka and RabbitMQ, none lost in outages."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from confluent_kafka import Consumer
from sqlalchemy import func, select

from studyforge.events.models import OutboxEvent
from studyforge.events.service import emit
from studyforge.platform import Platform, build_platform
from tests.conftest import make_settings
from tests.support.procs import wait_for


def _pending(platform: Platform) -> int:
    with platform.sessions() as s:
        stmt = select(func.count()).where(OutboxEvent.published_at.is_(None))
        return s.scalar(stmt) or 0


def _emit_batch(platform: Platform, n: int, type_: str = "test.happened") -> list[str]:
    ids = []
    with platform.sessions.begin() as s:
        for i in range(n):
            ids.append(str(emit(s, type_, {"i": i}, stream_id=uuid.uuid4()).event_id))
    return ids


def test_event_exists_only_if_the_change_commits(platform: Platform):
    with platform.sessions() as s:
        emit(s, "test.rolled_back", {"x": 1})
        s.rollback()
    with platform.sessions.begin() as s:
        emit(s, "test.committed", {"x": 2})
    with platform.sessions() as s:
        types = set(s.scalars(select(OutboxEvent.type)))
    assert "test.committed" in types and "test.rolled_back" not in types


@pytest.fixture
def pg_db(module_pg_url: str) -> str:
    return module_pg_url


def _relay_platform(tmp_path: Path, db_url: str, **brokers: Any) -> Platform:
    settings = make_settings(tmp_path / "home", db_url, **brokers)
    return build_platform(settings)


# --- RabbitMQ ---------------------------------------------------------------------------------


@pytest.fixture
def rabbit_queue(rabbitmq: Any) -> Iterator[str]:
    """A durable queue bound to every event on the events exchange."""
    name = f"test-events-{uuid.uuid4().hex[:8]}"
    conn = pika.BlockingConnection(pika.URLParameters(rabbitmq.url))
    ch = conn.channel()
    ch.exchange_declare("studyforge.events", exchange_type="topic", durable=True)
    ch.queue_declare(name, durable=True)
    ch.queue_bind(name, "studyforge.events", routing_key="#")
    conn.close()
    yield name


def _drain_rabbit(url: str, queue: str, want: int, timeout: float = 30) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        try:
            conn = pika.BlockingConnection(pika.URLParameters(url))
        except pika.exceptions.AMQPError:
            time.sleep(0.5)
            continue
        ch = conn.channel()
        while len(got) < want:
            method, props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                break
            message = json.loads(body)
            assert props.message_id == message["event_id"]
            got.append(message)
        conn.close()
        time.sleep(0.2)
    return got


def _rabbit_settings(rabbitmq: Any) -> dict[str, Any]:
    return {"rabbitmq_host": "127.0.0.1", "rabbitmq_port": rabbitmq.port}


def test_events_reach_rabbitmq(tmp_path: Path, pg_db: str, rabbitmq: Any, rabbit_queue: str):
    platform = _relay_platform(tmp_path, pg_db, **_rabbit_settings(rabbitmq))
    try:
        ids = _emit_batch(platform, 5, "course.ready")
        got = _drain_rabbit(rabbitmq.url, rabbit_queue, 5)
        assert {m["event_id"] for m in got} >= set(ids)
        sample = next(m for m in got if m["event_id"] == ids[0])
        assert sample["type"] == "course.ready" and sample["data"] == {"i": 0}
        wait_for(lambda: _pending(platform) == 0, 10, "outbox to drain")
    finally:
        platform.close()


def test_rabbitmq_outage_loses_nothing(
    tmp_path: Path, pg_db: str, rabbitmq: Any, rabbit_queue: str
):
    platform = _relay_platform(tmp_path, pg_db, **_rabbit_settings(rabbitmq))
    try:
        wait_for(lambda: _pending(platform) == 0, 10, "outbox to drain")
        rabbitmq.stop()
        ids = _emit_batch(platform, 7, "document.processed")
        time.sleep(1.5)
        assert _pending(platform) >= 7, "events wait in the outbox while the broker is down"
        rabbitmq.start()
        got = _drain_rabbit(rabbitmq.url, rabbit_queue, 7, timeout=60)
        assert set(ids) <= {m["event_id"] for m in got}
        wait_for(lambda: _pending(platform) == 0, 30, "outbox to drain")
    finally:
        platform.close()


# --- Kafka ------------------------------------------------------------------------------------


def _consume_kafka(bootstrap: str, topic: str, want: set[str], timeout: float = 30) -> set[str]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while not want <= seen and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            payload = json.loads(msg.value())
            headers = dict(msg.headers() or [])
            assert headers["event_id"].decode() == payload["event_id"]
            seen.add(payload["event_id"])
    finally:
        consumer.close()
    return seen


def test_events_reach_kafka_one_topic_per_type(tmp_path: Path, pg_db: str, kafka: Any):
    platform = _relay_platform(tmp_path, pg_db, kafka_bootstrap_servers=kafka.bootstrap)
    try:
        uploaded = _emit_batch(platform, 3, "document.uploaded")
        notes = _emit_batch(platform, 2, "notes.generated")
        assert _consume_kafka(kafka.bootstrap, "document.uploaded", set(uploaded)) >= set(uploaded)
        assert _consume_kafka(kafka.bootstrap, "notes.generated", set(notes)) >= set(notes)
    finally:
        platform.close()


def test_kafka_outage_loses_nothing(tmp_path: Path, pg_db: str, kafka: Any):
    platform = _relay_platform(tmp_path, pg_db, kafka_bootstrap_servers=kafka.bootstrap)
    try:
        wait_for(lambda: _pending(platform) == 0, 20, "outbox to drain")
        kafka.stop()
        ids = _emit_batch(platform, 6, "speech.transcribed")
        time.sleep(1.5)
        assert _pending(platform) >= 6
        kafka.start()
        assert _consume_kafka(kafka.bootstrap, "speech.transcribed", set(ids), 60) >= set(ids)
        wait_for(lambda: _pending(platform) == 0, 30, "outbox to drain")
    finally:
        platform.close()
