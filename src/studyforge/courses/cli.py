"""`studyforge courses publish | watch`: the specification's test publisher and status consumer."""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any

import typer

from studyforge.config import get_settings

app = typer.Typer(help="Course requests over RabbitMQ.", no_args_is_help=True)


def _channel() -> tuple[Any, Any]:
    import pika

    from studyforge.messaging.course_consumer import declare_topology
    from studyforge.messaging.rabbitmq import connection_parameters

    settings = get_settings()
    if not settings.rabbitmq_url:
        typer.echo("error: set RABBITMQ_HOST (and RABBITMQ_* as needed)", err=True)
        raise typer.Exit(2)
    connection = pika.BlockingConnection(connection_parameters(settings.rabbitmq_url))
    channel = connection.channel()
    declare_topology(channel, settings)
    return connection, channel


@app.command()
def publish(
    topic: Annotated[str, typer.Option(help="What the course is about")],
    user_id: Annotated[uuid.UUID, typer.Option(help="Owner of the course")],
    grade_level: Annotated[str, typer.Option()] = "Grade 8",
    num_lessons: Annotated[int, typer.Option()] = 4,
    source_filter: Annotated[str | None, typer.Option(help="Path prefix of sources")] = None,
    request_id: Annotated[str | None, typer.Option(help="Generated if omitted")] = None,
) -> None:
    """Publish a generation request to `RABBITMQ_ROUTE_GENERATE`; prints its request_id."""
    import pika

    settings = get_settings()
    message = {
        "request_id": request_id or str(uuid.uuid4()),
        "user_id": str(user_id),
        "topic": topic,
        "grade_level": grade_level,
        "num_lessons": num_lessons,
        "source_filter": source_filter,
    }
    connection, channel = _channel()
    try:
        channel.confirm_delivery()
        channel.basic_publish(
            settings.rabbitmq_exchange,
            settings.rabbitmq_route_generate,
            json.dumps(message).encode(),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    finally:
        connection.close()
    typer.echo(message["request_id"])


@app.command()
def watch(
    timeout: Annotated[
        float, typer.Option(help="Stop after this many idle seconds (0: never)")
    ] = 0,
    request_id: Annotated[str | None, typer.Option(help="Only this request's messages")] = None,
) -> None:
    """Print status messages from `RABBITMQ_QUEUE_STATUS` as they arrive (one JSON per line)."""
    settings = get_settings()
    connection, channel = _channel()
    idle_since = time.monotonic()
    try:
        while timeout <= 0 or time.monotonic() - idle_since < timeout:
            method, _, body = channel.basic_get(settings.rabbitmq_queue_status)
            if method is None:
                connection.process_data_events(time_limit=0.2)
                continue
            idle_since = time.monotonic()
            message = json.loads(body)
            channel.basic_ack(method.delivery_tag)
            if request_id is None or message.get("request_id") == request_id:
                typer.echo(json.dumps(message), nl=True)
                if request_id and message.get("status") in ("success", "error"):
                    return
    finally:
        connection.close()
