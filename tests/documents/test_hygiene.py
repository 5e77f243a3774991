"""Library hygiene: duplicate uploads are flagged (or skipped); deleting a cited document names
the courses that cite it, and their sources then read as removed instead of linking to a 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.courses.conftest import wait_course, with_sources
from tests.documents.conftest import ingest, upload, wait_done

pytestmark = pytest.mark.anyio

NOTES = b"Gravity pulls masses together. The Moon's gravity raises the tides."


async def _total(client, headers, url: str) -> int:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


async def test_same_content_is_flagged_and_can_be_skipped(client, make_user):
    _, headers = make_user()
    _, other = make_user()
    first = await ingest(client, headers, "notes.txt", NOTES, path="physics/notes.txt")
    assert first["status"] == "completed", first
    jobs_before = await _total(client, headers, "/api/jobs")

    again = await upload(client, headers, "copy.txt", NOTES, path="misc/copy.txt")
    assert again.status_code == 202, again.text
    body = again.json()
    assert body["document_id"] != first["document_id"]
    assert body["duplicate_of"] == first["document_id"]
    assert body["duplicate_path"] == "physics/notes.txt"
    assert body["job_id"]
    await wait_done(client, headers, body["document_id"])
    assert await _total(client, headers, "/documents") == 2
    jobs_after_copy = await _total(client, headers, "/api/jobs")
    assert jobs_after_copy == jobs_before + 1

    skipped = await upload(client, headers, "third.txt", NOTES, skip_duplicate="true")
    assert skipped.status_code == 200, skipped.text
    answer = skipped.json()
    assert answer["document_id"] == first["document_id"]  # the existing document, the oldest
    assert answer["path"] == "physics/notes.txt" and answer["duplicate_of"] == first["document_id"]
    assert answer["status"] == "completed"
    assert await _total(client, headers, "/documents") == 2  # nothing stored
    assert await _total(client, headers, "/api/jobs") == jobs_after_copy  # nothing processed

    fresh = await upload(client, headers, "new.txt", NOTES + b" Different.", skip_duplicate="true")
    assert fresh.status_code == 202 and fresh.json()["duplicate_of"] is None
    await wait_done(client, headers, fresh.json()["document_id"])

    # Another user's library is not looked at: the same bytes are new there.
    theirs = await upload(client, other, "notes.txt", NOTES, skip_duplicate="true")
    assert theirs.status_code == 202 and theirs.json()["duplicate_of"] is None
    await wait_done(client, other, theirs.json()["document_id"])


async def test_a_bad_duplicate_upload_is_still_refused(client, make_user):
    _, headers = make_user()
    empty = await upload(client, headers, "empty.txt", b"", skip_duplicate="true")
    assert empty.status_code == 422 and empty.json()["code"] == "EMPTY_FILE"


def _all_sources(course: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(course["sources"] or [])
    for lesson in course["lessons"]:
        found += lesson["sources"]
        found += [check["source"] for check in lesson["checks"] if check["source"]]
    return found


async def _course(client, headers, topic: str) -> dict[str, Any]:
    queued = await client.post(
        "/api/courses", headers=headers, json={"topic": topic, "num_lessons": 1}
    )
    assert queued.status_code == 202, queued.text
    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY", course["error_message"]
    return course


async def test_deleting_a_cited_document_names_its_courses(client, make_user):
    _, headers = make_user()
    _, other = make_user()
    doc = await with_sources(client, headers)
    course = await _course(client, headers, "Volcanoes")
    second = await _course(client, headers, "Photosynthesis")
    unrelated = await ingest(client, headers, "n.txt", NOTES, path="physics/notes.txt")
    sources = _all_sources(course)
    assert sources and all(s["removed"] is False for s in sources)
    assert {s["document_id"] for s in sources} == {doc["document_id"]}

    # Someone else cannot learn about (or delete) it.
    denied = await client.delete(f"/document/{doc['document_id']}", headers=other)
    assert denied.status_code == 404

    uncited = await client.delete(f"/document/{unrelated['document_id']}", headers=headers)
    assert uncited.status_code == 200, uncited.text
    assert uncited.json() == {
        "document_id": unrelated["document_id"],
        "deleted": True,
        "courses": [],
    }
    after_uncited = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()
    assert all(s["removed"] is False for s in _all_sources(after_uncited))

    deleted = await client.delete(f"/document/{doc['document_id']}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    body = deleted.json()
    assert body["document_id"] == doc["document_id"] and body["deleted"] is True
    named = {(c["id"], c["title"]) for c in body["courses"]}
    assert named == {(course["id"], course["title"]), (second["id"], second["title"])}
    assert (await client.get(f"/document/{doc['document_id']}", headers=headers)).status_code == 404

    read = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()
    after = _all_sources(read)
    assert len(after) == len(sources) and all(s["removed"] is True for s in after)
    # Computed when read: the stored lessons are unchanged apart from the flag.
    assert [{k: v for k, v in s.items() if k != "removed"} for s in after] == [
        {k: v for k, v in s.items() if k != "removed"} for s in sources
    ]


async def test_exports_mark_removed_sources(client, make_user):
    _, headers = make_user()
    doc = await with_sources(client, headers)
    course = await _course(client, headers, "Volcanoes")
    cid = course["id"]
    before = await client.get(f"/api/courses/{cid}/export?format=html", headers=headers)
    assert "source-removed" not in before.text
    assert (await client.delete(f"/document/{doc['document_id']}", headers=headers)).is_success

    as_json = (await client.get(f"/api/courses/{cid}/export?format=json", headers=headers)).json()
    for lesson in as_json["lessons"]:
        assert lesson["sources"] and all(s["removed"] is True for s in lesson["sources"])
    assert all(s["removed"] is True for s in as_json["all_sources"])
    md = (await client.get(f"/api/courses/{cid}/export?format=md", headers=headers)).text
    source_lines = [line for line in md.splitlines() if line[:1].isdigit() and ". " in line]
    listed = sum(len(lesson["sources"]) for lesson in as_json["lessons"])
    removed_lines = [line for line in source_lines if "removed from the library" in line]
    assert len(removed_lines) == listed
    html = (await client.get(f"/api/courses/{cid}/export?format=html", headers=headers)).text
    assert html.count('class="source-removed"') == listed
    assert f"/library/{doc['document_id']}" not in html
