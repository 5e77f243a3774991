"""Courses over HTTP on the offline engine: grounded lessons, storage, views, exports."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text

from studyforge.ai.offline.text import split_sentences
from tests.courses.conftest import wait_course, with_sources

pytestmark = pytest.mark.anyio


async def _backup_files(root: Path, timeout: float = 15.0) -> list[Path]:
    """The course.json files under `root`, once each has its course.md beside it: the backup
    files are written after the job's commit, so READY can be read a moment before them."""
    deadline = time.monotonic() + timeout
    while True:
        files = list(root.rglob("course.json"))
        if (files and all((f.parent / "course.md").exists() for f in files)) or (
            time.monotonic() > deadline
        ):
            return files
        await anyio.sleep(0.05)


async def test_course_from_documents_is_grounded_and_stored(client, make_user, platform, settings):
    _, headers = make_user()
    doc = await with_sources(client, headers)
    response = await client.post(
        "/api/courses",
        headers=headers,
        json={
            "topic": "Photosynthesis, volcanoes and the immune system",
            "num_lessons": 3,
            "grade_level": "Grade 9",
            "source_filter": "science/",
            "request_id": "req-1",
        },
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "QUEUED" and queued["request_id"] == "req-1"
    course = await wait_course(client, headers, queued["course_id"])
    assert course["status"] == "READY", course["error_message"]
    assert course["title"] and course["slug"] and course["generated_at"]
    assert course["provider"] == "offline" and course["cost_usd"] == 0
    lessons = course["lessons"]
    assert [lesson["lesson_number"] for lesson in lessons] == [1, 2, 3]
    text_of_doc = " ".join(doc["extracted_text"].split())
    for lesson in lessons:
        assert lesson["title"] and lesson["key_concepts"] and lesson["sources"]
        assert lesson["content_md"].startswith(f"# Lesson {lesson['lesson_number']}")
        assert lesson["checks"] and all(c["answer"] for c in lesson["checks"])
        for section in lesson["content_json"]["sections"]:
            for paragraph in section["paragraphs"]:
                assert paragraph["citations"]
                if section["heading"] == "Key ideas":  # every sentence quoted from the document
                    for sentence in split_sentences(paragraph["text"]):
                        assert sentence.text in text_of_doc
        for source in lesson["sources"]:
            assert (
                source["path"] == "science/all.pdf" and source["document_id"] == doc["document_id"]
            )
    with platform.engine.connect() as conn:
        summary = conn.execute(
            text("SELECT title, total_lessons, status FROM v_course_summary WHERE course_id = :c"),
            {"c": uuid.UUID(course["id"]).hex if conn.dialect.name == "sqlite" else course["id"]},
        ).one()
        assert summary.total_lessons == 3 and summary.status == "READY"
        full = conn.execute(
            text("SELECT count(*) FROM v_lessons_full WHERE content_md IS NOT NULL")
        ).scalar()
        toc = conn.execute(text("SELECT count(*) FROM v_course_lessons")).scalar()
        assert full == 3 and toc == 3
    files = await _backup_files(settings.home / "courses")
    assert len(files) == 1 and files[0].parent.name == course["slug"]
    backup = json.loads(files[0].read_text())
    assert backup["metadata"]["total_lessons"] == 3 and len(backup["lessons"]) == 3
    assert (files[0].parent / "course.md").read_text().startswith("# ")


async def test_exports_and_ownership(client, make_user):
    _, alice = make_user()
    _, bob = make_user()
    await with_sources(client, alice)
    queued = (
        await client.post(
            "/api/courses",
            headers=alice,
            json={"topic": "Volcanoes and the immune system", "num_lessons": 2},
        )
    ).json()
    course = await wait_course(client, alice, queued["course_id"])
    assert course["status"] == "READY", course
    cid = course["id"]
    as_json = await client.get(f"/api/courses/{cid}/export?format=json", headers=alice)
    assert as_json.json()["metadata"]["title"] == course["title"]
    md = await client.get(f"/api/courses/{cid}/export?format=md", headers=alice)
    assert md.text.startswith(f"# {course['title']}")
    html = await client.get(f"/api/courses/{cid}/export?format=html", headers=alice)
    assert "<h2>Lesson 1" in html.text and "<script" not in html.text
    bad = await client.get(f"/api/courses/{cid}/export?format=exe", headers=alice)
    assert bad.status_code == 422
    for method, url in [
        ("GET", f"/api/courses/{cid}"),
        ("GET", f"/api/courses/{cid}/export"),
        ("POST", f"/api/courses/{cid}/retry"),
        ("DELETE", f"/api/courses/{cid}"),
        ("GET", f"/api/courses/{cid}/events"),
    ]:
        response = await client.request(method, url, headers=bob)
        assert response.status_code == 404 and response.json()["code"] == "COURSE_NOT_FOUND"
    assert (await client.get("/api/courses", headers=bob)).json()["total"] == 0
    mine = (await client.get("/api/courses?status=READY", headers=alice)).json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == cid
    not_failed = await client.post(f"/api/courses/{cid}/retry", headers=alice)
    assert not_failed.status_code == 409 and not_failed.json()["code"] == "COURSE_NOT_FAILED"
    assert (await client.delete(f"/api/courses/{cid}", headers=alice)).status_code == 204
    assert (await client.get(f"/api/courses/{cid}", headers=alice)).status_code == 404


async def test_no_sources_fails_clearly_and_retry_works(client, make_user):
    _, headers = make_user()
    queued = (
        await client.post(
            "/api/courses",
            headers=headers,
            json={"topic": "Quantum chromodynamics", "num_lessons": 2, "source_filter": "physics/"},
        )
    ).json()
    course = await wait_course(client, headers, queued["course_id"])
    assert course["status"] == "FAILED" and course["lessons"] == []
    message = course["error_message"]
    assert "Your documents under 'physics/' don't cover 'Quantum chromodynamics'" in message
    await with_sources(client, headers)
    retried = await client.post(f"/api/courses/{course['id']}/retry", headers=headers)
    assert retried.status_code == 202
    # The filter still matches nothing: it fails again, with the same clear message.
    again = await wait_course(client, headers, course["id"])
    assert again["status"] == "FAILED" and "physics/" in again["error_message"]


async def test_same_request_id_makes_one_course(client, make_user):
    _, headers = make_user()
    _, other = make_user()
    await with_sources(client, headers)
    body = {"topic": "Tides", "num_lessons": 1, "request_id": "dup-1"}
    first = (await client.post("/api/courses", headers=headers, json=body)).json()
    second = (await client.post("/api/courses", headers=headers, json=body)).json()
    assert first["course_id"] == second["course_id"]
    # Request ids are scoped per user: another user's same id is a course of their own, and
    # tells them nothing about the first user's.
    theirs = await client.post("/api/courses", headers=other, json=body)
    assert theirs.status_code == 202 and theirs.json()["course_id"] != first["course_id"]
    assert (await client.get("/api/courses", headers=headers)).json()["total"] == 1
    assert (await client.get("/api/courses", headers=other)).json()["total"] == 1
    for bad in (
        {"topic": ""},
        {"topic": "x", "num_lessons": 0},
        {"topic": "x", "num_lessons": 99},
        {"num_lessons": 2},
        {"topic": "\u001e"},
        {"topic": "x", "num_lessons": True},
    ):
        response = await client.post("/api/courses", headers=headers, json=bad)
        assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"


async def test_events_stream_ends_with_success(client, make_user):
    _, headers = make_user()
    await with_sources(client, headers)
    queued = (
        await client.post(
            "/api/courses",
            headers=headers,
            json={"topic": "Roman aqueducts and the French Revolution", "num_lessons": 2},
        )
    ).json()
    await wait_course(client, headers, queued["course_id"])
    stream = await client.get(f"/api/courses/{queued['course_id']}/events", headers=headers)
    kinds = [
        line.split(": ", 1)[1] for line in stream.text.splitlines() if line.startswith("event: ")
    ]
    assert kinds[0] == "course.status" and "job.progress" in kinds
    statuses = [
        json.loads(line[6:])["data"]["status"]
        for line in stream.text.splitlines()
        if line.startswith("data: ") and '"course.status"' in line
    ]
    assert statuses == ["processing", "success"]


async def test_same_title_at_once_gets_distinct_slugs(client, make_user):
    _, headers = make_user()
    await with_sources(client, headers)
    ids = []
    for _ in range(3):
        queued = await client.post(
            "/api/courses", headers=headers, json={"topic": "Volcanoes", "num_lessons": 1}
        )
        ids.append(queued.json()["course_id"])
    courses = [await wait_course(client, headers, cid) for cid in ids]
    assert [c["status"] for c in courses] == ["READY"] * 3
    slugs = [c["slug"] for c in courses]
    assert len(set(slugs)) == 3 and "volcanoes" in slugs
