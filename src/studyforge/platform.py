"""The process's clients, built once from Settings: database, job runner, blobs, event relay.

`app.py` builds a Platform in the FastAPI lifespan; `studyforge worker` builds one in the Celery
worker process. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from studyforge import models as _models  # noqa: F401  (every table mapped in every process)
from studyforge.ai.registry import AIProviders, make_providers
from studyforge.auth.service import TokenCache
from studyforge.config import Settings
from studyforge.courses import generate as _course_jobs  # noqa: F401  (registers the jobs)
from studyforge.db import LoopReader, make_engine, make_session_factory
from studyforge.documents import jobs as _document_jobs  # noqa: F401  (registers the jobs)
from studyforge.documents.vectors import limit_blas_threads
from studyforge.events.relay import Publisher, Relay
from studyforge.jobs.execute import Executor
from studyforge.jobs.runners import (
    CeleryRunner,
    InlineRunner,
    NullRunner,
    Runner,
    Sweeper,
    dispatch_queued,
    requeue_orphans,
)
from studyforge.projects import generate as _project_jobs  # noqa: F401  (registers the job)
from studyforge.quizzes import generate as _quiz_jobs  # noqa: F401  (registers the jobs)
from studyforge.repo_courses import jobs as _repo_course_jobs  # noqa: F401  (registers the jobs)
from studyforge.speech import jobs as _speech_jobs  # noqa: F401  (registers the jobs)
from studyforge.storage import BlobStore, LocalBlobStore, S3BlobStore, make_s3_client
from studyforge.system import jobs as _system_jobs  # noqa: F401  (registers the jobs)

if TYPE_CHECKING:
    from studyforge.messaging.kafka_consumer import Handlers

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Platform:
    """Everything a request or a job needs besides its own arguments."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    executor: Executor
    runner: Runner
    relay: Relay
    ai: AIProviders
    tokens: TokenCache
    loop_reader: LoopReader | None = None
    celery: Any = None
    background: list[Any] = field(default_factory=list)

    async def read(self, query: Callable[..., T], *args: Any) -> T:
        """Run `query(connection, *args)`, a short read-only query, for a request.

        On SQLite it runs right here on the event loop, memoised until the next commit (see
        `LoopReader`); on a networked database it runs in the thread pool so the loop never
        waits on the network.
        """
        if self.loop_reader is not None:
            return self.loop_reader.read(query, *args)
        return await run_in_threadpool(self._read_pooled, query, *args)

    def _read_pooled(self, query: Callable[..., T], *args: Any) -> T:
        with self.engine.connect() as conn:
            return query(conn, *args)

    def close(self) -> None:
        """Stop background threads and release connections."""
        for item in self.background:
            item.stop()
        self.relay.stop()
        self.runner.close()
        self.engine.dispose()
        if self.loop_reader is not None:
            self.loop_reader.close()


def make_blobs(settings: Settings) -> BlobStore:
    """Local folder under home, or S3 when a bucket is configured (created if missing)."""
    if not settings.s3_bucket:
        return LocalBlobStore(settings.home / "blobs")
    client = make_s3_client(
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_access_key_id,
        settings.s3_secret_access_key,
    )
    try:
        client.head_bucket(Bucket=settings.s3_bucket)
    except client.exceptions.ClientError:
        client.create_bucket(Bucket=settings.s3_bucket)
    return S3BlobStore(client, settings.s3_bucket)


def make_publishers(settings: Settings) -> list[Publisher]:
    """One publisher per configured broker (Kafka, RabbitMQ)."""
    publishers: list[Publisher] = []
    if settings.kafka_bootstrap_servers:
        from studyforge.messaging.kafka import KafkaPublisher

        publishers.append(KafkaPublisher(settings.kafka_bootstrap_servers))
    if settings.rabbitmq_url:
        from studyforge.messaging.rabbitmq import RabbitPublisher

        routes = {"course.status": (settings.rabbitmq_exchange, settings.rabbitmq_route_status)}
        publishers.append(
            RabbitPublisher(settings.rabbitmq_url, settings.events_exchange, routes=routes)
        )
    return publishers


