"""Course pages in a real browser: request, watch it build, read a lesson, follow a citation."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.documents import samples
from tests.e2e.conftest import Server, accept_dialog, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

FOLDER = "studio-e2e/"
PROCESS_TIMEOUT = 120.0  # s: the first document also loads the embedding model
BUILD_TIMEOUT = 90_000  # ms
HTTP_TIMEOUT = 30.0
OTHER_USER = "carol"
OTHER_PASSWORD = "carol-staple-battery-horse"
ID = r"[0-9a-f-]{36}"


@pytest.fixture(scope="module")
def source_document(api: httpx.Client) -> Iterator[str]:
    """The six-topic PDF under `studio-e2e/`, processed; deleted afterwards."""
    files = {"file": ("science.pdf", samples.text_pdf(), "application/pdf")}
    data = {"path": FOLDER + "science.pdf", "generate_notes": "false"}
    sent = api.post("/upload", files=files, data=data)
    assert sent.status_code == 202, sent.text
    doc_id: str = sent.json()["document_id"]
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        status = ""
        while time.monotonic() < deadline:
            status = api.get(f"/document/{doc_id}").json()["status"]
            if status != "processing":
                break
            time.sleep(0.3)
        assert status == "completed", status
        yield doc_id
    finally:
        api.delete(f"/document/{doc_id}")


def test_request_watch_read_and_follow_a_citation(
    page: Page, server: Server, source_document: str
) -> None:
    """Request a course, watch it become ready, open lesson 1 and follow a citation."""
    sign_in(page, server, "/studio")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Courses")).to_have_attribute("aria-current", "page")
    expect(page.locator("#source-folders option")).to_have_attribute("value", FOLDER)

    page.get_by_label("Topic").fill("Volcanoes and the immune system")
    page.get_by_label("Number of lessons").fill("2")
    page.get_by_label("Source folder").fill(FOLDER)
    page.get_by_role("button", name="Create course").click()

    expect(page).to_have_url(re.compile(rf"/studio/{ID}$"))
    status = page.get_by_test_id("course-status")
    expect(status).to_have_text("ready", timeout=BUILD_TIMEOUT)
    lessons = page.locator(".lesson-link")
    expect(lessons).to_have_count(2)
    expect(page.get_by_test_id("course-progress")).to_have_count(0)
    export = page.get_by_role("link", name="Markdown")
    expect(export).to_have_attribute("href", re.compile(r"/api/courses/.+/export\?format=md$"))

    lessons.first.click()
    expect(page).to_have_url(re.compile(rf"/studio/{ID}/lessons/1$"))
    expect(page.get_by_role("heading", level=1)).not_to_be_empty()
    expect(page.locator(".lesson-paragraph").first).not_to_be_empty()
    expect(page.locator(".sources li").first).to_contain_text("science.pdf")
    expect(page.locator(".check-answer").first).not_to_have_attribute("open", "")

    citation = page.locator(".lesson-paragraph a.cite").first
    href = citation.get_attribute("href") or ""
    match = re.fullmatch(rf"/library/{source_document}#((?:page|passage)-\d+)", href)
    assert match, href
    citation.click()
    expect(page).to_have_url(server.base_url + href)
    expect(page.get_by_role("heading", name="science.pdf", level=1)).to_be_visible()
    expect(page.locator(f"#{match.group(1)}")).to_be_in_viewport()

    page.go_back()
    page.locator(".back-link a").click()
    expect(page).to_have_url(re.compile(rf"/studio/{ID}$"))
    page.once("dialog", accept_dialog)
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(server.base_url + "/studio")
    expect(page.locator("#courses")).not_to_contain_text("Volcano")


def test_failed_course_shows_its_error_and_retries(
    page: Page, server: Server, source_document: str
) -> None:
    """A course with no matching sources fails visibly; Retry runs it again."""
    sign_in(page, server, "/studio")
    page.get_by_label("Topic").fill("Volcanoes")
    page.get_by_label("Number of lessons").fill("1")
    page.get_by_label("Source folder").fill("no-such-folder/")
    page.get_by_role("button", name="Create course").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("no-such-folder/", timeout=BUILD_TIMEOUT)
    expect(page.get_by_test_id("course-status")).to_have_text("failed")
    course_url = page.url
    page.get_by_role("button", name="Retry").click()
    expect(page).to_have_url(course_url)
    expect(page.get_by_test_id("course-status")).to_have_text("failed", timeout=BUILD_TIMEOUT)
    expect(page.get_by_role("button", name="Retry")).to_be_visible()

    page.goto("/studio")
    row = page.locator("#courses tbody tr", has_text="Volcanoes")
    expect(row.locator(".badge")).to_have_text("failed")
    expect(row).to_contain_text("no-such-folder/")


@contextmanager
def _signed_in_client(server: Server, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=HTTP_TIMEOUT) as client:
        form = {"username": username, "password": password, "next": "/studio"}
        assert client.post("/login", data=form).status_code == 303
        yield client


def test_pages_answer_404_for_another_users_course(server: Server, api: httpx.Client) -> None:
    """Carol cannot see, poll, retry or delete Alice's course; cross-site writes are refused."""
    body = {"topic": "Alice's private topic", "num_lessons": 1, "source_filter": "nothing/"}
    course_id = api.post("/api/courses", json=body).raise_for_status().json()["course_id"]
    if OTHER_USER not in server.cli("users", "list"):
        server.cli("users", "create", OTHER_USER, "--password", OTHER_PASSWORD)
    origin = {"Origin": server.base_url}
    with _signed_in_client(server, OTHER_USER, OTHER_PASSWORD) as carol:
        for path in (
            f"/studio/{course_id}",
            f"/studio/{course_id}/lessons/1",
            f"/studio/{uuid.uuid4()}",
            "/studio/not-an-id",
        ):
            response = carol.get(path)
            assert response.status_code == 404, path
            assert "text/html" in response.headers["content-type"]
            assert "private topic" not in response.text
        assert "private topic" not in carol.get(f"/ui/studio/{course_id}/status").text
        assert "private topic" not in carol.get("/studio").text
        for action in ("retry", "delete"):
            assert carol.post(f"/studio/{course_id}/{action}", headers=origin).status_code == 404

    with _signed_in_client(server, server.username, server.password) as alice:
        assert "private topic" in alice.get(f"/studio/{course_id}").text
        evil = {"Origin": "https://evil.example"}
        assert alice.post(f"/studio/{course_id}/delete", headers=evil).status_code == 403
        bad = {"topic": "Tides", "num_lessons": "99"}
        invalid = alice.post("/studio", data=bad, headers=origin)
        assert invalid.status_code == 422
        assert "from 1 to 20" in invalid.text and 'value="Tides"' in invalid.text
    assert api.get(f"/api/courses/{course_id}").status_code == 200


def test_studio_needs_sign_in(server: Server) -> None:
    """The pages redirect to the sign-in form; the polled fragments ask htmx to go there."""
    response = httpx.get(f"{server.base_url}/studio", timeout=HTTP_TIMEOUT)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/studio"
    fragment = httpx.get(
        f"{server.base_url}/ui/studio/{uuid.uuid4()}/status",
        headers={"HX-Request": "true"},
        timeout=HTTP_TIMEOUT,
    )
    assert fragment.status_code == 401
    assert fragment.headers["HX-Redirect"].startswith("/login?next=")
