"""The library's upload box in a real browser: several files, drag-and-drop, per-file rows.

Each file gets a row that goes from its upload progress to "Processing…" and on to "Ready"
(with a link) or to its own error, while the documents list below refreshes itself.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.documents import samples
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PROCESS_TIMEOUT = 120_000  # ms: the first document also loads the embedding model
WIDTHS = [390, 1366]
DOC_LINK = re.compile(r"/library/[0-9a-f-]{36}$")
MAX_IN_FLIGHT = 3
LIMIT = 50 * 1024 * 1024  # the server's default upload limit
# Counts the page's concurrent uploads (an init script is injected past the page's CSP).
COUNT_UPLOADS = """
(() => {
  window.__uploads = { now: 0, max: 0, total: 0 };
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__upload = method === "POST" && String(url).endsWith("/upload");
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.__upload) {
      const u = window.__uploads;
      u.now += 1; u.total += 1; u.max = Math.max(u.max, u.now);
      // DONE comes before the page's own "loadend" handler, which may start the next file.
      this.addEventListener("readystatechange", () => { if (this.readyState === 4) u.now -= 1; });
    }
    return send.apply(this, arguments);
  };
})();
"""
# The contrast ratio of an element's text against the first opaque background behind it.
CONTRAST = """
(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = el, bg = null;
  while (node && !bg) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || c[3] === 1) bg = c;
    node = node.parentElement;
  }
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg || [255, 255, 255]);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""
# Builds a DataTransfer holding text files, as a drag from the desktop would.
DATA_TRANSFER = """
(files) => {
  const dt = new DataTransfer();
  for (const [name, text] of files) dt.items.add(new File([text], name, { type: "text/plain" }));
  return dt;
}
"""


