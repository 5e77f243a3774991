"""RabbitMQ publisher: a durable topic exchange, routing key = event type, confirmed delivery."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from studyforge.errors import TransientError

log = logging.getLogger(__name__)


def connection_parameters(url: str, timeout: float = 5.0) -> pika.URLParameters:
    """Pika parameters for an AMQP URL with short, bounded timeouts."""
    params = pika.URLParameters(url)
    params.socket_timeout = timeout
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    params.heartbeat = 30
    return params


class RabbitPublisher:
    """Publishes event envelopes with publisher confirms; reconnects after a broker restart."""

    name = "rabbitmq"

    def __init__(
        self, url: str, exchange: str, routes: dict[str, tuple[str, str]] | None = None
    ) -> None:
        self.url = url
        self.exchange = exchange
        # Event types also delivered elsewhere as their bare payload, e.g. `course.status` to
        # the course exchange's status route in the specification's message format.
        self.routes = routes or {}
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def _ensure_channel(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self.close()
        connection = pika.BlockingConnection(connection_parameters(self.url))
        channel = connection.channel()
        for exchange in {self.exchange, *(ex for ex, _ in self.routes.values())}:
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.confirm_delivery()
        self._connection, self._channel = connection, channel
        return channel

    def publish(self, events: Sequence[dict[str, object]]) -> None:
        """Publish each event persistently; raise TransientError if the broker did not confirm."""
        with self._lock:
            try:
                channel = self._ensure_channel()
                for event in events:
                    channel.basic_publish(
                        self.exchange,
                        routing_key=str(event["type"]),
                        body=json.dumps(event).encode(),
                        properties=pika.BasicProperties(
                            content_type="application/json",
                            delivery_mode=2,
                            message_id=str(event["event_id"]),
                            type=str(event["type"]),
                        ),
                        mandatory=False,
                    )
                    route = self.routes.get(str(event["type"]))
                    if route is not None:
                        channel.basic_publish(
                            route[0],
                            routing_key=route[1],
                            body=json.dumps(event["data"]).encode(),
                            properties=pika.BasicProperties(
                                content_type="application/json",
                                delivery_mode=2,
                                message_id=str(event["event_id"]),
                            ),
                        )
            except (AMQPError, OSError) as exc:
                self.close()
                raise TransientError(f"RabbitMQ publish failed: {exc!r}") from exc

    def close(self) -> None:
        """Close the connection if open."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except (AMQPError, OSError) as exc:
                log.debug("closing RabbitMQ connection failed: %r", exc)


def ping(url: str) -> None:
    """Raise TransientError unless RabbitMQ accepts a connection."""
    try:
        pika.BlockingConnection(connection_parameters(url, timeout=2.0)).close()
    except (AMQPError, OSError) as exc:
        raise TransientError(f"RabbitMQ unreachable: {exc!r}") from exc
