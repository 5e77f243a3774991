"""`GET /health`: the database and every configured dependency, checked concurrently."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from studyforge.platform import Platform

router = APIRouter(tags=["system"])
CHECK_TIMEOUT = 3.0
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="health")


def _checks(platform: Platform) -> dict[str, Callable[[], str]]:
    settings = platform.settings
    checks: dict[str, Callable[[], str]] = {}

    def database() -> str:
        with platform.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "connected"

    def storage() -> str:
        platform.blobs.ping()
        return f"connected ({platform.blobs.name})"

    checks["database"] = database
    checks["storage"] = storage
    if settings.jobs == "celery" and platform.celery is not None:

        def job_broker() -> str:
            with platform.celery.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            return "connected (celery)"

        checks["job_broker"] = job_broker
    else:
        checks["job_broker"] = lambda: "inline"
    if settings.redis_url:
        url = settings.redis_url

        def redis() -> str:
            import redis as redis_lib

            client = redis_lib.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            try:
                client.ping()
            finally:
                client.close()
            return "connected"

        checks["redis"] = redis
    if settings.kafka_bootstrap_servers:
        servers = settings.kafka_bootstrap_servers

        def kafka() -> str:
            from confluent_kafka.admin import AdminClient

            AdminClient({"bootstrap.servers": servers, "log_level": 3}).list_topics(timeout=2.0)
            return "connected"

        checks["kafka"] = kafka
    if settings.rabbitmq_url:
        amqp = settings.rabbitmq_url

        def rabbitmq() -> str:
            from studyforge.messaging.rabbitmq import ping

            ping(amqp)
            return "connected"

        checks["rabbitmq"] = rabbitmq
    return checks


def check_dependencies(platform: Platform) -> dict[str, str]:
    """Run every check concurrently with a timeout; a failure reads `error: ...`."""
    futures = {name: _pool.submit(fn) for name, fn in _checks(platform).items()}
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=CHECK_TIMEOUT)
        except FutureTimeout:
            results[name] = "error: timed out"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    return results


class Health(BaseModel):
    """The health report (200 healthy or degraded, 503 when the database does not answer)."""

    ok: bool
    status: str
    service: str
    timestamp: str
    dependencies: dict[str, str]


@router.get(
    "/health",
    responses={200: {"model": Health}, 503: {"model": Health, "description": "no database"}},
)
def health(request: Request) -> JSONResponse:
    """Healthy when every dependency answers; degraded otherwise; 503 without a database."""
    deps = check_dependencies(request.app.state.platform)
    ok = all(not v.startswith("error") for v in deps.values())
    body: dict[str, Any] = {
        "ok": ok,
        "status": "healthy" if ok else "degraded",
        "service": "studyforge",
        "timestamp": datetime.now(UTC).isoformat(),
        "dependencies": deps,
    }
    code = 503 if deps["database"].startswith("error") else 200
    return JSONResponse(body, status_code=code)


@router.get("/health/live")
async def live() -> dict[str, str]:
    """Liveness: the process answers (no dependency is checked)."""
    return {"status": "alive"}
