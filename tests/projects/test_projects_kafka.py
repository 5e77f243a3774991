"""A project's run events reach a real Kafka-protocol broker (Tansu) through the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from studyforge.config import Settings
from tests.messaging.kafka_helpers import kafka_settings, own_kafka, read_topic
from tests.projects.test_projects_api import EMAIL, start, stream

pytestmark = [pytest.mark.anyio, pytest.mark.services]
kafka = pytest.fixture(scope="module")(own_kafka)


@pytest.fixture
def settings(tmp_path: Path, db_url: str, kafka: Any) -> Settings:
    return kafka_settings(tmp_path / "home", db_url, kafka.bootstrap)


async def test_run_events_are_published(client, make_user, kafka) -> None:
    _, headers = make_user()
    run_id = await start(client, headers)
    sections = [
        e for e in await stream(client, headers, run_id) if e["event"] == "section_completed"
    ]

    def ours(value: dict[str, Any], _headers: dict[str, bytes]) -> bool:
        return value.get("data", {}).get("run_id") == run_id

    for topic in ("project.started", "project.section_completed", "project.completed"):
        found = read_topic(kafka.bootstrap, topic, ours, timeout=60)
        value = found[0][0]
        assert value["type"] == topic and value["data"]["project_id"] == "proj_1"
        assert EMAIL not in json.dumps(value)
        if topic == "project.section_completed":
            ids = {f[0]["data"]["section_id"] for f in found}
            assert ids == {e["data"]["section_id"] for e in sections}
