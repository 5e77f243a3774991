"""Listen in a real browser: a lesson read aloud on demand and played, the same audio from the
cache after a reload; the study notes of a document too; a failure is shown in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Server, science_course, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

FOLDER = "listen-e2e/"
SYNTH_TIMEOUT = 180_000  # ms: a whole lesson is synthesised the first time


@pytest.fixture(scope="module")
def course(api: httpx.Client) -> Iterator[tuple[str, dict[str, Any]]]:
    with science_course(api, FOLDER) as made:
        yield made


def listened(page: Page, name: str, timeout: float = SYNTH_TIMEOUT) -> str:
    """Click the Listen button `name`; wait for a playable audio; return the cached note."""
    box = page.locator(".listen")
    page.get_by_role("button", name=name).click()
    audio = box.locator("audio")
    expect(audio).to_be_visible(timeout=timeout)
    page.wait_for_function("document.querySelector('.listen audio').duration > 1")
    kind = page.evaluate(
        "fetch(document.querySelector('.listen audio').src)"
        ".then(r => r.ok ? r.headers.get('content-type') : 'HTTP ' + r.status)"
    )
    assert kind == "audio/mpeg"
    return box.locator(".listen-note").inner_text()


def test_listen_to_a_lesson_then_from_the_cache(
    page: Page, server: Server, course: tuple[str, dict[str, Any]]
) -> None:
    _, made = course
    path = f"/studio/{made['id']}/lessons/1"
    sign_in(page, server, path)
    first = listened(page, "Listen to this lesson")
    assert first.startswith("Newly made"), first
    src = page.locator(".listen audio").get_attribute("src") or ""
    page.reload()
    expect(page.locator(".listen .speech-player")).to_be_hidden()
    again = listened(page, "Listen to this lesson", timeout=15_000)
    assert again.startswith("Cached"), again
    same = page.locator(".listen audio").get_attribute("src") or ""
    assert same.split("?")[0] == src.split("?")[0]  # the same audio, not made again


def test_listen_to_study_notes(
    page: Page, server: Server, course: tuple[str, dict[str, Any]]
) -> None:
    doc_id, _ = course
    sign_in(page, server, f"/library/{doc_id}")
    note = listened(page, "Listen to the study guide")
    assert "Cached" in note or "Newly made" in note


def test_a_failed_synthesis_is_shown_in_words(
    page: Page, server: Server, course: tuple[str, dict[str, Any]]
) -> None:
    _, made = course

    def unavailable(route: Route) -> None:
        body = '{"error": {"code": "TTS_UNAVAILABLE", "message": "text-to-speech is down"}}'
        route.fulfill(status=503, content_type="application/json", body=body)

    page.route("**/lessons/2/audio", unavailable)
    sign_in(page, server, f"/studio/{made['id']}/lessons/2")
    page.get_by_role("button", name="Listen to this lesson").click()
    status = page.locator(".listen-status")
    expect(status).to_have_attribute("role", "alert")
    expect(status).to_have_text("Reading aloud did not work: text-to-speech is down.")
    expect(page.locator(".listen .speech-player")).to_be_hidden()
