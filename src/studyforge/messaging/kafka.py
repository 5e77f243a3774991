"""Kafka publisher: one topic per event type, keyed by stream id, event id in a header."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from studyforge.errors import TransientError

log = logging.getLogger(__name__)


def topic_for(event_type: str, prefix: str = "") -> str:
    """Kafka topic of an event type (`document.uploaded` -> `document.uploaded`)."""
    return f"{prefix}{event_type}"


class KafkaPublisher:
    """Publishes event envelopes and waits for every delivery report."""

    name = "kafka"

    def __init__(self, bootstrap_servers: str, timeout: float = 10.0) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        conf = {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": False,
            "acks": "all",
            "message.timeout.ms": int(timeout * 1000),
            "socket.timeout.ms": int(timeout * 1000),
            "reconnect.backoff.max.ms": 2000,
            "log_level": 3,
        }
        self._producer = Producer(conf)
        self._admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 3})
        self._topics: set[str] = set()

    def _ensure_topics(self, topics: set[str]) -> None:
        missing = topics - self._topics
        if not missing:
            return
        futures = self._admin.create_topics(
            [NewTopic(t, num_partitions=1, replication_factor=1) for t in missing],
            request_timeout=self.timeout,
        )
        for topic, future in futures.items():
            try:
                future.result(timeout=self.timeout)
            except KafkaException as exc:
                if "TOPIC_ALREADY_EXISTS" not in str(exc):
                    raise TransientError(f"cannot create Kafka topic {topic}: {exc}") from exc
            except Exception as exc:
                raise TransientError(f"cannot create Kafka topic {topic}: {exc!r}") from exc
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
