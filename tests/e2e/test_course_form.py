"""The course form in a real browser, at phone and desktop width: choosing documents in the
picker, editing a FAILED course and sending it again, and Back then Create making no second
course."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.documents import samples
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in, wait_json

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]
IDS = ["phone", "desktop"]
EARTH = "form-e2e/earth/"
BODY = "form-e2e/body/"
TOPIC = "Volcanoes and the immune system"
BUILD_TIMEOUT = 90_000  # ms
ID = r"[0-9a-f-]{36}"


@pytest.fixture(scope="module")
def documents(api: httpx.Client) -> Iterator[dict[str, str]]:
    """Three processed documents in two folders; the two PDFs both cover `TOPIC`."""
    uploads = {
        "science": (EARTH + "science.pdf", "science.pdf", samples.text_pdf()),
        "optics": (EARTH + "optics.md", "optics.md", samples.MARKDOWN),
        "copy": (BODY + "copy.pdf", "copy.pdf", samples.text_pdf()),
    }
    ids: dict[str, str] = {}
    for key, (path, name, data) in uploads.items():
        sent = api.post("/upload", files={"file": (name, data)}, data={"path": path})
        ids[key] = sent.raise_for_status().json()["document_id"]
    for doc_id in ids.values():
        done = wait_json(api, f"/document/{doc_id}", lambda b: b["status"] != "processing")
        assert done["status"] == "completed", done
    yield ids
    for doc_id in ids.values():
        api.delete(f"/document/{doc_id}")


def _course_count(api: httpx.Client) -> int:
    return int(api.get("/api/courses").raise_for_status().json()["total"])


def _course(api: httpx.Client, url: str) -> dict[str, Any]:
    course_id = url.rsplit("/", 1)[1].split("?", 1)[0]
    return dict(api.get(f"/api/courses/{course_id}").raise_for_status().json())


def _folder(page: Page, folder: str) -> Any:
    return page.locator("[data-picker-folder]", has=page.get_by_label(f"{folder} whole folder"))


def _cited(course: dict[str, Any]) -> set[str]:
    return {s["document_id"] for lesson in course["lessons"] for s in lesson["sources"]}


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_pick_two_documents_and_the_course_uses_only_them(
    page: Page, server: Server, api: httpx.Client, documents: dict[str, str],
    viewport: dict[str, int],
) -> None:  # fmt: skip
    page.set_viewport_size(viewport)
    sign_in(page, server, "/studio")
    picker = page.get_by_role("group", name="Documents to use")
    expect(picker).to_contain_text("Nothing checked: every document is used.")
    earth, body = _folder(page, EARTH), _folder(page, BODY)
    expect(earth.locator("[data-picker-doc]")).to_have_count(2)
    expect(body.locator("[data-picker-doc]")).to_have_count(1)
    expect(earth).to_contain_text(re.compile(r"\d+ pages · \d+ passages"))
    listing = page.get_by_role("group", name="Your documents, by folder")
    style = listing.evaluate("e => [getComputedStyle(e).maxHeight, getComputedStyle(e).overflowY]")
    assert style[0] != "none" and style[1] == "auto"  # many documents scroll inside the list
    no_sideways_scroll(page)

    whole = page.get_by_label(f"{EARTH} whole folder")
    earth.get_by_label("science.pdf").check()
    assert whole.evaluate("box => box.indeterminate") and not whole.is_checked()
    expect(picker).to_contain_text("1 document chosen.")
    whole.check()  # the whole folder: both of its documents
    expect(earth.get_by_label("optics.md")).to_be_checked()
    assert not whole.evaluate("box => box.indeterminate")
    body.get_by_label("copy.pdf").check()
    body.get_by_label("copy.pdf").uncheck()
    expect(picker).to_contain_text("2 documents chosen.")

    page.get_by_label("Topic").fill(TOPIC)
    page.get_by_label("Number of lessons").fill("2")
    page.get_by_role("button", name="Create course").click()
    expect(page).to_have_url(re.compile(rf"/studio/{ID}$"))
    expect(page.get_by_test_id("course-status")).to_have_text("ready", timeout=BUILD_TIMEOUT)
    sources = page.get_by_test_id("course-sources")
    expect(sources.get_by_role("link")).to_have_text(["optics.md", "science.pdf"])
    no_sideways_scroll(page)

    course = _course(api, page.url)
    assert sorted(course["document_ids"]) == sorted([documents["science"], documents["optics"]])
    cited = _cited(course)
    assert cited and cited <= {documents["science"], documents["optics"]}
    assert documents["copy"] not in cited  # it covers the topic too, but was not chosen
    api.delete(f"/api/courses/{course['id']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_a_failed_course_edited_and_sent_again_becomes_ready(
    page: Page, server: Server, api: httpx.Client, documents: dict[str, str],
    viewport: dict[str, int],
) -> None:  # fmt: skip
    page.set_viewport_size(viewport)
    sign_in(page, server, "/studio")
    page.get_by_label("Topic").fill("Quantum chromodynamics")
    page.get_by_label("Number of lessons").fill("2")
    page.get_by_label(f"{EARTH} whole folder").check()
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_test_id("course-status")).to_have_text("failed", timeout=BUILD_TIMEOUT)
    expect(page.get_by_role("alert")).to_contain_text("don't cover 'Quantum chromodynamics'")
    course_url = page.url
    no_sideways_scroll(page)

    page.get_by_role("link", name="Edit and try again").click()
    expect(page).to_have_url(course_url + "/edit")
    expect(page.get_by_role("heading", name="Edit and try again", level=1)).to_be_visible()
    expect(page.get_by_label("Topic")).to_have_value("Quantum chromodynamics")
    expect(page.get_by_label("Number of lessons")).to_have_value("2")
    earth = _folder(page, EARTH)
    expect(earth.get_by_label("science.pdf")).to_be_checked()
    expect(earth.get_by_label("optics.md")).to_be_checked()
    expect(_folder(page, BODY).get_by_label("copy.pdf")).not_to_be_checked()
    no_sideways_scroll(page)

    page.get_by_label("Topic").fill("   ")  # the same messages as the new course form
    page.get_by_role("button", name="Try again with these changes").click()
    expect(page.locator("#topic-error")).to_have_text(re.compile("^Enter a topic, for example"))
    expect(_folder(page, EARTH).get_by_label("optics.md")).to_be_checked()  # kept as chosen
    page.get_by_label("Topic").fill(TOPIC)
    page.get_by_role("button", name="Try again with these changes").click()
    expect(page).to_have_url(course_url)  # the same course, generated again
    expect(page.get_by_test_id("course-status")).to_have_text("ready", timeout=BUILD_TIMEOUT)
    expect(page.locator(".lesson-link")).to_have_count(2)
    course = _course(api, course_url)
    assert course["topic"] == TOPIC
    assert _cited(course) <= {documents["science"], documents["optics"]}
    api.delete(f"/api/courses/{course['id']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_back_then_create_again_makes_no_second_course(
    page: Page, server: Server, api: httpx.Client, documents: dict[str, str],
    viewport: dict[str, int],
) -> None:  # fmt: skip
    page.set_viewport_size(viewport)
    before = _course_count(api)
    sign_in(page, server, "/studio")
    page.get_by_label("Topic").fill("Volcanoes")
    page.get_by_label("Number of lessons").fill("1")
    _folder(page, BODY).get_by_label("copy.pdf").check()
    page.get_by_role("button", name="Create course").click()
    expect(page).to_have_url(re.compile(rf"/studio/{ID}$"))
    course_url = page.url
    expect(page.get_by_test_id("again-notice")).to_have_count(0)

    page.go_back()
    expect(page).to_have_url(server.base_url + "/studio")
    expect(page.get_by_label("Topic")).to_have_value("Volcanoes")
    page.get_by_role("button", name="Create course").click()
    expect(page).to_have_url(course_url + "?again=1")
    expect(page.get_by_test_id("again-notice")).to_have_text(
        re.compile("You already asked for this course")
    )
    no_sideways_scroll(page)
    assert _course_count(api) == before + 1
    api.delete(f"/api/courses/{_course(api, course_url)['id']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_without_javascript_a_folder_is_its_documents_and_back_sends_nothing(
    browser: Browser, server: Server, api: httpx.Client, documents: dict[str, str],
    viewport: dict[str, int],
) -> None:  # fmt: skip
    context = browser.new_context(
        base_url=server.base_url, java_script_enabled=False, viewport=viewport
    )
    try:
        page = context.new_page()
        sign_in(page, server, "/studio")
        page.get_by_label("Topic").fill("Volcanoes")
        page.get_by_label("Number of lessons").fill("1")
        page.get_by_label(f"{EARTH} whole folder").check()  # its documents stay unchecked
        no_sideways_scroll(page)
        before = _course_count(api)
        page.get_by_role("button", name="Create course").click()
        expect(page).to_have_url(re.compile(rf"/studio/{ID}$"))
        course = _course(api, page.url)
        assert sorted(course["document_ids"]) == sorted([documents["science"], documents["optics"]])

        page.go_back()  # the form comes back empty: nothing to send again by accident
        expect(page.get_by_label("Topic")).to_have_value("")
        page.get_by_role("button", name="Create course").click()  # `required` stops it
        expect(page).to_have_url(server.base_url + "/studio")
        assert _course_count(api) == before + 1
        api.delete(f"/api/courses/{course['id']}")
    finally:
        context.close()
