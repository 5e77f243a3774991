"""Scale-out mode: PostgreSQL + S3 + a Celery worker process + Kafka, all real, on loopback."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.platform import build_platform
from tests.conftest import make_settings
from tests.documents import samples
from tests.documents.conftest import ingest
from tests.support.procs import start_worker

pytestmark = [pytest.mark.anyio, pytest.mark.services]


def kafka_messages(bootstrap: str, topic: str, want: int, timeout: float = 30) -> list[dict]:
    """Up to `want` messages of one topic (partition 0 from the start; Tansu-friendly assign)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                         "enable.auto.commit": False})  # fmt: skip
    consumer.assign([TopicPartition(topic, 0, 0)])
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < want and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                found.append(json.loads(msg.value()))
    finally:
        consumer.close()
    return found


async def test_documents_on_postgres_s3_celery_and_kafka(
    tmp_path: Path, module_pg_url: str, redis: Any, s3: Any, kafka: Any
):
    settings = make_settings(
        tmp_path / "home", module_pg_url, jobs="celery", redis_url=redis.url,
        kafka_bootstrap_servers=kafka.bootstrap, s3_bucket=f"docs-{uuid.uuid4().hex[:8]}",
        s3_endpoint_url=s3.endpoint_url, s3_access_key_id=s3.access_key,
        s3_secret_access_key=s3.secret_key,
    )  # fmt: skip
    worker = start_worker(settings, tmp_path, concurrency=2)
    platform = build_platform(settings, role="client")
    try:
        with platform.sessions.begin() as session:
            user = create_user(session, f"s{uuid.uuid4().hex[:6]}", "pw-123456789")
            headers = {"Authorization": f"Bearer {issue_token(user, settings.secret_key(), 10)}"}
        transport = httpx.ASGITransport(app=create_app(platform=platform))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            pdf = samples.text_pdf()
            doc = await ingest(client, headers, "science.pdf", pdf, path="s/x.pdf")
            assert doc["status"] == "completed", doc
            stored = platform.blobs.get(doc["s3_key"])  # the file lives in the S3 bucket
            assert stored == pdf
            hits = await client.post(
                "/api/search", headers=headers, json={"query": "How does the body fight germs?"}
            )
            assert hits.json()["results"][0]["page"] == samples.PAGE_OF["The immune system"]
        processed = kafka_messages(kafka.bootstrap, "document.processed", want=50, timeout=15)
        mine = [m for m in processed if m["data"]["document_id"] == doc["document_id"]]
        assert mine and mine[-1]["data"]["status"] == "completed"
        assert mine[-1]["type"] == "document.processed"
    finally:
        platform.close()
        worker.stop()
