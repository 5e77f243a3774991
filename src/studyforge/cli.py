"""`studyforge serve | worker | migrate | users | jobs | courses | documents` (Typer)."""

from __future__ import annotations

import json
import secrets
import sys
from typing import Annotated

import typer

from studyforge.config import Settings, get_settings
from studyforge.courses.cli import app as courses_app
from studyforge.documents.cli import app as documents_app
from studyforge.kit.redact import configure_logging

app = typer.Typer(
    help="studyforge: courses, quizzes and a tutor from your sources.", no_args_is_help=True
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
jobs_app = typer.Typer(help="Inspect and enqueue background jobs.", no_args_is_help=True)
consume_app = typer.Typer(help="Consume inbound commands from a broker.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.add_typer(consume_app, name="consume")
app.add_typer(courses_app, name="courses")
app.add_typer(documents_app, name="documents")

FIRST_USER = "admin"


def _settings() -> Settings:
    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    configure_logging(settings.log_level)
    return settings


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from studyforge.migrate import upgrade

    settings = _settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    typer.echo("database is up to date")


def _ensure_first_user(settings: Settings) -> None:
    """On the very first start, create a local account and print its password once."""
    from sqlalchemy.orm import sessionmaker

    from studyforge.auth.service import count_users, create_user
    from studyforge.db import make_engine

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with sessionmaker(engine).begin() as session:
            if count_users(session):
                return
            password = secrets.token_urlsafe(12)
            create_user(session, FIRST_USER, password)
    finally:
        engine.dispose()
    url = f"http://{settings.host}:{settings.port}/login"
    # Printed straight to the terminal, never through logging, and never again.
    print(
        "\n  First start: created a local account\n"
        f"    username: {FIRST_USER}\n"
        f"    password: {password}\n"
        f"  Sign in at {url} (this password is not shown again)\n",
        flush=True,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default $PORT or 8000)")] = None,
) -> None:
    """Migrate, then serve the API and web pages (with inline jobs unless configured otherwise)."""
    import uvicorn

    from studyforge.app import create_app
    from studyforge.migrate import upgrade

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    try:
        settings = _settings().model_copy(update=overrides)
        Settings.model_validate(settings.model_dump())  # re-check the secret rule for --host
    except ValueError as exc:
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    _ensure_first_user(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once")] = 4,
    queues: Annotated[
        str, typer.Option(help="Comma-separated queues")
    ] = "default,repo_analysis,ai_processing",
) -> None:
    """Run a Celery worker that executes jobs (needs STUDYFORGE_JOBS=celery and a broker)."""
    from studyforge.platform import build_platform

    settings = _settings().model_copy(update={"jobs": "celery"})
    platform = build_platform(settings, role="worker")
    try:
        platform.celery.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--queues={queues}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--loglevel={settings.log_level}",
            ]
        )
    finally:
        platform.close()


@consume_app.command("rabbitmq")
def consume_rabbitmq() -> None:
    """Consume course generation requests (`serve` does this too when RABBITMQ_HOST is set)."""
    import signal
    import threading

    from studyforge.platform import build_platform

    settings = _settings().model_copy(update={"rabbitmq_consume": True, "kafka_consume": False})
    if not settings.rabbitmq_url:
        typer.echo("error: set RABBITMQ_HOST (and RABBITMQ_* as needed)", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    platform = build_platform(settings, role="consumer")
    typer.echo(f"consuming {settings.rabbitmq_queue_generation}; Ctrl+C stops", err=True)
    try:
        stop.wait()
    finally:
        platform.close()


@consume_app.command("kafka")
def consume_kafka() -> None:
    """Consume Kafka's quiz requests, notes and processed documents (`serve` does this too
    when KAFKA_BOOTSTRAP_SERVERS is set)."""
    import signal
    import threading

    from studyforge.messaging.kafka_consumer import KafkaConsumerRunner
    from studyforge.platform import build_platform

    settings = _settings().model_copy(update={"kafka_consume": True, "rabbitmq_consume": False})
    if not settings.kafka_bootstrap_servers:
        typer.echo("error: set KAFKA_BOOTSTRAP_SERVERS", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    platform = build_platform(settings, role="consumer")
    runner = next(b for b in platform.background if isinstance(b, KafkaConsumerRunner))
    topics, group = ", ".join(runner.handlers.topics), settings.kafka_consumer_group
    typer.echo(f"consuming {topics} as group {group}; Ctrl+C stops", err=True)
    try:
        stop.wait()
    finally:
        platform.close()


@users_app.command("create")
def users_create(
    username: str,
    password: Annotated[str | None, typer.Option(help="Generated and printed if omitted")] = None,
    email: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a user account."""
    from sqlalchemy.orm import sessionmaker

    from studyforge.auth.service import create_user
    from studyforge.db import make_engine
    from studyforge.errors import AppError

    settings = _settings()
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with sessionmaker(engine).begin() as session:
            user = create_user(session, username, password, email)
            user_id = user.id
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    typer.echo(f"created user {username} ({user_id})")
    if generated:
        typer.echo(f"password: {password}")


@users_app.command("list")
def users_list() -> None:
    """List user accounts."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from studyforge.auth.models import User
    from studyforge.db import make_engine

    engine = make_engine(_settings().sqlalchemy_url)
    with Session(engine) as session:
        for user in session.scalars(select(User).order_by(User.created_at)):
            typer.echo(f"{user.id}  {user.username}")
    engine.dispose()


@jobs_app.command("enqueue")
def jobs_enqueue(
    kind: str,
    user: Annotated[str | None, typer.Option(help="Owner's username")] = None,
    param: Annotated[list[str] | None, typer.Option(help="key=JSON value, repeatable")] = None,
) -> None:
    """Enqueue a job by kind (e.g. `system.sleep --param steps=10`) and print its id."""
    from sqlalchemy import select

    from studyforge.auth.models import User
    from studyforge.jobs import enqueue
    from studyforge.platform import build_platform

    params = {}
    for item in param or []:
        key, _, raw = item.partition("=")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    platform = build_platform(_settings(), role="client")
    try:
        with platform.sessions.begin() as session:
            user_id = session.scalar(select(User.id).where(User.username == user)) if user else None
            if user and user_id is None:
                typer.echo(f"error: no user {user!r}", err=True)
                raise typer.Exit(1)
            row = enqueue(session, kind, user_id=user_id, **params)
            job_id = row.id
    finally:
        platform.close()
    typer.echo(str(job_id))


def main() -> None:
    """Entry point for `python -m studyforge`."""
    app(sys.argv[1:])
