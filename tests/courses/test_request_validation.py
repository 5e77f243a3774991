"""Request schemas say what they accept and accept exactly that: text needs a visible character
and no control characters, numbers and booleans are strict, `request_id` is scoped per user,
and no raw validation text reaches a job row or a client."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select

from studyforge.courses.models import Course
from studyforge.courses.schemas import BrokerCourseRequest, CourseRequest
from studyforge.jobs import JobContext, enqueue, job
from studyforge.messaging.course_consumer import CourseConsumer, InvalidRequest
from studyforge.platform import Platform
from tests.conftest import UserMaker

pytestmark = pytest.mark.anyio
BLANK_OR_CONTROL = ["\u001e", "\r", " ", "\t\n", "\u200b", "\ufeff\u00a0", "\x85"]
CONTROL_INSIDE = ["a\u0000b", "Tides\nand the moon", "Tides\tmoon", "Tid\u001fes", "x\x7fy"]


def assert_422(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert field in [d["loc"][-1] for d in body["details"]]
    assert "pydantic" not in response.text and "pattern" not in response.text
    return body


async def _count_courses(platform: Platform, user_id: uuid.UUID) -> int:
    with platform.sessions() as session:
        stmt = select(func.count()).select_from(Course).where(Course.user_id == user_id)
        return session.scalar(stmt) or 0


@pytest.mark.parametrize("topic", BLANK_OR_CONTROL + CONTROL_INSIDE)
async def test_topics_without_words_or_with_control_characters_are_422(
    client, make_user: UserMaker, platform: Platform, topic: str
):
    user_id, headers = make_user()
    response = await client.post("/api/courses", headers=headers, json={"topic": topic})
    body = assert_422(response, "topic")
    assert "visible character" in body["details"][0]["msg"]
    assert await _count_courses(platform, user_id) == 0


async def test_surrounding_whitespace_is_stripped(client, make_user: UserMaker):
    _, headers = make_user()
    body = {
        "topic": "  Tides\n",
        "grade_level": "\tGrade 6 ",
        "source_filter": "  ",
        "num_lessons": 2.0,  # an integer to JSON Schema, and so to the OpenAPI
    }
    queued = await client.post("/api/courses", headers=headers, json=body)
    assert queued.status_code == 202, queued.text
    course = (
        await client.get(f"/api/courses/{queued.json()['course_id']}", headers=headers)
    ).json()
    stored = (
        course["topic"],
        course["grade_level"],
        course["source_filter"],
        course["num_lessons"],
    )
    assert stored == ("Tides", "Grade 6", None, 2)


@pytest.mark.parametrize(
    "fields",
    [
        {"num_lessons": True},
        {"num_lessons": False},
        {"num_lessons": "4"},
        {"num_lessons": 2.5},
        {"num_lessons": None},
        {"allow_ungrounded": 1},
        {"allow_ungrounded": "true"},
    ],
)
async def test_numbers_and_booleans_are_strict(
    client, make_user: UserMaker, fields: dict[str, Any]
):
    _, headers = make_user()
    response = await client.post("/api/courses", headers=headers, json={"topic": "Tides", **fields})
    assert_422(response, next(iter(fields)))


def _pattern_accepts(schema: dict[str, Any], value: str) -> bool:
    """What a client reading the OpenAPI (with Python's `re`, as schemathesis does) expects."""
    if not schema["minLength"] <= len(value) <= schema["maxLength"]:
        return False
    return re.search(schema["pattern"], value) is not None


async def test_openapi_pattern_is_what_the_server_accepts(client):
    spec = (await client.get("/openapi.json")).json()
    fields = spec["components"]["schemas"]["CourseRequest"]["properties"]
    topic = fields["topic"]
    assert topic["pattern"] and topic["maxLength"] == 300
    assert not _pattern_accepts(topic, "\r") and not _pattern_accepts(topic, "\u001e")
    for value in ["Tides", " Tides ", *BLANK_OR_CONTROL, *CONTROL_INSIDE, "x" * 301]:
        try:
            CourseRequest.model_validate({"topic": value})
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == _pattern_accepts(topic, value), repr(value)
    search = spec["components"]["schemas"]["SearchRequest"]["properties"]["query"]
    assert search["pattern"] and _pattern_accepts(search, "tides\nand moon")


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12))
def test_pattern_and_validation_agree_on_any_text(value: str):
    schema = CourseRequest.model_json_schema()["properties"]["topic"]
    try:
        CourseRequest.model_validate({"topic": value})
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == _pattern_accepts(schema, value)


