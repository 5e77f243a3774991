"""Courses from chosen documents (`document_ids`): stored, returned, used for retrieval, refused
when they are not the caller's; the Courses form's picker, its edit of a FAILED course and
its answer to the same form sent twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from studyforge.courses.models import Course
from studyforge.messaging.course_consumer import CourseConsumer
from studyforge.platform import Platform
from tests.conftest import UserMaker
from tests.courses.conftest import wait_course
from tests.documents import samples
from tests.documents.conftest import ingest

pytestmark = pytest.mark.anyio
TOPIC = "Volcanoes and the immune system"
ORIGIN = {"Origin": "http://testserver"}


async def _two_copies(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    """The six-topic PDF twice, under `a/` and `b/`: either one covers the topic alone."""
    ids = []
    for path in ("a/science.pdf", "b/science.pdf"):
        doc = await ingest(client, headers, "science.pdf", samples.text_pdf(), path=path)
        assert doc["status"] == "completed", doc
        ids.append(doc["document_id"])
    return ids[0], ids[1]


def _cited(course: dict[str, Any]) -> set[str]:
    cited = {s["document_id"] for lesson in course["lessons"] for s in lesson["sources"]}
    cited |= {
        c["source"]["document_id"]
        for lesson in course["lessons"]
        for c in lesson["checks"]
        if c["source"]
    }
    return cited | {s["document_id"] for s in course["sources"] or []}


async def _count(platform: Platform, user_id: uuid.UUID) -> int:
    with platform.sessions() as session:
        stmt = select(func.count()).select_from(Course).where(Course.user_id == user_id)
        return session.scalar(stmt) or 0


async def test_a_course_from_one_chosen_document_cites_only_it(client, make_user: UserMaker):
    _, headers = make_user()
    first, second = await _two_copies(client, headers)
    body = {"topic": TOPIC, "num_lessons": 2, "document_ids": [second, second]}
    queued = await client.post("/api/courses", headers=headers, json=body)
    assert queued.status_code == 202, queued.text
    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY", course["error_message"]
    assert course["document_ids"] == [second]  # stored once, returned
    assert _cited(course) == {second}
    listed = (await client.get("/api/courses", headers=headers)).json()["items"]
    assert listed[0]["document_ids"] == [second]
    # Without a choice every document is used, and the course says so with null.
    everything = await client.post(
        "/api/courses", headers=headers, json={"topic": TOPIC, "num_lessons": 2, "document_ids": []}
    )
    other = await wait_course(client, headers, everything.json()["course_id"])
    assert other["status"] == "READY" and other["document_ids"] is None
    assert _cited(other) <= {first, second}


async def test_a_chosen_document_that_does_not_cover_the_topic_fails_saying_so(
    client, make_user: UserMaker
):
    _, headers = make_user()
    science = await ingest(client, headers, "science.pdf", samples.text_pdf(), path="s/x.pdf")
    optics = await ingest(client, headers, "optics.md", samples.MARKDOWN, path="o/optics.md")
    body = {"topic": TOPIC, "num_lessons": 1, "document_ids": [optics["document_id"]]}
    queued = (await client.post("/api/courses", headers=headers, json=body)).json()
    course = await wait_course(client, headers, queued["course_id"])
    assert course["status"] == "FAILED"
    assert f"The document you chose doesn't cover '{TOPIC}'" in course["error_message"]
    assert "choose other documents" in course["error_message"]
    assert science["document_id"] not in str(course)


async def test_ids_that_are_not_your_documents_are_422_without_saying_whose(
    client, make_user: UserMaker, platform: Platform
):
    alice_id, alice = make_user()
    _, bob = make_user()
    mine = await ingest(client, alice, "science.pdf", samples.text_pdf(), path="a/x.pdf")
    theirs = await ingest(client, bob, "science.pdf", samples.text_pdf(), path="b/x.pdf")
    answers = {}
    for name, foreign in (("bob's", theirs["document_id"]), ("nobody's", str(uuid.uuid4()))):
        body = {"topic": TOPIC, "document_ids": [mine["document_id"], foreign]}
        response = await client.post("/api/courses", headers=alice, json=body)
        assert response.status_code == 422, response.text
        error = response.json()
        assert error["code"] == "UNKNOWN_DOCUMENTS"
        assert error["error"] == f"document_ids: {foreign} is not one of your documents"
        assert error["details"] == [
            {"loc": ["body", "document_ids", 1], "msg": "not one of your documents",
             "type": "unknown_document"}
        ]  # fmt: skip
        answers[name] = error["error"].replace(foreign, "<id>")
    assert answers["bob's"] == answers["nobody's"]  # another user's id looks like no id at all
    assert await _count(platform, alice_id) == 0


async def test_too_many_or_malformed_ids_are_422(client, make_user: UserMaker, platform):
    user_id, headers = make_user()
    for ids in ([str(uuid.uuid4()) for _ in range(501)], ["not-an-id"], "one"):
        body = {"topic": TOPIC, "document_ids": ids}
        response = await client.post("/api/courses", headers=headers, json=body)
        assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
        assert "document_ids" in [d["loc"][1] for d in response.json()["details"]]
    assert await _count(platform, user_id) == 0


async def _sign_in(client: httpx.AsyncClient, make_user: UserMaker) -> dict[str, str]:
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    _, headers = make_user(username, password)
    signed = await client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 303, signed.text
    return headers


async def test_the_picker_lists_documents_by_folder_and_a_folder_means_its_documents(
    client, make_user: UserMaker
):
    headers = await _sign_in(client, make_user)
    first, second = await _two_copies(client, headers)
    page = (await client.get("/studio")).text
    assert page.index('value="a/"') < page.index(f'name="doc:{first}"')
    assert page.index('value="b/"') < page.index(f'name="doc:{second}"')
    assert "Nothing checked: every document is used." in page
    form = {"topic": TOPIC, "grade_level": "Grade 8", "num_lessons": "2", "folder-2": "b/"}
    sent = await client.post("/studio", data=form, headers=ORIGIN)
    assert sent.status_code == 303
    course_id = sent.headers["location"].rsplit("/", 1)[1]
    course = await wait_course(client, headers, course_id)
    assert course["status"] == "READY" and course["document_ids"] == [second]
    shown = (await client.get(f"/studio/{course_id}")).text
    sources = shown.split('data-testid="course-sources">', 1)[1].split("</dd>", 1)[0]
    assert f'href="/library/{second}"' in sources and first not in sources
    # A document deleted since the form was shown is unchecked, and the form says why.
    await client.delete(f"/document/{first}", headers=headers)
    stale = {**form, "topic": "Volcanoes", f"doc:{first}": "1", f"doc:{second}": "1"}
    again = await client.post("/studio", data=stale, headers=ORIGIN)
    assert again.status_code == 422 and "no longer in your library" in again.text
    assert f'name="doc:{second}" value="1" data-picker-doc checked' in again.text


async def test_the_same_form_twice_makes_one_course_and_says_so(
    client, make_user: UserMaker, platform: Platform
):
    headers = await _sign_in(client, make_user)
    await _two_copies(client, headers)
    form = {"topic": "Tides", "grade_level": "Grade 8", "num_lessons": "1", "request_id": "f-1"}
    first = await client.post("/studio", data=form, headers=ORIGIN)
    second = await client.post("/studio", data=form, headers=ORIGIN)
    assert second.headers["location"] == first.headers["location"] + "?again=1"
    notice = (await client.get(second.headers["location"])).text
    assert "You already asked for this course" in notice
    assert "You already asked" not in (await client.get(first.headers["location"])).text
    # The same form changed before it is sent again is another course.
    changed = await client.post("/studio", data={**form, "topic": "Volcanoes"}, headers=ORIGIN)
    assert changed.headers["location"] not in (
        first.headers["location"],
        second.headers["location"],
    )
    items = (await client.get("/api/courses", headers=headers)).json()["items"]
    assert sorted(c["topic"] for c in items) == ["Tides", "Volcanoes"]


async def test_a_failed_course_edited_and_sent_again_is_the_same_course_ready(
    client, make_user: UserMaker
):
    headers = await _sign_in(client, make_user)
    first, second = await _two_copies(client, headers)
    body = {"topic": "Quantum chromodynamics", "num_lessons": 2, "document_ids": [first],
            "request_id": "qcd"}  # fmt: skip
    queued = (await client.post("/api/courses", headers=headers, json=body)).json()
    failed = await wait_course(client, headers, queued["course_id"])
    assert failed["status"] == "FAILED"
    assert "The document you chose doesn't cover 'Quantum" in failed["error_message"]
    edit = f"/studio/{failed['id']}/edit"
    page = (await client.get(edit)).text
    assert 'value="Quantum chromodynamics"' in page and 'value="2"' in page
    assert f'name="doc:{first}" value="1" data-picker-doc checked' in page
    assert f'name="doc:{second}" value="1" data-picker-doc>' in page
    blank = {"topic": " ", "grade_level": "Grade 8", "num_lessons": "2", f"doc:{second}": "1"}
    refused = await client.post(edit, data=blank, headers=ORIGIN)
    assert refused.status_code == 422 and "Enter a topic, for example" in refused.text
    assert f'name="doc:{second}" value="1" data-picker-doc checked' in refused.text
    sent = await client.post(edit, data={**blank, "topic": TOPIC}, headers=ORIGIN)
    assert sent.status_code == 303 and sent.headers["location"] == f"/studio/{failed['id']}"
    course = await wait_course(client, headers, failed["id"])
    assert course["status"] == "READY", course["error_message"]
    assert course["topic"] == TOPIC and course["request_id"] == "qcd"
    assert course["document_ids"] == [second] and _cited(course) == {second}
    # Sent again once it is no longer FAILED: nothing changes, and the page says so.
    again = await client.post(edit, data={**blank, "topic": "Other"}, headers=ORIGIN)
    assert again.headers["location"] == f"/studio/{failed['id']}?again=1"
    assert (await client.get(f"/api/courses/{failed['id']}", headers=headers)).json()[
        "topic"
    ] == TOPIC
    assert (await client.get(edit)).status_code == 303  # only a FAILED course is edited
    replay = await client.post("/api/courses", headers=headers, json=body)
    assert replay.json()["course_id"] == failed["id"]  # its request id still finds it


async def test_a_broker_request_with_ids_that_are_not_yours_fails_saying_so(
    client, make_user: UserMaker, platform: Platform
):
    """The consumer dead-letters only schema errors: such a request is recorded, and its
    generation (scoped to its user) fails with a message instead of using another's document."""
    alice_id, alice = make_user()
    _, bob = make_user()
    theirs = await ingest(client, bob, "science.pdf", samples.text_pdf(), path="b/x.pdf")
    consumer = CourseConsumer(platform.settings, platform.sessions)
    message = {"request_id": "broker-docs", "topic": TOPIC, "num_lessons": 1,
               "user_id": str(alice_id), "document_ids": [theirs["document_id"]]}  # fmt: skip
    consumer.handle(json.dumps(message).encode())
    with platform.sessions() as session:
        course_id = session.scalar(select(Course.id).where(Course.request_id == "broker-docs"))
    course = await wait_course(client, alice, str(course_id))
    assert course["status"] == "FAILED" and course["lessons"] == []
    assert course["error_message"].startswith(
        "The document chosen for this course no longer exists (deleted, or not yours)."
    )
