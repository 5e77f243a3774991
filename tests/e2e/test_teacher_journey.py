"""The whole journey of issue 11's acceptance, in one browser session at phone and desktop
width: upload three files at once, make a course from two chosen documents, edit a lesson's
text, answer its checks with feedback, and export the edited course; nothing scrolls sideways."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.documents import samples
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTHS = [390, 1366]
READY = 120_000  # ms: the first document also loads the embedding model
VOLCANO_NOTES = (
    "# Volcano field notes\n\nA volcano erupts when pressure from dissolved gases in the magma "
    "chamber forces molten rock to the surface. Lava flows and ash clouds are the main hazards.\n"
)
TIDES = "Tides rise and fall twice a day because the Moon's gravity pulls on the oceans.\n"


@pytest.mark.parametrize("width", WIDTHS)
def test_upload_choose_edit_answer_and_export(
    page: Page, server: Server, tmp_path: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    folder = f"journey-{width}-{uuid.uuid4().hex[:6]}/"
    files = [tmp_path / "science.pdf", tmp_path / "volcano-notes.md", tmp_path / "tides.txt"]
    files[0].write_bytes(samples.text_pdf())
    files[1].write_text(VOLCANO_NOTES)
    files[2].write_text(TIDES)

    # Three files at once, each followed to Ready.
    sign_in(page, server, "/library")
    page.get_by_label("Files").set_input_files(files)
    page.get_by_label("Folder path").fill(folder)
    page.get_by_role("button", name="Upload").click()
    rows = page.locator("#upload-list .upload-item")
    expect(rows).to_have_count(3)
    for i in range(3):
        expect(rows.nth(i)).to_have_attribute("data-state", "ready", timeout=READY)
    no_sideways_scroll(page)

    # A course from two of them, chosen in the picker.
    page.goto("/studio")
    chosen = page.locator("[data-picker-folder]", has=page.get_by_label(f"{folder} whole folder"))
    chosen.get_by_label("science.pdf").check()
    chosen.get_by_label("volcano-notes.md").check()
    page.get_by_label("Topic").fill("Volcanoes and the immune system")
    page.get_by_label("Number of lessons").fill("2")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_test_id("course-status")).to_have_text("ready", timeout=READY)
    sources = page.get_by_text("tides.txt")
    expect(sources).to_have_count(0)  # the third document was not chosen
    course_url = page.url
    no_sideways_scroll(page)

    # Edit lesson 1's text.
    page.locator(".lesson-link").first.click()
    page.get_by_role("link", name="Edit lesson").click()
    edited = f"Edited for class {width}: magma rises because it is lighter than the rock."
    page.get_by_label("Paragraph 1", exact=False).first.fill(edited)
    no_sideways_scroll(page)
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_test_id("edit-notice")).to_have_text("Saved.")
    expect(page.get_by_role("region", name="Lesson text")).to_contain_text(edited)

    # Answer a check: right or wrong, the answer explained, a score.
    item = page.locator(".quiz-item", has=page.get_by_role("radio")).first
    item.get_by_role("radio").first.check()
    item.get_by_role("button", name="Check").click()
    feedback = page.locator(".quiz-item", has=page.get_by_role("radio")).first.get_by_test_id(
        "quiz-feedback"
    )
    expect(feedback).to_contain_text(re.compile("Correct|Incorrect"))
    expect(
        page.locator(".quiz-score, [aria-live=polite]").filter(has_text="Score")
    ).not_to_have_count(0)
    no_sideways_scroll(page)

    # The export carries the edit.
    page.goto(course_url)
    href = page.get_by_role("link", name="Markdown", exact=True).get_attribute("href")
    assert href
    export = page.request.get(href)
    assert export.ok and edited in export.text()
