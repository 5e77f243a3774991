"""Editing a course before publishing it, over HTTP (SQLite and PostgreSQL): edit a lesson
(citations kept, the teacher's own paragraphs cite nothing), refused edits that change nothing,
regenerating one lesson (asking first when it has edits), versions and restore, reordering;
and every change shows in the exports."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.courses.conftest import wait_course, with_sources
from tests.support.polling import poll_json
from tests.test_errors import assert_shape

pytestmark = pytest.mark.anyio

TOPIC = "Volcanoes and the immune system"
NEW_TITLE = "Mountains that breathe fire"
OBJECTIVES = ["Say what magma is", "Name one kind of volcano"]
OWN_TEXT = "Ask the class who has seen a volcano, on television or for real."
EDITED_TEXT = "Magma is molten rock under the ground; when it comes out it is called lava."


async def _course(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    await with_sources(client, headers)
    body = {"topic": TOPIC, "num_lessons": 2, "source_filter": "science/"}
    queued = await client.post("/api/courses", headers=headers, json=body)
    assert queued.status_code == 202, queued.text
    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY", course["error_message"]
    return course


def _url(course: dict[str, Any], number: int = 1, tail: str = "") -> str:
    return f"/api/courses/{course['id']}/lessons/{number}{tail}"


async def _lesson(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> dict[str, Any]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _kept_sections(lesson: dict[str, Any]) -> list[dict[str, Any]]:
    """The lesson's text as an edit that keeps every paragraph (by its origin)."""
    return [
        {
            "heading": section["heading"],
            "paragraphs": [
                {"text": p["text"], "origin": {"section": i, "paragraph": j}}
                for j, p in enumerate(section["paragraphs"])
            ],
        }
        for i, section in enumerate(lesson["content_json"]["sections"])
    ]


