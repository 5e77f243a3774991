"""Editing a course before publishing it, in a real browser at phone and desktop width: edit a
lesson's text (and add a paragraph of one's own), see it on the lesson page and in the Markdown
export, regenerate it through its confirmation, restore the edited version from the history,
and move lesson 2 up; nothing scrolls sideways."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e import test_courses_page as courses_page
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in, wait_json

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

source_document = courses_page.source_document  # the six-topic PDF under `studio-e2e/`
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TOPIC = "Volcanoes and the immune system"
EDITED = "A volcano is an opening in the crust where molten rock, ash and gas escape."
OWN = "Before reading on: who in the class has seen a volcano, on screen or for real?"
REGENERATE_TIMEOUT = 60_000  # ms


def _course(api: httpx.Client) -> dict[str, Any]:
    body = {"topic": TOPIC, "num_lessons": 2, "source_filter": courses_page.FOLDER}
    course_id = api.post("/api/courses", json=body).raise_for_status().json()["course_id"]
    course = wait_json(
        api, f"/api/courses/{course_id}", lambda b: b["status"] in ("READY", "FAILED")
    )
    assert course["status"] == "READY", course["error_message"]
    return course


def _markdown(api: httpx.Client, course: dict[str, Any]) -> str:
    response = api.get(f"/api/courses/{course['id']}/export", params={"format": "md"})
    return response.raise_for_status().text


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1366px"])
def test_edit_regenerate_restore_and_reorder(
    page: Page, server: Server, api: httpx.Client, source_document: str, viewport: dict[str, int]
) -> None:
    course = _course(api)
    first, second = course["lessons"]
    lesson_url = f"/studio/{course['id']}/lessons/1"
    page.set_viewport_size(viewport)
    sign_in(page, server, lesson_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(first["title"])
    no_sideways_scroll(page)

    # Edit: rewrite the first paragraph, add one of my own.
    page.get_by_role("link", name="Edit lesson").click()
    expect(page).to_have_url(re.compile(rf"{lesson_url}/edit$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit lesson 1")
    no_sideways_scroll(page)
    paragraph = page.get_by_label("Paragraph 1", exact=False).first
    original = paragraph.input_value()
    assert original.strip()
    paragraph.fill(EDITED)
    page.get_by_label("Add a paragraph of your own").first.fill(OWN)
    page.get_by_role("button", name="Save lesson").click()

    expect(page).to_have_url(re.compile(rf"{lesson_url}\?notice=saved$"))
    expect(page.get_by_test_id("edit-notice")).to_have_text("Saved.")
    text = page.get_by_role("region", name="Lesson text")
    expect(text).to_contain_text(EDITED)
    own = text.locator(".lesson-paragraph", has_text=OWN)
    expect(own.locator(".own-note")).to_have_text("your text, not from the sources")
    expect(own.locator("a.cite")).to_have_count(0)  # no citation made up
    expect(text.locator(".lesson-paragraph", has_text=EDITED).locator("a.cite")).not_to_have_count(
        0
    )
    no_sideways_scroll(page)
    markdown = _markdown(api, course)
    assert EDITED in markdown and OWN in markdown and original not in markdown

    # Regenerate: it asks first, then writes the lesson again from the sources.
    page.get_by_role("button", name="Regenerate this lesson").click()
    expect(page).to_have_url(re.compile(rf"{lesson_url}/regenerate$"))
    expect(page.get_by_test_id("regenerate-warning")).to_have_text(
        "This lesson has your edits. Regenerating replaces them; your edited version is kept "
        "in its history."
    )
    no_sideways_scroll(page)
    page.get_by_role("button", name="Regenerate and replace my edits").click()
    expect(page.get_by_test_id("edit-notice")).to_contain_text(
        "Rewritten from the course's sources", timeout=REGENERATE_TIMEOUT
    )
    expect(text).not_to_contain_text(EDITED)
    expect(text).not_to_contain_text(OWN)
    no_sideways_scroll(page)

    # History: the edited version, replaced by regenerating, is restored.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of lesson 1")
    edited = page.locator(".version-item", has_text="With your edits · replaced by regenerating")
    expect(edited).to_have_count(1)
    no_sideways_scroll(page)
    edited.get_by_role("link", name=re.compile(r"^View")).click()
    expect(page.get_by_role("region", name="Text of this version")).to_contain_text(EDITED)
    no_sideways_scroll(page)
    page.get_by_role("button", name="Restore this version").click()
    expect(page).to_have_url(re.compile(rf"{lesson_url}\?notice=restored&version=\d+$"))
    expect(page.get_by_test_id("edit-notice")).to_contain_text("restored")
    expect(text).to_contain_text(EDITED)
    expect(text).to_contain_text(OWN)
    assert EDITED in _markdown(api, course)

    # Reorder: lesson 2 moves up, and the numbers follow everywhere.
    page.get_by_role("link", name="Edit course").click()
    expect(page).to_have_url(re.compile(rf"/studio/{course['id']}/lessons$"))
    no_sideways_scroll(page)
    order = page.get_by_test_id("lesson-order")
    expect(order.locator(".order-item").nth(1)).to_contain_text(f"Lesson 2: {second['title']}")
    page.get_by_role("button", name=f"Move up: lesson 2, {second['title']}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Moved “{second['title']}” to lesson 1.")
    expect(order.locator(".order-item").first).to_contain_text(f"Lesson 1: {second['title']}")
    expect(order.locator(".order-item").nth(1)).to_contain_text(f"Lesson 2: {first['title']}")
    no_sideways_scroll(page)
    lessons = api.get(f"/api/courses/{course['id']}").raise_for_status().json()["lessons"]
    assert [(x["id"], x["lesson_number"]) for x in lessons] == [(second["id"], 1), (first["id"], 2)]
    markdown = _markdown(api, course)
    assert markdown.index(f"## Lesson 1: {second['title']}") < markdown.index(
        f"## Lesson 2: {first['title']}"
    )
    order.get_by_role("link", name=f"Lesson 2: {first['title']}").click()
    expect(page).to_have_url(re.compile(rf"/studio/{course['id']}/lessons/2$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first["title"])
    expect(page.get_by_role("region", name="Lesson text")).to_contain_text(EDITED)
    no_sideways_scroll(page)
    api.delete(f"/api/courses/{course['id']}")
