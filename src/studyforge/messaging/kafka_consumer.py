"""The Kafka consumer runner: one consumer group, a handler per topic, offsets after the work.

Features register handlers in a `Handlers` registry (`quizzes.consumer.register` adds
`quiz.requested` and `notes.generated`; chat and speech add theirs the same way). A handler is
`handler(sessions, value)`: it validates the raw message value, does its work in its own
transaction and returns once that is committed. The runner then commits the message's offset
(`enable.auto.commit` is off), so a crash in between only redelivers work the handler already
de-duplicates (by `request_id`, per user).

What the handler raises decides what happens to the message:

- `BadMessage` (or any unexpected error): it can never be processed. It goes to the
  dead-letter topic `<topic><KAFKA_DEAD_LETTER_SUFFIX>` with the reason, and its offset is
  committed, so it never blocks its partition.
- a transient error (the database unreachable, `TransientError`): nothing is committed; the
  consumer seeks back to the message and tries it again after a backoff (0.5 s doubling up to
  `KAFKA_RETRY_MAX_SECONDS`).

librdkafka reconnects by itself after a broker restart and the group is joined again; the loop
only has to survive errors. A broker with memory storage (Tansu) forgets its topics when it
restarts, so the runner creates its topics again whenever the broker says they are missing. A
new group, or one whose offsets the broker lost, starts at the oldest message: replays are
harmless because handlers de-duplicate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from studyforge.config import Settings
from studyforge.errors import TransientError
from studyforge.messaging.dead_letter import DeadLetters, dead_letter_topic
from studyforge.messaging.inbound import BadMessage
from studyforge.messaging.kafka import RdkafkaLog, ensure_topics

log = logging.getLogger(__name__)
Handler = Callable[[sessionmaker[Session], bytes], None]
FIRST_RETRY = 0.5  # seconds before the first retry of a message that failed transiently
TOPIC_CHECK = 5.0  # seconds between attempts to create missing topics


class Handlers:
    """The registry: topic -> handler. One handler per topic."""

    def __init__(self) -> None:
        self._by_topic: dict[str, Handler] = {}

    def add(self, topic: str, handler: Handler) -> None:
        """Register `handler` for `topic` (a second handler for one topic is a mistake)."""
        if topic in self._by_topic:
            raise ValueError(f"a handler for {topic!r} is already registered")
        self._by_topic[topic] = handler

    def get(self, topic: str) -> Handler | None:
        """The handler of `topic`, if any."""
        return self._by_topic.get(topic)

    @property
    def topics(self) -> list[str]:
        """Every registered topic, sorted."""
        return sorted(self._by_topic)

    def __iter__(self) -> Iterator[str]:
        return iter(self.topics)


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same message again later may succeed (the database or a broker was
    unreachable), as opposed to a message that is wrong in itself."""
    if isinstance(exc, TransientError | OperationalError | DisconnectionError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, ConnectionError | TimeoutError)


