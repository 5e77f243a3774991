"""The Speech pages in a real browser: upload a recording and follow it to its transcript,
read along while it plays (the spoken line is marked, a click seeks), add it to the library,
synthesise with a chosen voice (then from the cache), and nobody else's recording shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, no_sideways_scroll, sign_in, wait_json
from tests.speech.audio import encode, silence, speak

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TRANSCRIBE_TIMEOUT = 120_000  # ms: the first transcription also loads the speech model
LINES = ("Cells are the building blocks of life.", "Plants make sugar from sunlight.")
OTHER_USER = "erin"
OTHER_PASSWORD = "erin-staple-battery-horse"


def lecture_wav() -> bytes:
    """Two sentences a long pause apart, so the transcript has at least two timed lines."""
    parts = [silence(0.5), speak(LINES[0]), silence(2.0), speak(LINES[1]), silence(0.5)]
    return encode(np.concatenate(parts), "wav")


@pytest.fixture(scope="module")
def recording(api: httpx.Client) -> Iterator[dict[str, Any]]:
    """A transcribed recording of the test user, sent over the API and deleted afterwards."""
    files = {"file": ("seminar.wav", lecture_wav(), "audio/wav")}
    sent = api.post("/transcribe", files=files).raise_for_status().json()
    done = wait_json(api, f"/transcription/{sent['job_id']}", lambda b: b["status"] != "processing")
    assert done["status"] == "completed", done
    try:
        yield done
    finally:
        api.delete(f"/transcription/{sent['job_id']}")


def current_lines(page: Page) -> list[str]:
    return page.locator(".segment[aria-current=true] .segment-text").all_inner_texts()


def test_upload_follow_read_along_and_add_to_library(
    page: Page, server: Server, tmp_path: Path
) -> None:
    wav = tmp_path / "lecture.wav"
    wav.write_bytes(lecture_wav())
    sign_in(page, server, "/speech")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Speech")).to_have_attribute("aria-current", "page")
    page.get_by_label("Recording", exact=True).set_input_files(wav)
    page.get_by_role("button", name="Transcribe").click()
    expect(page.locator("#transcribe-status")).to_contain_text("lecture.wav is uploaded")
    row = page.locator("#transcriptions tbody tr", has_text="lecture.wav")
    expect(row.locator(".badge")).to_have_text("completed", timeout=TRANSCRIBE_TIMEOUT)

    page.locator("#transcribe-status").get_by_role("link", name="Open lecture.wav").click()
    expect(page.get_by_role("heading", name="lecture.wav", level=1)).to_be_visible()
    segments = page.locator(".segment")
    expect(segments.first).to_contain_text("building blocks")
    assert segments.count() >= 2, segments.all_inner_texts()
    # The recording plays from the owner's download route: the player learns its length.
    page.wait_for_function("document.getElementById('rec-audio').duration > 3")
    assert current_lines(page) == []

    second = float(segments.nth(1).get_attribute("data-start") or "nan")
    page.evaluate(f"document.getElementById('rec-audio').currentTime = {second + 0.2}")
    expect(segments.nth(1)).to_have_attribute("aria-current", "true")
    expect(segments.nth(1)).to_have_class(re.compile(r"\bis-current\b"))
    assert len(current_lines(page)) == 1 and "sugar" in current_lines(page)[0]

    page.evaluate("document.getElementById('rec-audio').muted = true")
    segments.first.click()  # seeks back to the first line
    expect(segments.first).to_have_attribute("aria-current", "true")
    start = float(segments.first.get_attribute("data-start") or "nan")
    at = page.evaluate("document.getElementById('rec-audio').currentTime")
    assert start <= at < second, (start, at, second)
    expect(segments.nth(1)).not_to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Add to library").click()
    opened = page.locator("#library-status").get_by_role("link", name="open the transcript")
    expect(opened).to_have_attribute("href", re.compile(r"^/library/[0-9a-f-]{36}$"))
    opened.click()
    expect(page.get_by_role("heading", name="lecture.md", level=1)).to_be_visible()


def test_synthesise_with_a_chosen_voice_then_from_the_cache(page: Page, server: Server) -> None:
    sign_in(page, server, "/speech")
    voice = page.get_by_label("Voice")
    expect(voice.locator("option", has_text="Amy — female, en-GB")).to_have_count(1)
    voice.select_option("Amy")
    page.get_by_label("Format").select_option("wav")
    page.get_by_label("Text", exact=True).fill("Osmosis moves water across a membrane.")
    page.get_by_role("button", name="Read aloud").click()
    note = page.get_by_test_id("synth-cached")
    expect(note).to_contain_text("Newly made", timeout=60_000)
    page.wait_for_function("document.getElementById('synth-audio').duration > 1")
    kind = page.evaluate(
        "fetch(document.getElementById('synth-audio').src)"
        ".then(r => r.ok ? r.headers.get('content-type') : 'HTTP ' + r.status)"
    )
    assert kind == "audio/wav"
    first_src = page.locator("#synth-audio").get_attribute("src")
    page.get_by_role("button", name="Read aloud").click()
    expect(note).to_contain_text("Cached")
    expect(note).to_have_attribute("data-cached", "true")
    again = page.locator("#synth-audio").get_attribute("src") or ""
    assert again.split("?")[0] == (first_src or "").split("?")[0]  # the same audio


def test_a_refused_synthesis_says_why(page: Page, server: Server) -> None:
    sign_in(page, server, "/speech")
    expect(page.get_by_label("Voice").locator("option").first).not_to_have_text("Loading voices…")
    page.get_by_label("Text", exact=True).fill(
        "<speak> </speak>"
    )  # nothing left once markup is removed
    page.get_by_role("button", name="Read aloud").click()
    status = page.locator("#synth-status")
    expect(status).to_have_attribute("role", "alert")
    expect(status).to_contain_text("Reading aloud did not work: the text is empty")
    expect(page.locator("#synth-result")).to_be_hidden()


@pytest.mark.parametrize("width", [360, 1366])
def test_pages_fit_and_another_users_recording_is_not_found(
    page: Page, server: Server, recording: dict[str, Any], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, server, "/speech")
    expect(page.locator("#transcriptions")).to_contain_text("seminar.wav")
    no_sideways_scroll(page)
    page.goto(f"/speech/{recording['job_id']}")
    expect(page.locator(".segment").first).to_be_visible()
    no_sideways_scroll(page)

    if OTHER_USER not in server.cli("users", "list"):
        server.cli("users", "create", OTHER_USER, "--password", OTHER_PASSWORD)
    page.context.clear_cookies()
    page.goto(f"/login?next=/speech/{recording['job_id']}")
    page.get_by_label("Username").fill(OTHER_USER)
    page.get_by_label("Password").fill(OTHER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).not_to_contain_text("seminar.wav")
    audio = page.request.get(f"/transcription/{recording['job_id']}/audio")
    assert audio.status == 404
    page.goto("/speech")
    expect(page.locator("#transcriptions")).not_to_contain_text("seminar.wav")
