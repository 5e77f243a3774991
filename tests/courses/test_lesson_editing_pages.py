"""The editing pages in-process (SQLite and PostgreSQL): the lesson editor's save and its
messages, "Regenerate this lesson" with its confirmation, history and restore, moving lessons,
and 404 / cross-site refusals."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx
import pytest

from studyforge.courses.editing import HAS_EDITS
from tests.conftest import UserMaker
from tests.courses.test_lesson_editing import _course, _finished, _lesson, _url

pytestmark = pytest.mark.anyio
SAME_SITE = {"Origin": "http://testserver"}
OWN = "My own introduction: we start with a question."


async def _signed_in(client: httpx.AsyncClient, make_user: UserMaker) -> dict[str, str]:
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    _, headers = make_user(username, password)
    signed = await client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 303, signed.text
    return headers


def _page(course: dict[str, Any], number: int = 1, tail: str = "") -> str:
    return f"/studio/{course['id']}/lessons/{number}{tail}"


def _fields(page: str) -> dict[str, str]:
    """The editor's fields as a browser would send them back unchanged."""
    inputs = re.findall(r'<input [^>]*?name="([^"]+)"[^>]*? value="([^"]*)"', page)
    areas = re.findall(r'<textarea [^>]*?name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S)
    fields = {**dict(inputs), **{name: text.removeprefix("\n") for name, text in areas}}
    return {name: html.unescape(value) for name, value in fields.items()}


async def test_the_editor_saves_and_the_lesson_says_so(client, make_user):
    headers = await _signed_in(client, make_user)
    course = await _course(client, headers)
    editor = await client.get(_page(course, tail="/edit"))
    assert editor.status_code == 200
    assert "Save lesson" in editor.text and 'name="s0-p0"' in editor.text
    fields = _fields(editor.text)
    first = fields["s0-p0"]
    sent = {**fields, "s0-p0": "Rewritten by me.\r\nOn two lines.", "s0-new": OWN,
            "objectives": "Explain eruptions\r\n\r\nName a volcano"}  # fmt: skip
    saved = await client.post(_page(course, tail="/edit"), data=sent, headers=SAME_SITE)
    assert saved.status_code == 303
    assert saved.headers["location"] == _page(course) + "?notice=saved"
    lesson_page = html.unescape((await client.get(saved.headers["location"])).text)
    assert "Saved." in lesson_page and "your text, not from the sources" in lesson_page
    assert OWN in lesson_page and "edited by you" in lesson_page
    lesson = await _lesson(client, headers, _url(course))
    paragraph = lesson["content_json"]["sections"][0]["paragraphs"][0]
    assert paragraph["text"] == "Rewritten by me.\nOn two lines." and paragraph["citations"]
    assert lesson["learning_objectives"] == ["Explain eruptions", "Name a volcano"]
    assert first not in lesson["content_md"]

    # Sent again unchanged: nothing is saved, and no version is kept.
    again = _fields((await client.get(_page(course, tail="/edit"))).text)
    unchanged = await client.post(_page(course, tail="/edit"), data=again, headers=SAME_SITE)
    assert unchanged.headers["location"].endswith("?notice=unchanged")
    versions = (await client.get(_url(course, tail="/versions"), headers=headers)).json()
    assert len(versions) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "  "}, "title", "Enter a title, for example"),
        ({"title": "x" * 301}, "title", "Shorten a title to 300 characters (it has 301)."),
        ({"title": "Tab\there"}, "title", "Write a title on one line"),
        ({"s0-p0": "Bell \x07 here"}, "s0-p0", "Remove the control characters from paragraph 1"),
        ({"objectives": "\n".join(["Do it"] * 21)}, "objectives", "at most 20 objectives"),
        ({"new-heading": "Alone"}, "new-text", "Write the new section's first paragraph"),
    ],
)
async def test_the_editor_says_what_is_wrong_and_saves_nothing(
    client, make_user, change, field, message
):
    headers = await _signed_in(client, make_user)
    course = await _course(client, headers)
    before = await _lesson(client, headers, _url(course))
    fields = _fields((await client.get(_page(course, tail="/edit"))).text)
    page = await client.post(
        _page(course, tail="/edit"), data={**fields, **change}, headers=SAME_SITE
    )
    assert page.status_code == 422
    assert "Nothing was saved" in page.text
    shown = html.unescape(page.text.split(f'id="{field}-error">', 1)[1].split("</span>", 1)[0])
    assert message in shown, shown
    assert await _lesson(client, headers, _url(course)) == before


