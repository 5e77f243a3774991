"""What tripped a new teacher up, in a real browser at phone and desktop width: error pages
in HTML, next steps on the home page, jobs that say what they work on, a course page that fits
a phone with Delete apart from the exports, and form messages that say what is wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, no_sideways_scroll, science_course, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]
IDS = ["phone", "desktop"]
FOLDER = "teacher-e2e/"


@pytest.fixture(scope="module")
def ready_course(api: httpx.Client) -> Iterator[dict[str, Any]]:
    """A READY two-lesson course from the six-topic PDF."""
    with science_course(api, FOLDER) as (_, course):
        yield course


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_an_unknown_page_is_a_page_not_json(
    page: Page, server: Server, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    response = page.goto("/nonexistent-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("sign in"))).to_be_visible()
    assert '"code"' not in page.content()
    sign_in(page, server, "/jobs/not-a-job")
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    page.get_by_role("link", name=re.compile("home page")).click()
    expect(page).to_have_url(server.base_url + "/")
    no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_the_home_page_offers_the_next_steps(
    page: Page, server: Server, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, server, "/")
    steps = page.get_by_role("region", name=re.compile("Next steps|What you can do"))
    expect(steps.get_by_role("link", name="New course")).to_be_visible()
    no_sideways_scroll(page)
    steps.get_by_role("link", name="Upload documents").click()
    expect(page).to_have_url(server.base_url + "/library")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_the_course_page_fits_and_keeps_delete_apart(
    page: Page, server: Server, ready_course: dict[str, Any], viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, server, f"/studio/{ready_course['id']}")
    no_sideways_scroll(page)
    for name in ("JSON", "Markdown", "HTML"):
        box = page.get_by_role("link", name=name, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    exports = page.get_by_role("group", name="Export")
    expect(exports.get_by_role("button")).to_have_count(0)  # nothing destructive among them
    delete = page.get_by_role("region", name="Delete this course")
    expect(delete).to_contain_text("Your documents stay")
    # Delete comes after the lessons, not beside the exports.
    order = page.evaluate(
        "[...document.querySelectorAll('#lessons-title, #delete-title')].map(e => e.id)"
    )
    assert order == ["lessons-title", "delete-title"]
    messages: list[str] = []

    def dismiss(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    delete.get_by_role("button", name="Delete course").click()
    assert messages and "2 lessons" in messages[0] and "documents stay" in messages[0]
    expect(page).to_have_url(server.base_url + f"/studio/{ready_course['id']}")  # kept


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_jobs_say_what_they_work_on_and_link_to_it(
    page: Page, server: Server, ready_course: dict[str, Any], viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, server, "/jobs")
    jobs = page.locator("#jobs")
    expect(jobs).not_to_contain_text("courses.generate")
    expect(jobs).not_to_contain_text("documents.process")
    expect(jobs.get_by_role("link", name="Reading science.pdf").first).to_be_visible()
    no_sideways_scroll(page)
    jobs.get_by_role("link", name=f"Writing the course “{ready_course['title']}”").first.click()
    expect(page).to_have_url(server.base_url + f"/studio/{ready_course['id']}")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_the_course_form_says_what_is_wrong(
    page: Page, server: Server, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, server, "/studio")
    expect(page.get_by_label("Grade level")).to_have_attribute("required", "")
    page.get_by_label("Topic").fill("     ")
    page.get_by_role("button", name="Create course").click()
    expect(page.locator("#topic-error")).to_have_text(re.compile("^Enter a topic, for example"))
    expect(page.get_by_label("Topic")).to_have_attribute("aria-invalid", "true")
    no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_search_stays_in_the_address_and_survives_back(
    page: Page, server: Server, ready_course: dict[str, Any], viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, server, "/library")
    page.get_by_label("Question or keywords").fill("magma eruption")
    page.get_by_role("button", name="Search", exact=True).click()
    first = page.locator("#search-results .result-link").first
    expect(first).to_be_visible()
    expect(page).to_have_url(server.base_url + "/library?q=magma%20eruption")
    no_sideways_scroll(page)
    first.click()
    expect(page).to_have_url(re.compile(r"/library/[0-9a-f-]{36}"))
    page.go_back()
    expect(page.get_by_label("Question or keywords")).to_have_value("magma eruption")
    expect(page.locator("#search-results .result-link").first).to_be_visible()
    page.reload()
    expect(page.locator("#search-results .result-link").first).to_be_visible()