def build_platform(settings: Settings, *, role: str = "server") -> Platform:
    """Build the clients for `role`.

    "server" serves requests and, with inline jobs, runs them; "worker" executes Celery jobs;
    "client" (a CLI command) only writes rows and leaves inline jobs to the server;
    "consumer" (`studyforge consume rabbitmq | kafka`) also relays events and consumes requests.

    Background threads (runner, sweeper, relay) are started here too.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    # A process's parallelism is its concurrent requests and jobs: a BLAS call spreading over
    # every core makes concurrent ones fight (and idle OpenBLAS threads spin). See vectors.py.
    limit_blas_threads(1)
    engine = make_engine(settings.sqlalchemy_url)
    sessions = make_session_factory(engine)
    executor = Executor(
        sessions,
        lease_seconds=settings.job_lease_seconds,
        backoff_seconds=settings.job_backoff_seconds,
    )
    celery_app = None
    runner: Runner
    if settings.jobs == "celery":
        from studyforge.jobs.celery_app import make_celery, register_run_job

        broker = settings.job_broker_url
        if not broker:
            raise ValueError(
                "STUDYFORGE_JOBS=celery needs REDIS_URL, RABBITMQ_HOST or CELERY_BROKER_URL"
            )
        celery_app = make_celery(broker, settings.job_lease_seconds)
        register_run_job(celery_app, executor.run)
        runner = CeleryRunner(celery_app)
    elif role in ("client", "consumer"):
        runner = NullRunner()
    else:
        runner = InlineRunner(executor, settings.job_workers)
    relay = Relay(sessions, make_publishers(settings), settings.events_poll_seconds)
    platform = Platform(
        settings=settings,
        engine=engine,
        sessions=sessions,
        blobs=make_blobs(settings),
        executor=executor,
        runner=runner,
        relay=relay,
        ai=make_providers(settings),
        tokens=TokenCache(settings.auth_cache_seconds),
        loop_reader=LoopReader(engine) if LoopReader.supports(engine) else None,
        celery=celery_app,
    )
    executor.services = platform
    sessions.configure(
        info={
            "dispatch": lambda job: runner.dispatch(job.id, job.queue, kind=job.kind),
            "default_max_attempts": settings.job_max_attempts,
            "wake_relay": relay.wake,
        }
    )
    _start_background(platform, role)
    return platform


def _start_background(platform: Platform, role: str) -> None:
    settings = platform.settings
    runs_jobs = (role == "server" and settings.jobs == "inline") or role == "worker"
    if role == "server" and settings.jobs == "inline":
        recovered = requeue_orphans(platform.sessions)
        if recovered:
            log.info("re-queued %d job(s) interrupted by the last shutdown", recovered)
    if runs_jobs:
        lease = settings.job_lease_seconds
        # Inline: re-offer every queued job each sweep (the runner drops duplicates), so jobs
        # written by other processes (CLI, consumers) start promptly.
        resend = 0.0 if settings.jobs == "inline" else lease * 4
        sweeper = Sweeper(platform.sessions, platform.runner, lease, resend)
        platform.background.append(sweeper)
        sweeper.start()
        from studyforge.speech.retention import retention_loop

        retention = retention_loop(platform.sessions, platform.blobs, settings)
        platform.background.append(retention)
        retention.start()
        if role == "server":
            # Queued jobs from before the restart: send them now rather than at the first sweep.
            dispatch_queued(platform.sessions, platform.runner)
    if role != "client":
        platform.relay.start()
    if role in ("server", "consumer") and settings.rabbitmq_url and settings.rabbitmq_consume:
        from studyforge.messaging.course_consumer import CourseConsumer

        consumer = CourseConsumer(settings, platform.sessions)
        platform.background.append(consumer)
        consumer.start()
    consumes = role in ("server", "consumer")
    if consumes and settings.kafka_bootstrap_servers and settings.kafka_consume:
        from studyforge.messaging.kafka_consumer import KafkaConsumerRunner

        kafka = KafkaConsumerRunner(settings, platform.sessions, kafka_handlers(platform))
        platform.background.append(kafka)
        kafka.start()


def kafka_handlers(platform: Platform) -> Handlers:
    """The Kafka topics this process consumes and their handlers (features add theirs here)."""
    from studyforge.chat import consumer as chat
    from studyforge.messaging.kafka_consumer import Handlers
    from studyforge.quizzes import consumer as quizzes
    from studyforge.speech import consumer as speech

    handlers = Handlers()
    quizzes.register(handlers, platform.ai)
    chat.register(handlers, platform.settings.redis_url)
    speech.register(handlers, platform.blobs, platform.settings, platform.ai)
    return handlers