@pytest.fixture
def library(page: Page, server: Server, api: httpx.Client) -> Iterator[Page]:
    """The signed-in library page; `api` deletes the module's documents afterwards."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.add_init_script(COUNT_UPLOADS)
    sign_in(page, server, "/library")
    expect(page).to_have_url(server.base_url + "/library")
    yield page
    csp = [text for text in refused if "Content Security Policy" in text]
    assert not csp, f"the page broke its CSP: {csp}"


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _good_files(tmp_path: Path, tag: str) -> list[Path]:
    """A text file with a long unbroken name, a Markdown file and the six-page sample PDF."""
    text = tmp_path / f"lab-notes-{tag}-with-a-rather-long-name-that-has-no-spaces-at-all.txt"
    text.write_text("Chlorophyll absorbs sunlight.\n\nThe Calvin cycle fixes carbon.\n")
    markdown = tmp_path / f"optics-{tag}.md"
    markdown.write_bytes(samples.MARKDOWN)
    pdf = tmp_path / f"science-{tag}.pdf"
    pdf.write_bytes(samples.text_pdf())
    return [text, markdown, pdf]


def _row(page: Page, name: str) -> Locator:
    return page.locator("#upload-list .upload-item", has_text=name)


def _expect_ready(page: Page, name: str) -> None:
    row = _row(page, name)
    expect(row.locator(".upload-item-status")).to_contain_text("Ready", timeout=PROCESS_TIMEOUT)
    expect(row.get_by_role("link", name=re.compile("Open"))).to_have_attribute("href", DOC_LINK)


def _sparse(path: Path, size: int) -> Path:
    """A file of `size` zero bytes that takes no room on disk."""
    with path.open("wb") as out:
        out.truncate(size)
    return path


def _list_row(page: Page, name: str) -> Locator:
    return page.locator("#documents tbody tr", has_text=name)


@pytest.mark.parametrize("width", WIDTHS)
def test_three_files_at_once_each_reach_ready(library: Page, tmp_path: Path, width: int) -> None:
    """Three files through the file input: a row each, upload progress, then Ready and a link."""
    page = library
    page.set_viewport_size({"width": width, "height": 900})
    files = _good_files(tmp_path, _tag())
    picker = page.get_by_label("Files")
    expect(picker).to_have_attribute("multiple", "")
    picker.set_input_files(files)
    page.get_by_label("Write notes").uncheck()
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#upload-list .upload-item")).to_have_count(3)
    for path in files:
        row = _row(page, path.name)
        expect(row.locator(".upload-name")).to_have_text(path.name)
        expect(row.locator(".upload-size")).to_have_text(re.compile(r"^\d+(\.\d)? (bytes?|KB|MB)$"))
    for path in files:
        _expect_ready(page, path.name)
        expect(_row(page, path.name).locator("progress")).to_be_hidden()
        expect(_list_row(page, path.name).locator(".badge")).to_have_text("completed")
    expect(page.get_by_role("status")).to_have_text("3 files done: 3 ready.")
    no_sideways_scroll(page)
    assert page.evaluate("window.__uploads.max") <= MAX_IN_FLIGHT

    for selector in (".upload-name", ".upload-size", ".upload-item-status", ".drop-hint"):
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}"

    _row(page, files[1].name).get_by_role("link", name=re.compile("Open")).click()
    expect(page.get_by_role("heading", name=files[1].name, level=1)).to_be_visible()


def test_a_bad_file_fails_alone(library: Page, tmp_path: Path) -> None:
    """Unsupported, empty and unreadable files show their own errors; the good one completes."""
    page = library
    page.set_viewport_size({"width": 390, "height": 900})
    tag = _tag()
    good = tmp_path / f"good-{tag}.txt"
    good.write_text("Volcanoes erupt when magma reaches the surface.")
    program = tmp_path / f"setup-{tag}.exe"
    program.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
    empty = tmp_path / f"empty-{tag}.txt"
    empty.write_bytes(b"")
    broken = tmp_path / f"broken-{tag}.docx"
    broken.write_bytes(b"PK\x03\x04 this is not really a Word document")
    big = _sparse(tmp_path / f"scan-{tag}.pdf", LIMIT + 1)

    page.get_by_label("Files").set_input_files([program, good, empty, broken, big])
    page.get_by_role("button", name="Upload").click()

    _expect_ready(page, good.name)
    program_row = _row(page, program.name)
    expect(program_row).to_have_attribute("data-state", "failed")
    expect(program_row.locator(".upload-item-status")).to_contain_text("can't be read")
    expect(program_row.locator(".upload-item-status")).to_contain_text("PDF")
    expect(_row(page, empty.name).locator(".upload-item-status")).to_contain_text("empty")
    too_big = _row(page, big.name).locator(".upload-item-status")
    expect(too_big).to_contain_text("larger than the 50 MB limit")
    expect(too_big).to_contain_text("Split or compress it")
    broken_status = _row(page, broken.name).locator(".upload-item-status")
    expect(broken_status).to_contain_text("Could not process", timeout=PROCESS_TIMEOUT)
    expect(broken_status).to_contain_text("corrupt")
    expect(broken_status).to_contain_text("upload it again")
    expect(broken_status).to_have_attribute("aria-live", "polite")
    for name in (program.name, empty.name, big.name):
        expect(_row(page, name).get_by_role("link")).to_have_count(0)
    expect(_list_row(page, good.name).locator(".badge")).to_have_text("completed")
    expect(_list_row(page, broken.name).locator(".badge")).to_have_text("failed")
    expect(_list_row(page, program.name)).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(
        "5 files done: 1 ready, 4 failed. Each file's row says what went wrong and what to do."
    )
    no_sideways_scroll(page)


def test_the_server_refuses_a_file_too_large(library: Page, tmp_path: Path) -> None:
    """Past the page's own size check, the API's 413 fails that file only."""
    page = library
    tag = _tag()
    big = _sparse(tmp_path / f"huge-{tag}.txt", LIMIT + 1)
    small = tmp_path / f"small-{tag}.txt"
    small.write_text("Rivers carry sediment to the sea.")
    page.locator("#upload-form").evaluate("form => { form.dataset.maxBytes = String(2 ** 30); }")
    page.get_by_label("Write notes").uncheck()
    page.get_by_label("Files").set_input_files([big, small])
    page.get_by_role("button", name="Upload").click()

    _expect_ready(page, small.name)
    status = _row(page, big.name).locator(".upload-item-status")
    expect(status).to_contain_text("This file is larger than the", timeout=30_000)
    expect(_row(page, big.name)).to_have_attribute("data-state", "failed")
    assert page.evaluate("window.__uploads.total") == 2


def test_a_copy_is_skipped_when_asked(library: Page, tmp_path: Path) -> None:
    """ "Skip if I already have it": the copy's row links to the one already there."""
    page = library
    original = tmp_path / f"original-{_tag()}.txt"
    original.write_text(f"Glaciers carve valleys. {uuid.uuid4()}")
    copy = tmp_path / f"copy-{_tag()}.txt"
    copy.write_bytes(original.read_bytes())
    page.get_by_label("Write notes").uncheck()
    page.get_by_label("Files").set_input_files(original)
    page.get_by_role("button", name="Upload").click()
    _expect_ready(page, original.name)
    first = _row(page, original.name).get_by_role("link").get_attribute("href")

    page.get_by_label("Skip if I already have it").check()
    page.get_by_label("Files").set_input_files(copy)
    page.get_by_role("button", name="Upload").click()
    row = _row(page, copy.name)
    expect(row).to_have_attribute("data-state", "skipped")
    expect(row.locator(".upload-item-status")).to_contain_text(
        f"Already in your library as {original.name}"
    )
    expect(row.get_by_role("link", name=f"Open {copy.name}")).to_have_attribute("href", first or "")
    expect(_list_row(page, copy.name)).to_have_count(0)

    page.get_by_role("button", name="Clear finished").click()
    expect(page.locator("#upload-list .upload-item")).to_have_count(0)
    expect(page.locator("#upload-list")).to_be_hidden()
    expect(page.get_by_label("Files")).to_be_focused()