async def test_search_query_and_upload_path_follow_the_same_rules(client, make_user: UserMaker):
    _, headers = make_user()
    for body, field in (
        ({"query": "\u001e"}, "query"),
        ({"query": "a\u0000"}, "query"),
        ({"query": "tides", "k": True}, "k"),
        ({"query": "tides", "k": "5"}, "k"),
        ({"query": "tides", "source_filter": "sci\u0000"}, "source_filter"),
    ):
        assert_422(await client.post("/api/search", headers=headers, json=body), field)
    multi = await client.post("/api/search", headers=headers, json={"query": "tides\nmoon\t"})
    assert multi.status_code == 200, multi.text
    file = {"file": ("a.txt", b"Tides are caused by the moon.", "text/plain")}
    bad = await client.post("/upload", headers=headers, files=file, data={"path": "a\u0000/b"})
    assert_422(bad, "path")
    blank = await client.post("/upload", headers=headers, files=file, data={"path": "  "})
    assert blank.status_code == 202 and blank.json()["path"] == "a.txt"


async def test_request_id_is_scoped_per_user(client, make_user: UserMaker, platform: Platform):
    alice, alice_headers = make_user()
    bob, bob_headers = make_user()
    body = {"topic": "Tides", "num_lessons": 1, "request_id": "shared-id-1"}
    first = await client.post("/api/courses", headers=alice_headers, json=body)
    again = await client.post("/api/courses", headers=alice_headers, json=body)
    other = await client.post("/api/courses", headers=bob_headers, json=body)
    assert first.status_code == again.status_code == other.status_code == 202, other.text
    assert first.json()["course_id"] == again.json()["course_id"]
    assert other.json()["course_id"] != first.json()["course_id"]
    assert other.json()["request_id"] == "shared-id-1"
    assert await _count_courses(platform, alice) == 1 and await _count_courses(platform, bob) == 1
    mine = await client.get(f"/api/courses/{other.json()['course_id']}", headers=alice_headers)
    assert mine.status_code == 404


def test_consumer_deduplicates_per_user_and_is_strict(platform: Platform, make_user: UserMaker):
    alice, _ = make_user()
    bob, _ = make_user()
    consumer = CourseConsumer(platform.settings, platform.sessions)
    message = {"request_id": "broker-1", "topic": "Tides", "num_lessons": 1}
    for user in (alice, alice, bob):
        consumer.handle(json.dumps({**message, "user_id": str(user)}).encode())
    with platform.sessions() as session:
        rows = session.scalars(select(Course).where(Course.request_id == "broker-1")).all()
        assert sorted(str(c.user_id) for c in rows) == sorted([str(alice), str(bob)])
    for bad in ({"num_lessons": True}, {"topic": "\u001e"}):
        body = {**message, "request_id": "broker-2", "user_id": str(alice), **bad}
        with pytest.raises(InvalidRequest) as caught:
            consumer.handle(json.dumps(body).encode())
        assert next(iter(bad)) in str(caught.value) and "pydantic" not in str(caught.value)
    with pytest.raises(ValidationError):
        BrokerCourseRequest.model_validate({**message, "user_id": str(alice), "num_lessons": "2"})


@job("tests.invalid_data")
def _invalid_data_job(ctx: JobContext) -> dict[str, Any]:
    """Validates data that breaks its schema, as a job reading an older row might."""
    CourseRequest.model_validate({"topic": "secret-input " * 30, "num_lessons": 99})
    return {}


async def test_validation_error_in_a_job_is_stored_as_a_message(
    client, make_user: UserMaker, platform: Platform
):
    user_id, headers = make_user()
    with platform.sessions.begin() as session:
        job_id = enqueue(session, "tests.invalid_data", user_id=user_id).id
    deadline = time.monotonic() + 30
    while (row := (await client.get(f"/api/jobs/{job_id}", headers=headers)).json())[
        "status"
    ] != "FAILED":
        assert time.monotonic() < deadline, row
        time.sleep(0.05)
    error = row["error"]
    assert "topic" in error and "num_lessons" in error and "try again" in error
    for raw in ("pydantic", "secret-input", "99", "validation error for", "type="):
        assert raw not in error, error


async def test_course_form_validates_like_the_api(client, make_user: UserMaker, platform: Platform):
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    user_id, _ = make_user(username, password)
    signed = await client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 303, signed.text
    origin = {"Origin": "http://testserver"}
    for form in ({"topic": "Tides", "num_lessons": "true"}, {"topic": "\u001e"}):
        page = await client.post("/studio", data=form, headers=origin)
        assert page.status_code == 422 and "pydantic" not in page.text
    twice = await client.post(
        "/studio",
        content=b"topic=Tides&num_lessons=2&topic=Volcanoes",
        headers={**origin, "content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 422
    assert await _count_courses(platform, user_id) == 0
    made = await client.post("/studio", data={"topic": "Tides", "num_lessons": "2"}, headers=origin)
    assert made.status_code == 303 and await _count_courses(platform, user_id) == 1