def _first_prose(lesson: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
    for i, section in enumerate(lesson["content_json"]["sections"]):
        for j, p in enumerate(section["paragraphs"]):
            if p.get("kind", "prose") == "prose" and p["citations"]:
                return i, j, p
    raise AssertionError("no cited prose paragraph")


async def _edit(
    client: httpx.AsyncClient, headers: dict[str, str], course: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Edit lesson 1: title, objectives, one paragraph rewritten, one paragraph added."""
    before = await _lesson(client, headers, _url(course))
    sections = _kept_sections(before)
    i, j, _ = _first_prose(before)
    sections[i]["paragraphs"][j]["text"] = EDITED_TEXT
    sections[i]["paragraphs"].append({"text": OWN_TEXT})
    body = {"title": NEW_TITLE, "learning_objectives": OBJECTIVES, "sections": sections,
            "revision": before["revision"]}  # fmt: skip
    response = await client.patch(_url(course), headers=headers, json=body)
    assert response.status_code == 200, response.text
    return before, response.json()


async def test_an_edit_is_stored_kept_as_a_version_and_exported(client, make_user):
    _, headers = make_user()
    course = await _course(client, headers)
    before, after = await _edit(client, headers, course)
    i, j, original = _first_prose(before)
    paragraphs = after["content_json"]["sections"][i]["paragraphs"]
    assert paragraphs[j]["text"] == EDITED_TEXT
    assert paragraphs[j]["citations"] == original["citations"] and paragraphs[j]["edited"]
    assert paragraphs[-1] == {"text": OWN_TEXT, "citations": [], "kind": "prose",
                              "author": "teacher"}  # fmt: skip
    assert after["title"] == NEW_TITLE and after["learning_objectives"] == OBJECTIVES
    assert after["edited_at"] and after["revision"] != before["revision"]
    assert after["content_md"].startswith(f"# Lesson 1: {NEW_TITLE}")
    assert after["checks"] == before["checks"] and after["sources"] == before["sources"]

    stored = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()
    assert stored["lessons"][0]["title"] == NEW_TITLE

    exported = (await client.get(f"/api/courses/{course['id']}/export", headers=headers)).json()
    lesson = exported["lessons"][0]
    assert lesson["lesson_info"]["title"] == NEW_TITLE
    assert lesson["lesson_info"]["learning_objectives"] == OBJECTIVES
    assert EDITED_TEXT in lesson["content"] and OWN_TEXT in lesson["content"]
    assert exported["outline"]["lessons"][0]["title"] == NEW_TITLE
    md = (await client.get(f"/api/courses/{course['id']}/export?format=md", headers=headers)).text
    assert f"## Lesson 1: {NEW_TITLE}" in md and f"- {OBJECTIVES[0]}" in md
    assert re.search(re.escape(EDITED_TEXT) + r" \[\d+\]", md)  # its citation kept
    assert f"\n{OWN_TEXT}\n" in md  # no citation made up
    html = await client.get(f"/api/courses/{course['id']}/export?format=html", headers=headers)
    assert NEW_TITLE in html.text and EDITED_TEXT in html.text and OWN_TEXT in html.text

    versions = (await client.get(_url(course, tail="/versions"), headers=headers)).json()
    assert [(v["number"], v["reason"], v["origin"]) for v in versions] == [
        (1, "edited", "generated")
    ]
    assert versions[0]["title"] == before["title"]
    kept = (await client.get(_url(course, tail="/versions/1"), headers=headers)).json()
    assert kept["snapshot"]["content"] == before["content_json"]

    # The same edit again changes nothing, and keeps no version.
    again = await client.patch(_url(course), headers=headers, json={"title": NEW_TITLE})
    assert again.status_code == 200 and again.json()["revision"] == after["revision"]
    assert len((await client.get(_url(course, tail="/versions"), headers=headers)).json()) == 1


INVALID_EDITS = [
    {"title": "   "},
    {"title": "x" * 301},
    {"title": "Bell\x07"},
    {"learning_objectives": ["two\nlines"]},
    {"learning_objectives": ["x"] * 21},
    {"sections": []},
    {"sections": [{"heading": "", "paragraphs": []}]},
    {"sections": [{"heading": "", "paragraphs": [{"text": "null\x00byte"}]}]},
    {"sections": [{"heading": "", "paragraphs": [{"text": "x" * 20_001}]}]},
    {"summary": "\x1b[31m"},
    {"title": "Fine", "colour": "red"},
    {"sections": [{"paragraphs": [{"text": "x", "origin": {"section": -1, "paragraph": 0}}]}]},
]


async def test_refused_edits_change_nothing(client, make_user):
    _, headers = make_user()
    course = await _course(client, headers)
    before = await _lesson(client, headers, _url(course))
    for body in INVALID_EDITS:
        response = await client.patch(_url(course), headers=headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert_shape(response.json(), "VALIDATION_ERROR")
    origin = {"section": 9, "paragraph": 0}
    nowhere = [{"heading": "", "paragraphs": [{"text": "x", "origin": origin}]}]
    missing = await client.patch(_url(course), headers=headers, json={"sections": nowhere})
    assert missing.status_code == 409
    assert_shape(missing.json(), "PARAGRAPH_NOT_FOUND")
    stale = {"title": "Too late", "revision": "0123456789abcdef"}
    changed = await client.patch(_url(course), headers=headers, json=stale)
    assert changed.status_code == 409
    assert_shape(changed.json(), "LESSON_CHANGED")
    assert await _lesson(client, headers, _url(course)) == before
    assert (await client.get(_url(course, tail="/versions"), headers=headers)).json() == []


async def test_another_users_course_and_missing_lessons_are_404(client, make_user):
    _, alice = make_user()
    _, bob = make_user()
    course = await _course(client, alice)
    lessons = (await client.get(f"/api/courses/{course['id']}", headers=alice)).json()["lessons"]
    ids = [lesson["id"] for lesson in lessons]
    for method, url, body in [
        ("GET", _url(course), None),
        ("PATCH", _url(course), {"title": "Mine now"}),
        ("POST", _url(course, tail="/regenerate"), {"replace_edits": True}),
        ("GET", _url(course, tail="/versions"), None),
        ("POST", f"/api/courses/{course['id']}/lessons/order", {"lesson_ids": ids[::-1]}),
    ]:
        response = await client.request(method, url, headers=bob, json=body)
        assert response.status_code == 404, (method, url)
        assert_shape(response.json(), "COURSE_NOT_FOUND")
    response = await client.patch(_url(course, 3), headers=alice, json={"title": "Three"})
    assert response.status_code == 404
    assert_shape(response.json(), "LESSON_NOT_FOUND")
    response = await client.post(_url(course, tail="/versions/1/restore"), headers=alice)
    assert response.status_code == 404
    assert_shape(response.json(), "LESSON_VERSION_NOT_FOUND")
    after = (await client.get(f"/api/courses/{course['id']}", headers=alice)).json()["lessons"]
    assert after == lessons


async def _finished(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> Any:
    final = ("SUCCEEDED", "FAILED", "CANCELLED")
    return await poll_json(client, f"/api/jobs/{job_id}", headers,
                           lambda b: b.get("status") in final, 120)  # fmt: skip


async def test_regenerate_asks_first_then_restore_brings_the_edit_back(client, make_user):
    _, headers = make_user()
    course = await _course(client, headers)
    generated = await _lesson(client, headers, _url(course, 2))
    unedited = await client.post(_url(course, 2, "/regenerate"), headers=headers)
    assert unedited.status_code == 202, unedited.text
    assert (await _finished(client, headers, unedited.json()["id"]))["status"] == "SUCCEEDED"
    rewritten = await _lesson(client, headers, _url(course, 2))
    assert rewritten["content_json"] == generated["content_json"]  # the offline engine is exact
    assert rewritten["edited_at"] is None

    original, edited = await _edit(client, headers, course)
    for body in (None, {"replace_edits": False}):
        refused = await client.post(_url(course, tail="/regenerate"), headers=headers, json=body)
        assert refused.status_code == 409
        assert_shape(refused.json(), "LESSON_HAS_EDITS")
        assert "your edited version is kept in its history" in refused.json()["error"]
    assert await _lesson(client, headers, _url(course)) == edited

    replace = {"replace_edits": True}
    queued = await client.post(_url(course, tail="/regenerate"), headers=headers, json=replace)
    assert queued.status_code == 202 and queued.json()["kind"] == "courses.regenerate_lesson"
    assert (await _finished(client, headers, queued.json()["id"]))["status"] == "SUCCEEDED"
    regenerated = await _lesson(client, headers, _url(course))
    assert regenerated["title"] == original["title"] and regenerated["edited_at"] is None
    assert regenerated["content_json"] == original["content_json"]
    assert EDITED_TEXT not in regenerated["content_md"]
    assert regenerated["checks"] and regenerated["sources"] == original["sources"]
    versions = (await client.get(_url(course, tail="/versions"), headers=headers)).json()
    assert [(v["number"], v["reason"], v["origin"]) for v in versions] == [
        (2, "regenerated", "edited"),
        (1, "edited", "generated"),
    ]
    kept = (await client.get(_url(course, tail="/versions/2"), headers=headers)).json()
    assert kept["title"] == NEW_TITLE and kept["snapshot"]["content"] == edited["content_json"]

    restored = await client.post(_url(course, tail="/versions/2/restore"), headers=headers)
    assert restored.status_code == 200, restored.text
    back = restored.json()
    assert back["title"] == NEW_TITLE and back["content_json"] == edited["content_json"]
    assert back["learning_objectives"] == OBJECTIVES and back["edited_at"]
    assert [c["question"] for c in back["checks"]] == [c["question"] for c in edited["checks"]]
    versions = (await client.get(_url(course, tail="/versions"), headers=headers)).json()
    assert [(v["number"], v["reason"]) for v in versions][:1] == [(3, "restored")]
    assert len(versions) == 3
    md = (await client.get(f"/api/courses/{course['id']}/export?format=md", headers=headers)).text
    assert EDITED_TEXT in md and f"Lesson 1: {NEW_TITLE}" in md

    # Restoring the generated version leaves no edits: regenerating it asks nothing.
    await client.post(_url(course, tail="/versions/1/restore"), headers=headers)
    assert (await _lesson(client, headers, _url(course)))["edited_at"] is None
    assert len((await client.get(_url(course, tail="/versions"), headers=headers)).json()) == 4


async def test_reorder_renumbers_everywhere(client, make_user):
    _, headers = make_user()
    course = await _course(client, headers)
    order_url = f"/api/courses/{course['id']}/lessons/order"
    lessons = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()["lessons"]
    first, second = lessons
    for body, code in [
        ({"lesson_ids": [second["id"]]}, "LESSON_ORDER_INVALID"),
        ({"lesson_ids": [second["id"], second["id"]]}, "VALIDATION_ERROR"),
        ({"lesson_ids": []}, "VALIDATION_ERROR"),
        ({"lesson_ids": ["not-an-id"]}, "VALIDATION_ERROR"),
    ]:
        response = await client.post(order_url, headers=headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert_shape(response.json(), code)
    stranger = {"lesson_ids": [second["id"], "00000000-0000-0000-0000-000000000000"]}
    response = await client.post(order_url, headers=headers, json=stranger)
    assert response.status_code == 404
    assert_shape(response.json(), "LESSON_NOT_FOUND")
    unchanged = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()
    assert unchanged["lessons"] == lessons

    moved = await client.post(
        order_url, headers=headers, json={"lesson_ids": [second["id"], first["id"]]}
    )
    assert moved.status_code == 200, moved.text
    assert [(p["id"], p["lesson_number"]) for p in moved.json()] == [
        (second["id"], 1),
        (first["id"], 2),
    ]
    after = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()["lessons"]
    assert [(lesson["id"], lesson["lesson_number"]) for lesson in after] == [
        (second["id"], 1),
        (first["id"], 2),
    ]
    assert after[0]["content_md"].startswith(f"# Lesson 1: {second['title']}")
    assert (await _lesson(client, headers, _url(course, 1)))["id"] == second["id"]
    exported = (await client.get(f"/api/courses/{course['id']}/export", headers=headers)).json()
    assert [x["lesson_info"]["title"] for x in exported["lessons"]] == [
        second["title"],
        first["title"],
    ]
    assert [x["lesson_info"]["lesson_number"] for x in exported["lessons"]] == [1, 2]
    assert [x["title"] for x in exported["outline"]["lessons"]] == [second["title"],
                                                                    first["title"]]  # fmt: skip
    md = (await client.get(f"/api/courses/{course['id']}/export?format=md", headers=headers)).text
    assert md.index(f"## Lesson 1: {second['title']}") < md.index(f"## Lesson 2: {first['title']}")
    html = await client.get(f"/api/courses/{course['id']}/export?format=html", headers=headers)
    assert f"<h2>Lesson 1: {second['title']}" in html.text
