"""The Quizzes section in a real browser at phone and desktop width: upload a document, make a
quiz from it on the page, take it question by question (Back keeps the answer), submit, read
the graded result with its explanations and follow a source link to the cited page, find the
attempt in the history chart and table, then delete the quiz after the confirmation. The same
journey without JavaScript, and a large quiz that becomes takeable once its job is done."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.documents import samples
from tests.e2e.conftest import (
    Server,
    accept_dialog,
    no_sideways_scroll,
    sign_in,
    wait_json,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTHS = [390, 1366]
READY = 120_000  # ms: the first document also loads the embedding model
QUESTIONS = 4
OPEN_ANSWER = "Plants turn light into chemical energy."


def _upload_on_the_page(page: Page, tmp_path: Path, folder: str) -> None:
    pdf = tmp_path / "science.pdf"
    pdf.write_bytes(samples.text_pdf())
    page.goto("/library")
    page.get_by_label("Files").set_input_files([pdf])
    page.get_by_label("Folder path").fill(folder + "science.pdf")
    page.get_by_role("button", name="Upload").click()
    row = page.locator("#upload-list .upload-item")
    expect(row).to_have_attribute("data-state", "ready", timeout=READY)


def _make_quiz(page: Page, folder: str, count: int, quiz_type: str = "mixed") -> None:
    page.goto("/practice")
    page.get_by_label("Ask about").select_option(label=f"science.pdf ({folder}science.pdf)")
    page.get_by_label("Number of questions").fill(str(count))
    page.get_by_label("Difficulty").select_option("easy")
    page.get_by_label("Kind of questions").select_option(quiz_type)
    no_sideways_scroll(page)
    page.get_by_role("button", name="Make quiz").click()


def _answer(page: Page) -> str:
    """Answer the question shown (the first option, or a sentence); what was chosen."""
    radios = page.get_by_role("radio")
    if radios.count():
        radios.first.check()
        return "radio"
    page.get_by_role("textbox").fill(OPEN_ANSWER)
    return "text"


def _take(page: Page, total: int, in_place: bool = True) -> None:
    """Answer every question with Next, going Back once to see the first answer kept; with
    JavaScript (`in_place`) the page is never reloaded and the focus follows the question."""
    if in_place:
        page.evaluate("window.sameQuizPage = true")
    for number in range(1, total + 1):
        expect(page.get_by_test_id("take-progress")).to_have_text(f"Question {number} of {total}")
        no_sideways_scroll(page)
        if number > 1:  # moved here: the answer has the focus
            expect(page.locator(":focus")).to_have_attribute("name", "answer")
        kind = _answer(page)
        if number == 2:  # Back: the first answer is still chosen, then forward again
            page.get_by_role("button", name="Back").click()
            expect(page.get_by_test_id("take-progress")).to_have_text(f"Question 1 of {total}")
            expect(page.get_by_test_id("take-answered")).to_have_text(f"2 of {total} answered")
            if page.get_by_role("radio").count():
                expect(page.get_by_role("radio").first).to_be_checked()
            else:
                expect(page.get_by_role("textbox")).to_have_value(OPEN_ANSWER)
            page.get_by_role("button", name="Next").click()
            expect(page.get_by_test_id("take-progress")).to_have_text(f"Question 2 of {total}")
            if kind == "radio":
                expect(page.get_by_role("radio").first).to_be_checked()
        if number < total:
            page.get_by_role("button", name="Next").click()
    if in_place:
        assert page.evaluate("window.sameQuizPage === true"), "a step reloaded the page"
    # Every earlier answer came along (this one goes with Submit).
    expect(page.get_by_test_id("take-answered")).to_have_text(f"{total - 1} of {total} answered")
    page.get_by_role("button", name="Submit answers", exact=True).click()


def _check_result(page: Page, total: int) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your result:")
    items = page.get_by_test_id("result-item")
    expect(items).to_have_count(total)
    for i in range(total):
        item = items.nth(i)
        expect(item.get_by_test_id("result-verdict")).to_have_text(
            re.compile("Correct|Incorrect|Mostly right|Partly right")
        )
        expect(item.locator(".quiz-correct")).to_contain_text("The correct answer:")
        expect(item.get_by_test_id("result-explanation")).not_to_be_empty()
        expect(item.get_by_test_id("your-answer")).not_to_be_empty()
    no_sideways_scroll(page)
    link = items.first.get_by_test_id("result-source")
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/library/[0-9a-f-]{36}#(page|passage)-\d+", href), href
    result_url = page.url
    link.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.locator(href[href.index("#") :])).to_be_visible()  # the cited page is there
    page.goto(result_url)


@pytest.mark.parametrize("width", WIDTHS)
def test_make_take_and_review_a_quiz(page: Page, server: Server, tmp_path: Path, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    folder = f"quiz-e2e-{width}-{uuid.uuid4().hex[:6]}/"
    sign_in(page, server, "/library")
    _upload_on_the_page(page, tmp_path, folder)

    _make_quiz(page, folder, QUESTIONS)
    expect(page.get_by_test_id("quiz-status")).to_have_text("ready")  # small: ready at once
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz on science.pdf")
    no_sideways_scroll(page)
    page.get_by_role("link", name="Start the quiz").click()
    _take(page, QUESTIONS)
    _check_result(page, QUESTIONS)

    page.get_by_role("link", name="Your history").click()
    chart = page.get_by_role("img", name=re.compile("Your scores over time"))
    expect(chart).to_be_visible()
    rows = page.locator("[data-submission-id]")
    expect(rows.first).to_contain_text("Quiz on science.pdf")
    no_sideways_scroll(page)
    rows.first.get_by_role("link", name=re.compile("See answers")).click()
    expect(page.get_by_test_id("result-item")).to_have_count(QUESTIONS)

    page.get_by_role("link", name="How you did on this quiz").click()
    expect(page.get_by_test_id("quiz-stats")).to_contain_text("1")
    no_sideways_scroll(page)
    quiz_url = page.url
    page.goto("/practice")
    row = page.locator(f"[data-quiz-id='{quiz_url.rsplit('/', 1)[-1]}']")
    page.once("dialog", accept_dialog)
    row.get_by_role("button", name=re.compile("Delete")).click()
    expect(row).to_have_count(0)
    assert page.request.get(quiz_url).status == 404


def test_take_a_quiz_without_javascript(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    folder = f"quiz-nojs-{uuid.uuid4().hex[:6]}/"
    sent = api.post("/upload", files={"file": ("science.pdf", samples.text_pdf())},
                    data={"path": folder + "science.pdf"})  # fmt: skip
    doc_id = sent.raise_for_status().json()["document_id"]
    wait_json(api, f"/document/{doc_id}", lambda b: b["status"] != "processing")
    context = browser.new_context(base_url=server.base_url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, server, "/practice")
        _make_quiz(page, folder, 3, quiz_type="short_answer")
        page.get_by_role("link", name="Start the quiz").click()
        _take(page, 3, in_place=False)
        _check_result(page, 3)
        expect(page.get_by_test_id("your-answer").first).to_have_text(OPEN_ANSWER)
    finally:
        context.close()
        api.delete(f"/document/{doc_id}")


def test_a_large_quiz_becomes_takeable_when_its_job_is_done(
    page: Page, server: Server, api: httpx.Client
) -> None:
    folder = f"quiz-large-{uuid.uuid4().hex[:6]}/"
    sent = api.post("/upload", files={"file": ("science.pdf", samples.text_pdf())},
                    data={"path": folder + "science.pdf"})  # fmt: skip
    doc_id = sent.raise_for_status().json()["document_id"]
    wait_json(api, f"/document/{doc_id}", lambda b: b["status"] != "processing")
    try:
        page.set_viewport_size({"width": 1366, "height": 900})
        sign_in(page, server, "/practice")
        _make_quiz(page, folder, 12, quiz_type="true_false")
        status = page.get_by_test_id("quiz-status")
        expect(status).to_have_text(re.compile("queued|writing|ready"))
        # The page follows the job (htmx) and reloads itself once the questions are written.
        expect(page.get_by_role("link", name="Start the quiz")).to_be_visible(timeout=READY)
        expect(status).to_have_text("ready")
        page.get_by_role("link", name="Start the quiz").click()
        expect(page.get_by_test_id("take-progress")).to_have_text("Question 1 of 12")
    finally:
        api.delete(f"/document/{doc_id}")
