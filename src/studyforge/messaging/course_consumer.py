"""The course generation consumer: RabbitMQ `course.generate` requests -> courses.

Topology (declared on every connect, all durable): the topic exchange `RABBITMQ_EXCHANGE`;
`RABBITMQ_QUEUE_GENERATION` bound to `RABBITMQ_ROUTE_GENERATE`, dead-lettering to
`<exchange>.dlx` -> `RABBITMQ_DEAD_LETTER_QUEUE`; `RABBITMQ_QUEUE_STATUS` bound to
`RABBITMQ_ROUTE_STATUS` (status messages are published by the outbox relay).

A request is acked only after its course row (and the `processing` status, and the job) are
committed. An invalid one is rejected without requeue (so it lands in the dead-letter queue)
after an `error` status is recorded for its `request_id`, if it has one. A database outage
requeues the message. A `request_id` its user already sent is acked without a second course
(request ids are scoped per user: the same id from two users makes two courses).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from studyforge.auth.models import User
from studyforge.config import Settings
from studyforge.courses.schemas import BrokerCourseRequest
from studyforge.courses.service import STATUS_EVENT, request_course, status_message
from studyforge.events.service import emit
from studyforge.messaging.rabbitmq import connection_parameters

log = logging.getLogger(__name__)
PREFETCH = 8


class InvalidRequest(Exception):
    """A message that can never be processed: it goes to the dead-letter queue."""


def declare_topology(channel: BlockingChannel, settings: Settings) -> None:
    """Declare the specification's exchange and queues plus the dead-letter queue."""
    dlx = f"{settings.rabbitmq_exchange}.dlx"
    channel.exchange_declare(settings.rabbitmq_exchange, exchange_type="topic", durable=True)
    channel.exchange_declare(dlx, exchange_type="topic", durable=True)
    channel.queue_declare(settings.rabbitmq_dead_letter_queue, durable=True)
    channel.queue_bind(settings.rabbitmq_dead_letter_queue, dlx, routing_key="#")
    channel.queue_declare(
        settings.rabbitmq_queue_generation,
        durable=True,
        arguments={"x-dead-letter-exchange": dlx},
    )
    channel.queue_bind(
        settings.rabbitmq_queue_generation,
        settings.rabbitmq_exchange,
        routing_key=settings.rabbitmq_route_generate,
    )
    channel.queue_declare(settings.rabbitmq_queue_status, durable=True)
    channel.queue_bind(
        settings.rabbitmq_queue_status,
        settings.rabbitmq_exchange,
        routing_key=settings.rabbitmq_route_status,
    )


class CourseConsumer:
    """Consumes generation requests in its own thread and reconnects after broker restarts."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="course-consumer", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        """Start consuming in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the message in hand (if any) is settled."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def run(self) -> None:
        """Consume until stopped, reconnecting with backoff when the connection drops."""
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._consume()
                delay = 0.5
            except (AMQPError, OSError) as exc:
                self.connected.clear()
                log.warning("RabbitMQ consumer disconnected (%r); retrying in %.1fs", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def _consume(self) -> None:
        url = self.settings.rabbitmq_url
        assert url is not None
        connection = pika.BlockingConnection(connection_parameters(url))
        try:
            channel = connection.channel()
            declare_topology(channel, self.settings)
            channel.basic_qos(prefetch_count=PREFETCH)
            channel.basic_consume(self.settings.rabbitmq_queue_generation, self._on_message)
            self.connected.set()
            log.info("consuming course requests from %s", self.settings.rabbitmq_queue_generation)
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.5)
        finally:
            self.connected.clear()
            if connection.is_open:
                connection.close()

    def _on_message(
        self, channel: BlockingChannel, method: Any, properties: Any, body: bytes
    ) -> None:
        tag = method.delivery_tag
        try:
            self.handle(body)
        except InvalidRequest as exc:
            log.warning("course request rejected to the dead-letter queue: %s", exc)
            channel.basic_reject(tag, requeue=False)
            return
        except DBAPIError as exc:
            log.warning("database unavailable (%s); the request is requeued", type(exc).__name__)
            time.sleep(1.0)
            channel.basic_nack(tag, requeue=True)
            return
        channel.basic_ack(tag)

    def handle(self, body: bytes) -> None:
        """Validate and record one request; raises InvalidRequest for dead-letter cases."""
        try:
            data = json.loads(body)
        except ValueError:
            raise InvalidRequest("malformed JSON") from None
        request_id = data.get("request_id") if isinstance(data, dict) else None
        request_id = request_id if isinstance(request_id, str) and request_id else None
        try:
            req = BrokerCourseRequest.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
            )
            self._error(request_id, f"Invalid request: {problems}")
            raise InvalidRequest(problems) from None
        try:
            with self.sessions.begin() as session:
                if session.get(User, req.user_id) is None:
                    raise InvalidRequest(f"unknown user_id {req.user_id}")
                request_course(session, req.user_id, req)
        except InvalidRequest as exc:
            self._error(request_id, f"Invalid request: {exc}")
            raise InvalidRequest(str(exc)) from None
        except IntegrityError:
            log.info("request %s was recorded concurrently; acknowledged", request_id)

    def _error(self, request_id: str | None, message: str) -> None:
        """Record an `error` status for a request that will not be processed."""
        if request_id is None:
            return
        with self.sessions.begin() as session:
            emit(session, STATUS_EVENT, status_message(request_id, "error", message))
