"""Kafka publisher: one topic per event type, keyed by stream id, event id in a header.

`ensure_topics` and `producer_config` are shared with the consumer runner (`kafka_consumer`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from studyforge.errors import TransientError

log = logging.getLogger(__name__)


def topic_for(event_type: str, prefix: str = "") -> str:
    """Kafka topic of an event type (`document.uploaded` -> `document.uploaded`)."""
    return f"{prefix}{event_type}"


def ensure_topics(admin: AdminClient, topics: Iterable[str], timeout: float = 10.0) -> None:
    """Create the topics that do not exist yet (one partition each); raise TransientError if
    the cluster does not answer. A broker with memory storage (Tansu in tests) forgets its
    topics on restart, so publishers and consumers call this again after a failure."""
    wanted = sorted(set(topics))
    if not wanted:
        return
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=1, replication_factor=1) for t in wanted],
        request_timeout=timeout,
    )
    for topic, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise TransientError(f"cannot create Kafka topic {topic}: {exc}") from exc
        except Exception as exc:
            raise TransientError(f"cannot create Kafka topic {topic}: {exc!r}") from exc


class RdkafkaLog:
    """A `logger` for librdkafka clients that run in the background: their own log lines
    (connection refused, every 50 ms during an outage) go to debug; the caller logs one
    warning per outage itself."""

    def log(self, level: int, fmt: str, *args: object) -> None:
        log.debug("rdkafka: " + fmt, *args)


def producer_config(bootstrap_servers: str, timeout: float = 10.0) -> dict[str, object]:
    """Producer settings shared by the event publisher and the dead-letter producer: every
    replica acknowledges, and a delivery gives up after `timeout` (the caller retries)."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": False,
        "acks": "all",
        "message.timeout.ms": int(timeout * 1000),
        "socket.timeout.ms": int(timeout * 1000),
        "reconnect.backoff.max.ms": 2000,
        "log_level": 3,
    }


class KafkaPublisher:
    """Publishes event envelopes and waits for every delivery report."""

    name = "kafka"

    def __init__(self, bootstrap_servers: str, timeout: float = 10.0) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self._producer = Producer(producer_config(bootstrap_servers, timeout))
        self._admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 3})
        self._topics: set[str] = set()

    def _ensure_topics(self, topics: set[str]) -> None:
        missing = topics - self._topics
        if missing:
            ensure_topics(self._admin, missing, self.timeout)
            self._topics |= missing

    def publish(self, events: Sequence[dict[str, object]]) -> None:
        """Produce every event and raise TransientError unless all were acknowledged."""
        self._ensure_topics({topic_for(str(e["type"])) for e in events})
        errors: list[str] = []

        def on_delivery(err: object, _msg: object) -> None:
            if err is not None:
                errors.append(str(err))

        for event in events:
            self._producer.produce(
                topic_for(str(event["type"])),
                key=str(event.get("stream_id") or event["event_id"]).encode(),
                value=json.dumps(event).encode(),
                headers={"event_id": str(event["event_id"]), "type": str(event["type"])},
                on_delivery=on_delivery,
            )
        remaining = self._producer.flush(self.timeout)
        if remaining or errors:
            self._topics.clear()  # a restarted broker may have lost its topics
            raise TransientError(
                f"Kafka did not confirm {remaining or len(errors)} event(s): {errors[:1]}"
            )

    def ping(self) -> None:
        """Raise unless the cluster answers a metadata request."""
        try:
            self._admin.list_topics(timeout=2.0)
        except KafkaException as exc:
            raise TransientError(f"Kafka unreachable: {exc}") from exc

    def close(self) -> None:
        """Flush what is buffered and release the clients (no publishing afterwards)."""
        if not hasattr(self, "_producer"):
            return
        self._producer.flush(1.0)
        # librdkafka keeps reconnecting until its clients are destroyed: drop them now.
        del self._producer, self._admin
