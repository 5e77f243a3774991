"""PostgreSQL 15 without pgvector: LZ4 compression, the NumPy vector path, courses end to end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.documents.index import has_pgvector
from studyforge.migrate import upgrade
from studyforge.platform import build_platform
from tests.conftest import make_settings
from tests.courses.conftest import wait_course, with_sources

pytestmark = [pytest.mark.anyio, pytest.mark.services]


@pytest.fixture
def pg15_url(postgres15: Any) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    admin = postgres15.url.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = postgres15.url.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_compress_lesson_text_with_lz4(pg15_url: str):
    with psycopg.connect(pg15_url.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "SELECT c.relname, a.attname, a.attcompression FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid WHERE (c.relname, a.attname) IN "
            "(('lesson_bodies', 'content_md'), ('courses', 'description')) ORDER BY 1"
        ).fetchall()
        views = conn.execute(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'public' "
            "ORDER BY 1"
        ).fetchall()
    assert rows == [("courses", "description", "l"), ("lesson_bodies", "content_md", "l")]
    assert [v[0] for v in views] == ["v_course_lessons", "v_course_summary", "v_lessons_full"]


async def test_search_and_courses_without_pgvector(tmp_path: Path, pg15_url: str):
    platform = build_platform(make_settings(tmp_path / "home", pg15_url))
    try:
        with platform.sessions.begin() as session:
            user = create_user(session, "pg15", "pw-123456789")
            headers = {
                "Authorization": f"Bearer {issue_token(user, platform.settings.secret_key(), 5)}"
            }
            assert has_pgvector(session) is False  # vectors are searched with NumPy here
        transport = httpx.ASGITransport(app=create_app(platform=platform))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await with_sources(client, headers)
            hits = await client.post(
                "/api/search",
                headers=headers,
                json={"query": "How do plants turn sunlight into food?", "k": 3},
            )
            assert 1 in [h["page"] for h in hits.json()["results"]]
            body = {"topic": "Volcanoes and the immune system", "num_lessons": 2}
            queued = await client.post("/api/courses", headers=headers, json=body)
            course = await wait_course(client, headers, queued.json()["course_id"])
            assert course["status"] == "READY" and len(course["lessons"]) == 2
    finally:
        platform.close()
