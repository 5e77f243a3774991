"""/health reports every configured dependency; 503 only when the database is unreachable."""

from __future__ import annotations

import httpx
import pytest

from studyforge.db import make_engine
from studyforge.platform import Platform
from tests.support.procs import free_port

pytestmark = pytest.mark.anyio


async def test_embedded_mode_is_healthy(client: httpx.AsyncClient):
    resp = await client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "healthy" and body["service"] == "studyforge"
    assert body["dependencies"] == {
        "database": "connected",
        "storage": "connected (local)",
        "job_broker": "inline",
    }
    assert "T" in body["timestamp"]


async def test_unreachable_optional_dependency_is_degraded(
    platform: Platform, client: httpx.AsyncClient
):
    port = free_port()  # nothing listens there
    platform.settings.redis_url = f"redis://127.0.0.1:{port}/0"
    platform.settings.rabbitmq_host = "127.0.0.1"
    platform.settings.rabbitmq_port = port
    resp = await client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["dependencies"]["database"] == "connected"
    assert body["dependencies"]["redis"].startswith("error")
    assert body["dependencies"]["rabbitmq"].startswith("error")


async def test_unreachable_database_is_503(platform: Platform, client: httpx.AsyncClient):
    healthy_engine = platform.engine
    platform.engine = make_engine(f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/db")
    try:
        resp = await client.get("/health")
    finally:
        platform.engine.dispose()
        platform.engine = healthy_engine
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["dependencies"]["database"].startswith("error")
    assert "u:p@" not in resp.text


async def test_liveness_needs_nothing(client: httpx.AsyncClient):
    assert (await client.get("/health/live")).json() == {"status": "alive"}


async def test_all_services_connected(
    platform: Platform, client: httpx.AsyncClient, redis, rabbitmq, kafka
):
    platform.settings.redis_url = redis.url
    platform.settings.rabbitmq_host = "127.0.0.1"
    platform.settings.rabbitmq_port = rabbitmq.port
    platform.settings.kafka_bootstrap_servers = kafka.bootstrap
    body = (await client.get("/health")).json()
    assert body["status"] == "healthy", body
    assert {"redis", "rabbitmq", "kafka"} <= set(body["dependencies"])