def test_at_most_three_upload_at_once(library: Page, tmp_path: Path) -> None:
    """Five files on a slow connection: three are sent at once, the others wait their turn."""
    page = library
    cdp = page.context.new_cdp_session(page)
    slow = {"offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", slow)
    tag = _tag()
    files = []
    for number in range(5):
        path = tmp_path / f"chapter-{number}-{tag}.txt"
        path.write_text(f"Chapter {number}: the water cycle, part {number}.")
        files.append(path)
    page.get_by_label("Write notes").uncheck()
    page.get_by_label("Files").set_input_files(files)
    page.get_by_role("button", name="Upload").click()

    expect(_row(page, files[4].name)).to_have_attribute("data-state", "queued")
    expect(_row(page, files[4].name).locator(".upload-item-status")).to_have_text("Waiting…")
    for path in files:
        _expect_ready(page, path.name)
    assert page.evaluate("window.__uploads") == {"now": 0, "max": MAX_IN_FLIGHT, "total": 5}


@pytest.mark.parametrize("width", WIDTHS)
def test_drop_files_onto_the_box(library: Page, width: int) -> None:
    """Dragging files over the box highlights it; dropping them uploads each one."""
    page = library
    page.set_viewport_size({"width": width, "height": 900})
    tag = _tag()
    names = [f"dropped-{tag}-a.txt", f"dropped-{tag}-b.md"]
    zone = page.locator("#upload-drop")
    transfer = page.evaluate_handle(
        DATA_TRANSFER, [[names[0], "Tectonic plates move."], [names[1], "# Rivers\n\nErode."]]
    )
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bis-dragover\b"))
    zone.dispatch_event("dragleave", {"dataTransfer": transfer})
    expect(zone).not_to_have_class(re.compile(r"\bis-dragover\b"))
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(zone).not_to_have_class(re.compile(r"\bis-dragover\b"))

    expect(page.locator("#upload-list .upload-item")).to_have_count(2)
    for name in names:
        _expect_ready(page, name)
        expect(_list_row(page, name).locator(".badge")).to_have_text("completed")
    no_sideways_scroll(page)


def test_the_drop_zone_is_a_keyboard_file_input(library: Page) -> None:
    """The drop zone is only an addition: the labelled file input still takes the focus."""
    page = library
    picker = page.get_by_label("Files")
    expect(picker).to_have_attribute("type", "file")
    expect(picker).to_have_attribute("aria-describedby", "upload-drop-hint")
    page.get_by_label("Folder path").focus()
    page.keyboard.press("Shift+Tab")
    expect(picker).to_be_focused()
    zone = page.locator("#upload-drop")
    focused = zone.evaluate("el => getComputedStyle(el).outlineStyle")
    assert focused != "none", "the drop zone shows no focus ring"
    expect(page.locator("#upload-list")).to_have_attribute("aria-label", "Uploads")
