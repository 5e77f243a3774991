"""Library hygiene in a real browser: duplicate uploads are named (or skipped), a cited
document's delete confirmation names its courses, and their lessons then mark the source as
removed; the HTML export reads at phone width without sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from studyforge.courses.render import course_html
from tests.courses.test_exports import GONE, stored_course
from tests.documents import samples
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in, wait_json

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
HTTP_TIMEOUT = 30.0
NOTES = b"Tides rise and fall twice a day because the Moon's gravity pulls the oceans."


def _upload(page: Page, file: Path, folder_path: str) -> None:
    page.get_by_label("Files").set_input_files(file)
    page.get_by_label("Folder path").fill(folder_path)
    page.get_by_role("button", name="Upload").click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_duplicate_uploads_are_named_or_skipped(
    page: Page, server: Server, api: httpx.Client, tmp_path: Path, viewport: dict[str, int]
) -> None:
    """The second upload of the same file says where it already is; with the box, it is skipped."""
    page.set_viewport_size(viewport)
    name = f"tides-{viewport['width']}.txt"
    first_path = f"dup-{viewport['width']}/{name}"
    file = tmp_path / name
    file.write_bytes(NOTES + name.encode())
    sign_in(page, server, "/library")
    no_sideways_scroll(page)
    rows = page.locator("#upload-list .upload-item")

    _upload(page, file, first_path)
    expect(rows.nth(0)).to_have_attribute("data-state", "ready", timeout=60_000)
    expect(page.locator("#documents tbody tr", has_text=first_path)).to_have_count(1)

    _upload(page, file, f"elsewhere-{viewport['width']}/{name}")
    expect(rows.nth(1)).to_contain_text(
        f"You already had this file as {first_path}; uploaded again anyway"
    )
    expect(page.locator("#documents tbody tr", has_text=name)).to_have_count(2)

    skip = page.get_by_label("Skip if I already have it")
    expect(skip).not_to_be_checked()
    skip.check()
    _upload(page, file, f"third-{viewport['width']}/{name}")
    expect(rows.nth(2)).to_have_attribute("data-state", "skipped")
    status = rows.nth(2).locator(".upload-item-status")
    expect(status).to_contain_text(f"Already in your library as {first_path} — skipped.")
    expect(status).not_to_have_class(re.compile("upload-error"))
    page.reload()
    expect(page.locator("#documents tbody tr", has_text=name)).to_have_count(2)
    no_sideways_scroll(page)


@pytest.fixture(scope="module")
def cited(api: httpx.Client) -> dict[str, Any]:
    """A processed document and a READY course that cites it."""
    files = {"file": ("science.pdf", samples.text_pdf(), "application/pdf")}
    sent = api.post("/upload", files=files, data={"path": "hyg/science.pdf"})
    assert sent.status_code == 202, sent.text
    doc_id = sent.json()["document_id"]
    doc = wait_json(api, f"/document/{doc_id}", lambda b: b["status"] != "processing")
    assert doc["status"] == "completed", doc
    body = {"topic": "Volcanoes", "num_lessons": 1, "source_filter": "hyg/"}
    queued = api.post("/api/courses", json=body).raise_for_status().json()
    course = wait_json(
        api, f"/api/courses/{queued['course_id']}", lambda b: b["status"] in ("READY", "FAILED")
    )
    assert course["status"] == "READY", course["error_message"]
    return {"doc": doc, "course": course}


def test_deleting_a_cited_document_names_its_courses(
    page: Page, server: Server, api: httpx.Client, cited: dict[str, Any]
) -> None:
    """The confirmation names the course; afterwards its lesson marks the sources removed."""
    doc, course = cited["doc"], cited["course"]
    page.set_viewport_size(PHONE)
    sign_in(page, server, f"/library/{doc['document_id']}")
    expect(page.get_by_test_id("citing-courses")).to_have_text(course["title"])
    no_sideways_scroll(page)
    messages: list[str] = []

    def confirm(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(server.base_url + "/library")
    assert len(messages) == 1
    assert (
        f"Courses that cite it: {course['title']} — their citations will show the source as "
        "removed." in messages[0]
    ), messages[0]

    lesson = course["lessons"][0]
    page.goto(f"/studio/{course['id']}/lessons/{lesson['lesson_number']}")
    sources = page.locator(".sources li")
    expect(sources).to_have_count(len(lesson["sources"]))
    expect(page.locator(".sources li[data-removed=true]")).to_have_count(len(lesson["sources"]))
    expect(sources.first).to_contain_text("removed from your documents")
    expect(page.locator(".source-link")).to_have_count(0)
    hrefs = page.locator(".lesson-body a.cite").evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all("#source-" in h and "/library/" not in h for h in hrefs), hrefs
    no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
    no_sideways_scroll(page)

    read = api.get(f"/api/courses/{course['id']}").json()
    assert all(s["removed"] for s in read["lessons"][0]["sources"])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_html_export_reads_without_sideways_scrolling(page: Page, viewport: dict[str, int]) -> None:
    """A long code line scrolls inside its block; the page itself never scrolls sideways."""
    course = stored_course()
    body = course.lessons[0].body
    assert body is not None
    long_line = "result = " + " + ".join(f"value_{i}" for i in range(60))
    sections = body.content_json["sections"]
    code = {"text": long_line + "\nprint(result)", "citations": [3], "kind": "code", "lang": "py"}
    body.content_json = {
        **body.content_json,
        "sections": [*sections, {"heading": "Long", "paragraphs": [code]}],
    }
    page.set_viewport_size(viewport)
    page.set_content(course_html(course, removed={GONE}))
    no_sideways_scroll(page)
    block = page.locator("pre code.language-py")
    expect(block).to_contain_text("print(result)")
    assert block.evaluate("e => e.innerText.split('\\n').length") == 2
    assert page.locator("pre").last.evaluate("e => e.scrollWidth > e.clientWidth")
    link = page.locator("a[href='#l1-s2']").first
    link.click()
    expect(page.locator("#l1-s2")).to_be_in_viewport()
    expect(page.locator("#l1-s2")).to_contain_text("removed from the library")
