"""Kafka dead letters: a message that can never be processed, with why, on `<topic><suffix>`.

The dead-letter message keeps the original key and headers and adds `dlq.error`, `dlq.topic`,
`dlq.partition` and `dlq.offset` headers. Its value is a JSON envelope:

    {"topic", "partition", "offset", "timestamp", "key", "value" (the original as text, or
     "value_base64" when it is not UTF-8), "error", "consumer_group", "failed_at"}

`send` returns only once the broker acknowledged the dead letter, so the consumer commits the
original's offset only when its reason is safely stored.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from confluent_kafka import KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient

from studyforge.db import utcnow
from studyforge.errors import TransientError
from studyforge.messaging.kafka import RdkafkaLog, ensure_topics, producer_config

log = logging.getLogger(__name__)
MAX_REASON = 1000  # characters of the error kept in the envelope (200 in the header)


def dead_letter_topic(topic: str, suffix: str) -> str:
    """Where a topic's bad messages go (`quiz.requested` -> `quiz.requested.dlq`)."""
    return f"{topic}{suffix}"


def envelope(msg: Message, reason: str, group: str) -> dict[str, Any]:
    """The JSON body of a dead letter: the original message, where it was, and the error."""
    raw = msg.value() or b""
    body: dict[str, Any] = {
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "timestamp": msg.timestamp()[1],
        "key": _text(msg.key()),
        "error": reason[:MAX_REASON],
        "consumer_group": group,
        "failed_at": utcnow().isoformat(),
    }
    try:
        body["value"] = raw.decode()
    except UnicodeDecodeError:
        body["value_base64"] = base64.b64encode(raw).decode()
    return body


def _text(key: bytes | str | None) -> str | None:
    if key is None or isinstance(key, str):
        return key
    return key.decode(errors="replace")


class DeadLetters:
    """Produces dead letters and waits for the broker's acknowledgement."""

    def __init__(self, bootstrap_servers: str, suffix: str, group: str, timeout: float = 10.0):
        self.suffix, self.group, self.timeout = suffix, group, timeout
        quiet: dict[str, Any] = {"logger": RdkafkaLog()}  # the runner logs outages itself
        self._producer = Producer({**producer_config(bootstrap_servers, timeout), **quiet})
        self._admin = AdminClient({"bootstrap.servers": bootstrap_servers, **quiet})
        self._topics: set[str] = set()

    def send(self, msg: Message, reason: str) -> None:
        """Dead-letter `msg` with `reason`; raises TransientError unless it was acknowledged."""
        topic = dead_letter_topic(str(msg.topic()), self.suffix)
        if topic not in self._topics:
            ensure_topics(self._admin, {topic}, self.timeout)
            self._topics.add(topic)
        headers = [*(msg.headers() or []), ("dlq.error", reason[:200].encode()),
                   ("dlq.topic", str(msg.topic()).encode()),
                   ("dlq.partition", str(msg.partition()).encode()),
                   ("dlq.offset", str(msg.offset()).encode())]  # fmt: skip
        errors: list[str] = []

        def on_delivery(err: object, _msg: object) -> None:
            if err is not None:
                errors.append(str(err))

        try:
            self._producer.produce(
                topic,
                key=msg.key(),
                value=json.dumps(envelope(msg, reason, self.group)).encode(),
                headers=headers,
                on_delivery=on_delivery,
            )
        except (KafkaException, BufferError) as exc:
            raise TransientError(f"cannot dead-letter to {topic}: {exc}") from exc
        remaining = self._producer.flush(self.timeout)
        if remaining or errors:
            self._topics.discard(topic)  # a restarted broker may have lost the topic
            raise TransientError(f"{topic} did not confirm the dead letter: {errors[:1]}")

    def close(self) -> None:
        """Flush and release the producer (librdkafka reconnects until it is destroyed)."""
        if hasattr(self, "_producer"):
            self._producer.flush(1.0)
            del self._producer, self._admin