async def test_regenerate_asks_first_and_history_restores(client, make_user):
    headers = await _signed_in(client, make_user)
    course = await _course(client, headers)
    fields = _fields((await client.get(_page(course, tail="/edit"))).text)
    edit = {**fields, "s0-new": OWN}
    await client.post(_page(course, tail="/edit"), data=edit, headers=SAME_SITE)
    edited = await _lesson(client, headers, _url(course))

    asked = await client.post(_page(course, tail="/regenerate"), headers=SAME_SITE)
    assert asked.status_code == 303 and asked.headers["location"] == _page(course, 1, "/regenerate")
    confirm = html.unescape((await client.get(asked.headers["location"])).text)
    assert HAS_EDITS in confirm and "Regenerate and replace my edits" in confirm
    assert await _lesson(client, headers, _url(course)) == edited

    data = {"replace_edits": "yes"}
    queued = await client.post(_page(course, tail="/regenerate"), data=data, headers=SAME_SITE)
    assert queued.status_code == 303
    job_id = queued.headers["location"].rsplit("regenerating=", 1)[1]
    assert (await _finished(client, headers, job_id))["status"] == "SUCCEEDED"
    shown = html.unescape((await client.get(queued.headers["location"])).text)
    assert "Rewritten from the course's sources" in shown and OWN not in shown
    box = await client.get(f"/ui/studio/{course['id']}/regenerating/{job_id}")
    assert box.headers["HX-Redirect"] == queued.headers["location"]

    history = html.unescape((await client.get(_page(course, tail="/history"))).text)
    assert "Version 2:" in history and "Version 1:" in history
    assert "With your edits · replaced by regenerating" in history
    kept = html.unescape((await client.get(_page(course, tail="/history/2"))).text)
    assert OWN in kept and "Restore this version" in kept
    restored = await client.post(_page(course, tail="/history/2/restore"), headers=SAME_SITE)
    assert restored.status_code == 303
    assert restored.headers["location"] == _page(course) + "?notice=restored&version=2"
    back = html.unescape((await client.get(restored.headers["location"])).text)
    assert "Version 2 restored." in back and OWN in back
    assert (await _lesson(client, headers, _url(course)))["content_json"] == edited["content_json"]
    assert "Version 3:" in (await client.get(_page(course, tail="/history"))).text


async def test_lessons_move_up_and_down(client, make_user):
    headers = await _signed_in(client, make_user)
    course = await _course(client, headers)
    first, second = (await client.get(f"/api/courses/{course['id']}", headers=headers)).json()[
        "lessons"
    ]
    page = html.unescape((await client.get(f"/studio/{course['id']}/lessons")).text)
    assert page.count(">Move up<") == 2 and f"Lesson 2: {second['title']}" in page
    moved = await client.post(
        f"/studio/{course['id']}/move",
        data={"lesson": second["id"], "direction": "up"},
        headers=SAME_SITE,
    )
    assert moved.status_code == 303
    shown = html.unescape((await client.get(moved.headers["location"])).text)
    assert f"Moved “{second['title']}” to lesson 1." in shown
    assert shown.index(f"Lesson 1: {second['title']}") < shown.index(f"Lesson 2: {first['title']}")
    assert (await _lesson(client, headers, _url(course, 1)))["id"] == second["id"]
    top = await client.post(
        f"/studio/{course['id']}/move",
        data={"lesson": second["id"], "direction": "up"},
        headers=SAME_SITE,
    )
    assert top.status_code == 303  # already first: it stays
    assert (await _lesson(client, headers, _url(course, 1)))["id"] == second["id"]


async def test_other_users_get_404_and_other_sites_403(client, make_user):
    alice = await _signed_in(client, make_user)
    course = await _course(client, alice)
    lessons = (await client.get(f"/api/courses/{course['id']}", headers=alice)).json()["lessons"]
    evil = await client.post(
        _page(course, tail="/regenerate"), headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    await _signed_in(client, make_user)  # the cookie is now another user's
    for path in ("/edit", "/regenerate", "/history", "/history/1"):
        response = await client.get(_page(course, tail=path))
        assert response.status_code == 404, path
        assert course["title"] not in response.text
    assert (await client.get(f"/studio/{course['id']}/lessons")).status_code == 404
    for path, data in [
        (_page(course, tail="/edit"), {"title": "Mine"}),
        (_page(course, tail="/regenerate"), {"replace_edits": "yes"}),
        (_page(course, tail="/history/1/restore"), {}),
        (f"/studio/{course['id']}/move", {"lesson": lessons[1]["id"], "direction": "up"}),
    ]:
        response = await client.post(path, data=data, headers=SAME_SITE)
        assert response.status_code == 404, path
    after = (await client.get(f"/api/courses/{course['id']}", headers=alice)).json()["lessons"]
    assert after == lessons
