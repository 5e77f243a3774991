"""Documents pages in a real browser: upload with progress, live status, search, open, delete."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.documents import samples
from tests.e2e.conftest import Server, accept_dialog, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

PROCESS_TIMEOUT = 120_000  # ms: the first document also loads the embedding model
QUESTION = "How do plants turn sunlight into food?"
PASSAGE = "Chlorophyll in the chloroplasts absorbs sunlight"
PHOTOSYNTHESIS_PAGE = samples.PAGE_OF["Photosynthesis"]
OTHER_USER = "bob"
OTHER_PASSWORD = "bob-staple-battery-horse"
HTTP_TIMEOUT = 30.0


def test_upload_search_open_and_delete(page: Page, server: Server, tmp_path: Path) -> None:
    """Upload a PDF and see it complete, find a page by a paraphrase, open it there, delete it."""
    pdf = tmp_path / "science-notes.pdf"
    pdf.write_bytes(samples.text_pdf())
    sign_in(page, server, "/library")
    expect(page).to_have_url(server.base_url + "/library")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Documents")).to_have_attribute("aria-current", "page")

    page.get_by_label("Files").set_input_files(pdf)
    page.get_by_label("Folder path").fill("course/science-notes.pdf")
    page.get_by_role("button", name="Upload").click()
    # The upload box follows the file to the end (it used to stop at "Uploaded … Processing…").
    upload = page.locator("#upload-list .upload-item", has_text="science-notes.pdf")
    expect(upload.locator(".upload-item-status")).to_contain_text("Ready", timeout=PROCESS_TIMEOUT)
    opened = upload.get_by_role("link", name="Open science-notes.pdf")
    expect(opened).to_have_attribute("href", re.compile(r"^/library/[0-9a-f-]{36}$"))
    expect(page.get_by_role("status")).to_have_text("science-notes.pdf is ready.")

    row = page.locator("#documents tbody tr", has_text="science-notes.pdf")
    expect(row).to_contain_text("course/science-notes.pdf")
    expect(row.locator(".badge")).to_have_text("completed", timeout=PROCESS_TIMEOUT)
    expect(row.locator("td[data-label=Pages]")).to_have_text(str(len(samples.TOPICS)))

    page.get_by_label("Question or keywords").fill(QUESTION)
    page.get_by_role("button", name="Search").click()
    hit = page.locator("#search-results .result", has_text=PASSAGE)
    expect(hit).to_contain_text("course/science-notes.pdf")
    link = hit.get_by_role("link", name=f"science-notes.pdf · page {PHOTOSYNTHESIS_PAGE}")
    link.click()

    anchor = f"page-{PHOTOSYNTHESIS_PAGE}"
    expect(page).to_have_url(re.compile(rf"/library/[0-9a-f-]{{36}}#{anchor}$"))
    expect(page.get_by_role("heading", name="science-notes.pdf", level=1)).to_be_visible()
    section = page.locator(f"#{anchor}")
    expect(section).to_contain_text("Calvin cycle")
    expect(section).to_be_in_viewport()
    expect(page.locator(".notes li").first).to_contain_text("p. ")
    expect(page.locator(".terms li").first).to_be_visible()

    page.once("dialog", accept_dialog)
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(server.base_url + "/library")
    expect(page.locator("#documents")).not_to_contain_text("science-notes.pdf")


@pytest.fixture
def alice_document(server: Server) -> Iterator[tuple[str, dict[str, str]]]:
    """A small document of the test user, uploaded over the API and deleted afterwards."""
    with httpx.Client(base_url=server.base_url, timeout=HTTP_TIMEOUT) as client:
        form = {"username": server.username, "password": server.password}
        token = client.post("/auth/token", data=form).raise_for_status().json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        files = {"file": ("alice-secret.txt", b"Alice's secret lab notes.", "text/plain")}
        sent = client.post("/upload", headers=headers, files=files, data={"generate_notes": "0"})
        assert sent.status_code == 202, sent.text
        doc_id = sent.json()["document_id"]
        try:
            yield doc_id, headers
        finally:
            client.delete(f"/document/{doc_id}", headers=headers)


@contextmanager
def _signed_in_client(server: Server, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=HTTP_TIMEOUT) as client:
        form = {"username": username, "password": password, "next": "/library"}
        assert client.post("/login", data=form).status_code == 303
        yield client


def test_pages_answer_404_for_another_users_document(
    server: Server, alice_document: tuple[str, dict[str, str]]
) -> None:
    """Bob cannot see, poll or delete Alice's document; cross-site deletes are refused."""
    doc_id, alice_headers = alice_document
    if OTHER_USER not in server.cli("users", "list"):
        server.cli("users", "create", OTHER_USER, "--password", OTHER_PASSWORD)
    origin = {"Origin": server.base_url}
    with _signed_in_client(server, OTHER_USER, OTHER_PASSWORD) as bob:
        for path in (f"/library/{doc_id}", f"/library/{uuid.uuid4()}", "/library/not-an-id"):
            response = bob.get(path)
            assert response.status_code == 404, path
            assert "alice-secret" not in response.text
        assert "alice-secret" not in bob.get(f"/ui/library/{doc_id}/status").text
        assert "alice-secret" not in bob.get("/library").text
        assert bob.post(f"/library/{doc_id}/delete", headers=origin).status_code == 404

    with _signed_in_client(server, server.username, server.password) as alice:
        assert "alice-secret.txt" in alice.get(f"/library/{doc_id}").text
        evil = {"Origin": "https://evil.example"}
        assert alice.post(f"/library/{doc_id}/delete", headers=evil).status_code == 403
    still = httpx.get(
        f"{server.base_url}/document/{doc_id}", headers=alice_headers, timeout=HTTP_TIMEOUT
    )
    assert still.status_code == 200


def test_library_needs_sign_in(server: Server) -> None:
    """The pages redirect to the sign-in form; the polled fragments ask htmx to go there."""
    page = httpx.get(f"{server.base_url}/library", timeout=HTTP_TIMEOUT)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/library"
    fragment = httpx.get(
        f"{server.base_url}/ui/library", headers={"HX-Request": "true"}, timeout=HTTP_TIMEOUT
    )
    assert fragment.status_code == 401
    assert fragment.headers["HX-Redirect"].startswith("/login?next=")
