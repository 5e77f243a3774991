"""Kafka test helpers: produce a message and learn its offset, read a topic from the start,
wait for the platform's consumer runner to settle an offset. Every wait is bounded."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from studyforge.config import Settings
from studyforge.errors import TransientError
from studyforge.messaging.kafka import ensure_topics
from studyforge.messaging.kafka_consumer import KafkaConsumerRunner
from studyforge.platform import Platform
from tests.conftest import make_settings
from tests.support.servers import Server, start_kafka

Found = tuple[dict[str, Any], dict[str, bytes], tuple[int, int]]


def own_kafka() -> Iterator[Server]:
    """A Tansu broker for one test module: its topics (bare test messages on real topic
    names) and its restarts touch no other module's broker."""
    server = start_kafka()
    yield server
    server.stop()


def kafka_settings(home: Path, db_url: str, bootstrap: str, **overrides: Any) -> Settings:
    """Test settings with Kafka: a consumer group of its own, short session and retries."""
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": bootstrap,
        "kafka_consumer_group": f"test-{uuid.uuid4().hex[:8]}",
        "kafka_session_timeout_seconds": 6.0,
        "kafka_retry_max_seconds": 2.0,
    }
    return make_settings(home, db_url, **{**values, **overrides})


def runner_of(platform: Platform, timeout: float = 45) -> KafkaConsumerRunner:
    """The platform's Kafka consumer, once the group gave it its partitions."""
    runner = next(b for b in platform.background if isinstance(b, KafkaConsumerRunner))
    assert runner.assigned.wait(timeout), "the Kafka consumer got no partitions"
    return runner


def produce(
    bootstrap: str, topic: str, value: bytes | dict[str, Any], timeout: float = 60
) -> tuple[int, int]:
    """Produce one message (creating the topic if the broker lost it) and return its
    (partition, offset) once the broker acknowledged it."""
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    deadline = time.monotonic() + timeout
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "log_level": 0,
                         "message.timeout.ms": 5000})  # fmt: skip
    while time.monotonic() < deadline:
        try:
            ensure_topics(admin, {topic}, timeout=5)
        except TransientError:
            time.sleep(0.5)
            continue
        delivered: list[Any] = []
        producer.produce(topic, value=raw, on_delivery=lambda *report: delivered.append(report))  # noqa: B023
        producer.flush(10)
        if delivered and delivered[0][0] is None:
            msg = delivered[0][1]
            return msg.partition(), msg.offset()
        time.sleep(0.5)
    raise AssertionError(f"{topic} did not take the message in {timeout} s")


def read_topic(
    bootstrap: str,
    topic: str,
    want: Callable[[dict[str, Any], dict[str, bytes]], bool],
    timeout: float = 30,
) -> list[Found]:
    """Read `topic` from the start with a new group until a message (JSON value, headers)
    satisfies `want`; returns the ones that do (value, headers, (partition, offset)). Fails after
    `timeout` seconds."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
        "session.timeout.ms": 6000, "log_level": 0,
    })  # fmt: skip
    consumer.subscribe([topic])
    found: list[Found] = []
    deadline = time.monotonic() + timeout
    idle_until: float | None = None
    try:
        while time.monotonic() < deadline and (idle_until is None or time.monotonic() < idle_until):
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            try:
                value = json.loads(msg.value())
            except ValueError:
                continue
            headers = {k: v for k, v in msg.headers() or []}
            if isinstance(value, dict) and want(value, headers):
                found.append((value, headers, (msg.partition(), msg.offset())))
                idle_until = time.monotonic() + 1.0  # a duplicate right behind it is seen too
    finally:
        consumer.close()
    assert found, f"no matching message on {topic} in {timeout} s"
    return found


def wait_settled(runner: KafkaConsumerRunner, topic: str, partition: int, offset: int,
                 timeout: float = 60) -> None:  # fmt: skip
    """Wait until the runner processed or dead-lettered the message at `offset`."""
    deadline = time.monotonic() + timeout
    while runner.settled.get((topic, partition), -1) < offset:
        assert time.monotonic() < deadline, f"{topic}[{partition}]@{offset} was not settled"
        time.sleep(0.1)


def dead_lettered(runner: KafkaConsumerRunner, topic: str, where: tuple[int, int]) -> str | None:
    """The reason the runner dead-lettered the message at `where` (partition, offset) of
    `topic` for, if it did."""
    return next((r for t, p, o, r in runner.recent_dead if (t, (p, o)) == (topic, where)), None)


@contextmanager
def racing_insert(
    platform: Platform, table: str, rival: Callable[[Session], None]
) -> Iterator[list[bool]]:
    """While open, just before the first `INSERT INTO table`, another session commits what
    `rival` adds (as a concurrent delivery of the same request would). The list yielded holds
    True once the race was staged."""
    staged: list[bool] = []
    prefix = f"INSERT INTO {table.upper()}"

    def race(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not staged and statement.lstrip().upper().startswith(prefix):
            staged.append(True)  # first: the rival's own INSERT passes through
            with platform.sessions.begin() as other:
                rival(other)

    event.listen(platform.engine, "before_cursor_execute", race)
    try:
        yield staged
    finally:
        event.remove(platform.engine, "before_cursor_execute", race)
