"""Axe-style basics on every page, at phone and desktop width, in light and dark mode: one main
landmark and one h1, headings that do not skip levels, a name for every control, link, button
and image, text contrast of at least 4.5:1 (3:1 for large text), no positive tabindex, a
visible focus ring on every element Tab reaches, and no sideways scroll."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server, no_sideways_scroll, science_course, sign_in, wait_json
from tests.e2e.test_repo_wizard import SAMPLE, served_repos, wizard_courses
from tests.e2e.test_speech_page import lecture_wav

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
FOLDER = "a11y-e2e/"
TABS = 25  # Tab presses checked per page

JS = Path(__file__).parent / "js"
AUDIT = (JS / "audit.js").read_text()
FOCUS_RING = (JS / "focus_ring.js").read_text()


@pytest.fixture(scope="module")
def material(
    api: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A processed document, a READY course, a quiz taken once, a chat with an answer and
    a refusal, a transcribed recording, and repository courses at each step of their wizard,
    so every page has real content."""
    with (
        served_repos(tmp_path_factory.mktemp("a11y-repos"), SAMPLE) as repos,
        science_course(api, FOLDER) as (doc_id, course),
    ):
        wizard = wizard_courses(api, repos + "docs")
        body = {"document_id": doc_id, "num_questions": 4, "quiz_type": "mixed"}
        quiz = api.post("/quiz/generate", json=body).raise_for_status().json()
        answers = {q["question_id"]: 0 for q in quiz["questions"] if q["options"]}
        sent = api.post("/quiz/submit", json={"quiz_id": quiz["quiz_id"], "answers": answers})
        submission = sent.raise_for_status().json()["submission_id"]
        asked = {"message": "What makes magma rise up and erupt?", "source_filter": FOLDER}
        chat = api.post("/chat", json=asked).raise_for_status().json()["session_id"]
        refusal = {"message": "What is the capital of Australia?", "session_id": chat}
        api.post("/chat", json=refusal).raise_for_status()
        files = {"file": ("lecture.wav", lecture_wav(), "audio/wav")}
        speech = api.post("/transcribe", files=files).raise_for_status().json()["job_id"]
        wait_json(api, f"/transcription/{speech}", lambda b: b["status"] != "processing")
        project = {"project_id": f"a11y-{uuid.uuid4().hex[:8]}", "chat_id": "web",
                   "title": "Souq budget", "topic": "Shopping on a budget with discounts",
                   "life_skill": "teamwork", "group_size": 3, "duration_min": 45}  # fmt: skip
        api.post("/start", json=project).raise_for_status()
        wait_json(api, f"/status/{project['project_id']}", lambda b: b["status"] == "complete")
        try:
            yield {"doc": doc_id, "course": course["id"], "quiz": quiz["quiz_id"],
                   "submission": submission, "chat": chat, "speech": speech,
                   "project": project["project_id"],
                   **{f"wizard_{view}": path for view, path in wizard.items()}}  # fmt: skip
        finally:
            api.delete(f"/projects/{project['project_id']}")
            api.delete(f"/quiz/{quiz['quiz_id']}")
            api.delete(f"/chat/sessions/{chat}")
            api.delete(f"/transcription/{speech}")


def pages(material: dict[str, str]) -> list[str]:
    course = f"/studio/{material['course']}"
    quiz = f"/practice/{material['quiz']}"
    return [
        "/", "/library", "/library?q=volcano", f"/library/{material['doc']}", "/studio",
        course, f"{course}/lessons/1", f"{course}/lessons", f"{course}/lessons/1/edit",
        f"{course}/lessons/1/regenerate", f"{course}/lessons/1/history", "/jobs",
        "/practice", quiz, f"{quiz}/take", f"{quiz}/results/{material['submission']}",
        "/practice/history", "/tutor", f"/tutor/{material['chat']}", "/nonexistent-page",
        "/speech", f"/speech/{material['speech']}",
        "/projects", f"/projects/{material['project']}/teacher",
        f"/projects/{material['project']}/seats/2",
        "/courses/from-repository", *(v for k, v in material.items() if k.startswith("wizard_")),
    ]  # fmt: skip


def audit(page: Page, path: str) -> list[str]:
    found = [f"{path}: {p}" for p in page.evaluate(AUDIT)]
    page.locator("body").focus()
    for _ in range(TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_RING)
        if focused is None:
            break
        if not (focused["ring"] and focused["visible"]):
            found.append(f"{path}: no visible focus ring on {focused}")
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_every_page_meets_the_basics(
    page: Page, server: Server, material: dict[str, str], width: str, scheme: str
) -> None:
    page.set_viewport_size(VIEWPORTS[width])
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto("/login")
    problems = audit(page, "/login")
    sign_in(page, server, "/")
    for path in pages(material):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        time.sleep(0.1)  # htmx swaps after load
        no_sideways_scroll(page)
        problems += audit(page, path)
    assert not problems, "\n".join(problems)


def test_the_audit_finds_what_it_looks_for(page: Page) -> None:
    """The audit is not vacuous: a page with each problem gets each one reported."""
    page.set_content(
        """<html><head><title>bad</title></head><body>
        <main><h1>One</h1><h1>Two</h1><h4>Skipped</h4>
        <input id="nolabel"><a href="/x"><svg width="16" height="16"></svg></a><img src="data:,">
        <p style="color:#bbb;background:#fff">faint text</p>
        <button tabindex="3">Jump</button></main></body></html>"""
    )
    found = "\n".join(page.evaluate(AUDIT))
    for expected in (
        "html without lang", "2 visible h1", "heading skips from h1 to h4",
        "control without a label: input#nolabel", "link or button without a name: a",
        "image without alt", "positive tabindex", "contrast 1.",
    ):  # fmt: skip
        assert expected in found, (expected, found)
