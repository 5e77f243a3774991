"""The Tutor page in a real browser at phone and desktop width: upload a PDF, start a chat on
its folder, watch the answer arrive word by word with its citation chips while the address
becomes the chat's (no reload), follow a chip to the cited page of the document, ask something
the material does not hold and see it refused, make a quiz from an answer, and delete the chat
after the confirmation. The same ask without JavaScript, and errors of the API said on the
page."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, Route, expect

from tests.documents import samples
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in, wait_json

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTHS = [390, 1366]
READY = 120_000  # ms: the first document also loads the embedding model
VOLCANO = "What makes magma rise up and erupt from a volcano?"
OFF_TOPIC = "What is the capital of Australia?"
VOLCANO_PAGE = samples.PAGE_OF["Volcanoes"]
CHAT_URL = re.compile(r"/tutor/[0-9a-f-]{36}$")
# Counts the text nodes added to answers: one per `token` event as the answer streams in.
COUNT_TOKENS = """() => {
  window.tokensSeen = 0;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.matches && r.target.matches("[data-chat-answer]")) {
        window.tokensSeen += [...r.addedNodes].filter((n) => n.nodeType === 3).length;
      }
    }
  }).observe(document.querySelector("[data-chat-log]"), {childList: true, subtree: true});
}"""


def _upload_on_the_page(page: Page, tmp_path: Path, folder: str) -> None:
    pdf = tmp_path / "science.pdf"
    pdf.write_bytes(samples.text_pdf())
    page.goto("/library")
    page.get_by_label("Files").set_input_files([pdf])
    page.get_by_label("Folder path").fill(folder + "science.pdf")
    page.get_by_role("button", name="Upload").click()
    row = page.locator("#upload-list .upload-item")
    expect(row).to_have_attribute("data-state", "ready", timeout=READY)


def _ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask").click()


def _open_chats(page: Page) -> None:
    """Unfold the list of chats (folded on a phone once a chat is open)."""
    side = page.locator("[data-chat-side]")
    if side.get_attribute("open") is None:
        side.locator("summary").click()
    expect(side).to_have_attribute("open", "")


def _start_on_folder(page: Page, folder: str) -> None:
    page.goto("/tutor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tutor")
    folder_box = page.get_by_label("Source folder", exact=True)
    expect(folder_box).to_be_hidden()  # shown once that scope is chosen
    page.get_by_label("A source folder").check()
    folder_box.fill(folder)
    no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_ask_see_the_answer_stream_and_follow_its_citation(
    page: Page, server: Server, tmp_path: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    folder = f"chat-e2e-{width}-{uuid.uuid4().hex[:6]}/"
    sign_in(page, server, "/library")
    _upload_on_the_page(page, tmp_path, folder)

    _start_on_folder(page, folder)
    page.evaluate(COUNT_TOKENS)
    page.evaluate("window.sameChatPage = true")
    _ask(page, VOLCANO)
    turn = page.locator(".chat-turn").last
    expect(turn.locator(".chat-q-text")).to_have_text(VOLCANO)
    answer = turn.get_by_test_id("chat-answer")
    expect(answer).to_have_attribute("data-grounded", "true")
    expect(answer.locator("[data-chat-answer]")).to_contain_text("magma")
    chips = answer.get_by_test_id("citation-chip")
    expect(chips.first).to_be_visible()
    expect(chips.first).to_contain_text(f"science.pdf, page {VOLCANO_PAGE}")
    expect(page).to_have_url(CHAT_URL)  # the address became the chat's
    assert page.evaluate("window.sameChatPage === true"), "asking reloaded the page"
    words = len((answer.locator("[data-chat-answer]").text_content() or "").split())
    assert page.evaluate("window.tokensSeen") >= min(words, 10), "the answer did not stream in"
    expect(page.get_by_role("heading", level=1)).to_have_text(VOLCANO)
    expect(page.get_by_test_id("chat-scope")).to_have_text(
        f"Answers from: Documents in the folder {folder}"
    )
    current = page.locator(".chat-session-current a")
    expect(current).to_have_text(VOLCANO)
    expect(current).to_have_attribute("aria-current", "page")
    expect(answer.get_by_test_id("chat-quiz-link")).to_have_attribute(
        "href", re.compile(r"^/practice\?source=doc:[0-9a-f-]{36}$")
    )
    no_sideways_scroll(page)
    chat_url = page.url

    href = chips.first.get_attribute("href") or ""
    assert re.fullmatch(rf"/library/[0-9a-f-]{{36}}#page-{VOLCANO_PAGE}", href), href
    chips.first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    cited_page = page.locator(f"#page-{VOLCANO_PAGE}")
    expect(cited_page).to_contain_text("magma")
    expect(cited_page).to_be_in_viewport()
    no_sideways_scroll(page)

    page.goto(chat_url)
    expect(page.locator(".chat-turn")).to_have_count(1)  # the history, rendered by the server
    _ask(page, OFF_TOPIC)
    refused = page.locator(".chat-turn").last.get_by_test_id("chat-answer")
    expect(refused).to_have_attribute("data-grounded", "false")
    expect(refused.get_by_test_id("chat-refused")).to_have_text("Not in your material")
    expect(refused).to_contain_text("That is not in your material")
    expect(refused.get_by_test_id("chat-quiz-link")).to_have_count(0)
    expect(refused.get_by_test_id("citation-chip")).to_have_count(0)
    _open_chats(page)
    expect(page.locator(".chat-session-current .chat-session-meta")).to_contain_text("4 messages")
    no_sideways_scroll(page)

    page.locator(".chat-turn").first.get_by_test_id("chat-quiz-link").click()
    expect(page.get_by_label("Ask about")).to_have_value(re.compile(r"^doc:[0-9a-f-]{36}$"))
    selected = page.get_by_label("Ask about").locator("option:checked")
    expect(selected).to_have_text(f"science.pdf ({folder}science.pdf)")

    page.goto(chat_url)  # delete it: the confirmation says what goes
    asked: list[str] = []

    def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Delete chat").click()
    expect(page.get_by_test_id("chat-deleted")).to_be_visible()
    assert asked == [f"Delete “{VOLCANO}” and its 4 messages? Your documents stay. "
                     "This cannot be undone."]  # fmt: skip
    expect(page).to_have_url(server.base_url + "/tutor?deleted=1")
    assert page.request.get(chat_url).status == 404


def test_ask_without_javascript(browser: Browser, server: Server, api: httpx.Client) -> None:
    folder = f"chat-nojs-{uuid.uuid4().hex[:6]}/"
    sent = api.post("/upload", files={"file": ("science.pdf", samples.text_pdf())},
                    data={"path": folder + "science.pdf"})  # fmt: skip
    doc_id = sent.raise_for_status().json()["document_id"]
    wait_json(api, f"/document/{doc_id}", lambda b: b["status"] != "processing")
    context = browser.new_context(base_url=server.base_url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, server, "/tutor")
        _start_on_folder(page, folder)
        _ask(page, VOLCANO)
        expect(page).to_have_url(re.compile(r"/tutor/[0-9a-f-]{36}#m-[0-9a-f-]{36}$"))
        answer = page.locator(":target").get_by_test_id("chat-answer")
        expect(answer).to_have_attribute("data-grounded", "true")
        expect(answer.locator(".chat-marker").first).to_have_text("[1]")
        expect(page.locator("[data-chat-side]")).to_have_attribute("open", "")  # no script
        no_sideways_scroll(page)
        chip = answer.get_by_test_id("citation-chip").first
        expect(chip).to_have_attribute("href", f"/library/{doc_id}#page-{VOLCANO_PAGE}")
        chip.click()
        expect(page.locator(f"#page-{VOLCANO_PAGE}")).to_contain_text("magma")
    finally:
        context.close()
        api.delete(f"/document/{doc_id}")


def test_errors_of_the_api_are_said_on_the_page(page: Page, server: Server) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "/tutor")
    error = page.locator("[data-chat-error]")
    page.get_by_label("Chosen documents").check()
    _ask(page, VOLCANO)
    expect(error).to_have_text("Check at least one document, or choose “All my documents”.")
    expect(page.locator(".chat-turn")).to_have_count(0)

    busy = {"error": "The same request_id is being answered", "code": "REQUEST_IN_PROGRESS"}

    def conflict(route: Route) -> None:
        route.fulfill(status=409, content_type="application/json", body=json.dumps(busy))

    page.route("**/chat/stream", conflict)
    page.get_by_label("All my documents").check()
    _ask(page, VOLCANO)
    expect(error).to_have_text(
        "This question is already being answered. Wait a moment, then reload the page."
    )
    expect(page.locator(".chat-turn")).to_have_count(0)  # the question is not left as asked
    expect(page.get_by_label("Your question")).to_have_value(VOLCANO)  # ...but kept to resend
    expect(page).to_have_url(server.base_url + "/tutor")
    no_sideways_scroll(page)