class KafkaConsumerRunner:
    """Consumes the registered topics in a background thread until stopped."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], handlers: Handlers
    ) -> None:
        if not settings.kafka_bootstrap_servers:
            raise ValueError("the Kafka consumer needs KAFKA_BOOTSTRAP_SERVERS")
        self.settings = settings
        self.bootstrap = settings.kafka_bootstrap_servers
        self.group = settings.kafka_consumer_group
        self.sessions = sessions
        self.handlers = handlers
        self.assigned = threading.Event()  # set while the group gave this consumer partitions
        # (topic, partition) -> the offset settled last (processed or dead-lettered).
        self.settled: dict[tuple[str, int], int] = {}
        self.counts = {"processed": 0, "dead_lettered": 0, "retried": 0}
        # The latest dead letters: (topic, partition, offset, reason).
        self.recent_dead: deque[tuple[str, int, int, str]] = deque(maxlen=100)
        self._delay = FIRST_RETRY
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="kafka-consumer", daemon=True)
        self._topics_checked = 0.0
        self._dead_letters: DeadLetters | None = None

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Start consuming in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the message in hand (if any) is settled, and leave the group."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self._dead_letters is not None:
            self._dead_letters.close()

    def run(self) -> None:
        """Consume until stopped; a consumer that fails is replaced after a backoff."""
        delay = 1.0
        while not self._stop.is_set():
            try:
                self._consume()
                delay = 1.0
            except KafkaException as exc:
                log.warning("Kafka consumer failed (%s); restarting in %.0fs", exc, delay)
            except Exception:  # a bug must not end consumption for good
                log.exception("Kafka consumer crashed; restarting in %.0fs", delay)
            else:
                continue
            self.assigned.clear()
            self._stop.wait(delay)
            delay = min(delay * 2, 30.0)

    # --- the loop ---------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        session_ms = int(self.settings.kafka_session_timeout_seconds * 1000)
        return {
            "bootstrap.servers": self.bootstrap,
            "group.id": self.group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": max(100, session_ms // 4),
            # A small quiz is written inside the handler; an LLM may take minutes.
            "max.poll.interval.ms": 600_000,
            "topic.metadata.refresh.interval.ms": 5000,
            "reconnect.backoff.max.ms": 2000,
            "error_cb": self._on_error,
            "logger": RdkafkaLog(),
        }

    def _consume(self) -> None:
        consumer = Consumer(self._config())
        try:
            self._ensure_topics()
            consumer.subscribe(
                self.handlers.topics, on_assign=self._on_assign, on_revoke=self._on_revoke
            )
            log.info("consuming %s as group %s", ", ".join(self.handlers.topics), self.group)
            while not self._stop.is_set():
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                error = msg.error()
                if error is not None:
                    self._on_poll_error(error)
                    continue
                self._process(consumer, msg)
        finally:
            self.assigned.clear()
            consumer.close()

    def _process(self, consumer: Consumer, msg: Message) -> None:
        topic, partition, offset = _where(msg)
        handler = self.handlers.get(topic)
        try:
            if handler is None:
                raise BadMessage(f"no handler for topic {topic}")
            handler(self.sessions, msg.value() or b"")
        except BadMessage as exc:
            log.warning("%s[%d]@%d dead-lettered: %s", topic, partition, offset, exc)
            if not self._dead_letter(consumer, msg, str(exc) or "bad message"):
                return
        except Exception as exc:
            if is_transient(exc):
                log.warning("%s[%d]@%d will be retried in %.1fs: %s", topic, partition, offset,
                            self._delay, _short(exc))  # fmt: skip
                self._retry(consumer, msg)
                return
            log.exception("%s[%d]@%d failed unexpectedly; dead-lettered", topic, partition, offset)
            if not self._dead_letter(consumer, msg, f"unexpected error: {_short(exc)}"):
                return
        else:
            self.counts["processed"] += 1
        self._delay = FIRST_RETRY
        self._commit(consumer, msg)

    def _dead_letter(self, consumer: Consumer, msg: Message, reason: str) -> bool:
        """Send the dead letter; False (and the message retried) if the broker did not take it."""
        if self._dead_letters is None:
            self._dead_letters = DeadLetters(
                self.bootstrap, self.settings.kafka_dead_letter_suffix, self.group
            )
        try:
            self._dead_letters.send(msg, reason)
        except TransientError as exc:
            log.warning("dead letter not stored (%s); retrying the message", exc)
            self._retry(consumer, msg)
            return False
        self.counts["dead_lettered"] += 1
        self.recent_dead.append((*_where(msg), reason))
        return True

    def _retry(self, consumer: Consumer, msg: Message) -> None:
        """Seek back to `msg` (so the next poll returns it again) and wait the backoff."""
        self.counts["retried"] += 1
        topic, partition, offset = _where(msg)
        try:
            consumer.seek(TopicPartition(topic, partition, offset))
        except KafkaException as exc:
            # Revoked meanwhile: its next owner starts from the last committed offset.
            log.info("could not seek back on %s[%d]: %s", topic, partition, exc)
        self._stop.wait(self._delay)
        self._delay = min(self._delay * 2, self.settings.kafka_retry_max_seconds)

    def _commit(self, consumer: Consumer, msg: Message) -> None:
        topic, partition, offset = _where(msg)
        try:
            consumer.commit(message=msg, asynchronous=False)
        except KafkaException as exc:
            # The work is committed; a redelivery is de-duplicated by the handler.
            log.warning("offset %d of %s[%d] not committed: %s", offset, topic, partition, exc)
        self.settled[topic, partition] = offset

    # --- broker state -----------------------------------------------------------------------
    def _ensure_topics(self) -> None:
        """Create the consumed and dead-letter topics if missing (rate-limited)."""
        now = time.monotonic()
        if now - self._topics_checked < TOPIC_CHECK:
            return
        self._topics_checked = now
        suffix = self.settings.kafka_dead_letter_suffix
        topics = {*self.handlers.topics, *(dead_letter_topic(t, suffix) for t in self.handlers)}
        conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap, "logger": RdkafkaLog()}
        admin = AdminClient(conf)
        try:
            ensure_topics(admin, topics, timeout=5.0)
        except TransientError as exc:
            log.warning("Kafka topics not created yet (%s); trying again later", exc)

    def _on_poll_error(self, error: KafkaError) -> None:
        if error.fatal():
            raise KafkaException(error)
        if error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
            self._ensure_topics()  # e.g. a broker with memory storage restarted
            return
        log.debug("Kafka consumer: %s", error)

    def _on_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            log.warning("Kafka brokers unreachable; the consumer keeps reconnecting")
        elif error.fatal():
            log.warning("Kafka consumer: fatal error %s", error)
        else:
            log.debug("Kafka consumer: %s", error)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("Kafka partitions assigned: %s", _names(partitions))
        self.assigned.set()

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("Kafka partitions revoked: %s", _names(partitions))
        self.assigned.clear()


def _where(msg: Message) -> tuple[str, int, int]:
    """(topic, partition, offset) of a consumed message (never None for one without error)."""
    return msg.topic() or "", msg.partition() or 0, msg.offset() or 0


def _names(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{p.topic}[{p.partition}]" for p in partitions) or "none"


def _short(exc: BaseException) -> str:
    """An error in one line without its SQL or parameters (they may hold message data)."""
    if isinstance(exc, DBAPIError):
        return f"{type(exc).__name__}: {str(exc.orig).splitlines()[0][:300]}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
