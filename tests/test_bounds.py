"""Integers are bounded at the edge (422 before any SQL), event ids too, and forms send each
field once; over a real `studyforge serve`, none of it costs the keep-alive connection."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from studyforge.config import Settings
from studyforge.events.sse import MAX_EVENT_ID, parse_last_id
from studyforge.jobs import enqueue
from studyforge.platform import Platform
from studyforge.system import jobs as _system_jobs  # noqa: F401  (registers system.noop)
from tests.conftest import UserMaker
from tests.support.procs import start_server

pytestmark = pytest.mark.anyio
TOO_BIG = 2**63  # one past what SQLite INTEGER and PostgreSQL bigint hold
LISTINGS = ("/api/jobs", "/api/courses", "/documents")


def assert_validation_error(response: httpx.Response, where: list[str] | None = None) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR" and body["error"]
    assert "pydantic" not in response.text
    if where is not None:
        assert [d["loc"] for d in body["details"]] == [where]


@pytest.mark.parametrize("path", LISTINGS)
async def test_offsets_beyond_64_bits_are_refused(client, make_user: UserMaker, path: str):
    _, headers = make_user()
    for offset in (TOO_BIG, 2**64, 10**40):
        response = await client.get(path, params={"offset": offset}, headers=headers)
        assert_validation_error(response, ["query", "offset"])
    largest = await client.get(path, params={"offset": MAX_EVENT_ID}, headers=headers)
    assert largest.status_code == 200, largest.text  # the bound itself reaches SQL safely
    assert largest.json()["offset"] == MAX_EVENT_ID and largest.json()["total"] == 0


def _finished_job(platform: Platform, user_id: uuid.UUID) -> uuid.UUID:
    with platform.sessions.begin() as session:
        job_id = enqueue(session, "system.noop", user_id=user_id).id
    return job_id


async def _wait_job(client: httpx.AsyncClient, job_id: uuid.UUID, headers: Any) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()["status"] in (
            "SUCCEEDED",
            "FAILED",
        ):
            return
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def _ids(stream: httpx.Response) -> list[int]:
    return [int(line[4:]) for line in stream.text.splitlines() if line.startswith("id: ")]


async def _failed_course(client: httpx.AsyncClient, headers: Any) -> str:
    """A course on a topic no document covers: it fails at once, and its stream ends."""
    queued = await client.post("/api/courses", headers=headers, json={"topic": "Tides"})
    course_id = str(queued.json()["course_id"])
    deadline = time.monotonic() + 30
    while (await client.get(f"/api/courses/{course_id}", headers=headers)).json()["status"] not in (
        "READY",
        "FAILED",
    ):
        assert time.monotonic() < deadline, "course did not finish"
        time.sleep(0.05)
    return course_id


async def test_event_ids_are_bounded_before_the_stream_starts(
    client, make_user: UserMaker, platform: Platform
):
    user_id, headers = make_user()
    job_id = _finished_job(platform, user_id)
    await _wait_job(client, job_id, headers)
    course_id = await _failed_course(client, headers)
    for url in (f"/api/jobs/{job_id}/events", f"/api/courses/{course_id}/events"):
        everything = await client.get(url, headers=headers)
        assert everything.status_code == 200 and _ids(everything)
        for after in (TOO_BIG, 2**64, -1):
            assert_validation_error(
                await client.get(url, params={"after": after}, headers=headers), ["query", "after"]
            )
        last = await client.get(url, params={"after": MAX_EVENT_ID}, headers=headers)
        assert last.status_code == 200 and _ids(last) == []  # ends: nothing after the bound
        # Last-Event-ID comes from EventSource itself: one that is not ours is ignored.
        for header in (str(2**64), "abc", "-3", "1_0", " ", "9" * 5000):
            resumed = await client.get(url, headers={**headers, "Last-Event-ID": header})
            assert resumed.status_code == 200 and _ids(resumed) == _ids(everything)
        first = _ids(everything)[0]
        resumed = await client.get(url, headers={**headers, "Last-Event-ID": str(first)})
        assert _ids(resumed) == _ids(everything)[1:]


def test_last_event_id_parsing():
    assert parse_last_id(None) == 0 and parse_last_id("") == 0
    assert parse_last_id(" 42 ") == 42
    assert parse_last_id(str(MAX_EVENT_ID)) == MAX_EVENT_ID
    for bad in (str(MAX_EVENT_ID + 1), "1e3", "0x10", "+5", "-5", "1_000", "\u0661", "9" * 5000):
        assert parse_last_id(bad) == 0, bad


async def test_repeated_form_fields_are_refused(client, make_user: UserMaker):
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    _, headers = make_user(username, password)
    two_files = [
        ("file", ("a.txt", b"First file about tides.", "text/plain")),
        ("file", ("b.txt", b"Second file about volcanoes.", "text/plain")),
    ]
    response = await client.post("/upload", headers=headers, files=two_files)
    assert_validation_error(response)
    assert "'file'" in response.json()["error"]
    two_paths = {"path": ["a/one.txt", "b/two.txt"]}
    one_file = {"file": ("a.txt", b"Tides.", "text/plain")}
    response = await client.post("/upload", headers=headers, files=one_file, data=two_paths)
    assert_validation_error(response)
    listed = (await client.get("/documents", headers=headers)).json()
    assert listed["total"] == 0  # nothing was stored for either request
    ok = await client.post("/upload", headers=headers, files=one_file, data={"path": "a/x.txt"})
    assert ok.status_code == 202, ok.text
    # The sign-in form: which username would have counted?
    twice = f"username={username}&password={password}&username=someone-else"
    response = await client.post(
        "/auth/token",
        content=twice.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_validation_error(response)
    encoded = f"username={username}&password={password}&%75sername=x"  # %75 is "u"
    response = await client.post(
        "/auth/token",
        content=encoded.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_validation_error(response)
    once = await client.post("/auth/token", data={"username": username, "password": password})
    assert once.status_code == 200, once.text


def test_real_server_refuses_out_of_range_ids_and_keeps_the_connection(
    settings: Settings, make_user: UserMaker, platform: Platform, tmp_path: Path
):
    user_id, headers = make_user()
    job_id = _finished_job(platform, user_id)
    server, base = start_server(settings, tmp_path)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=20) as http:
            first = http.get("/api/jobs", params={"offset": TOO_BIG})
            assert_validation_error(first, ["query", "offset"])
            peer = first.extensions["network_stream"].get_extra_info("client_addr")
            events = http.get(f"/api/jobs/{job_id}/events", params={"after": 2**64})
            assert_validation_error(events, ["query", "after"])
            resumed = http.get(f"/api/jobs/{job_id}/events", headers={"Last-Event-ID": "9" * 30})
            assert resumed.status_code == 200 and "event: job.succeeded" in resumed.text
            after = http.get("/api/jobs")
            assert after.status_code == 200 and after.json()["total"] == 1
            for response in (events, resumed, after):  # one keep-alive connection throughout
                assert response.extensions["network_stream"].get_extra_info("client_addr") == peer
    finally:
        server.stop()
