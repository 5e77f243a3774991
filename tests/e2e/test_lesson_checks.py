"""A lesson's "Check your understanding" in a real browser, with and without JavaScript: pick an
answer, see right or wrong in words with the correct answer, its explanation and its source, and
a score; plus the checks page's answers to bad or foreign addresses."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from studyforge.courses.models import Lesson, LessonCheck
from studyforge.web.checks import NO_ANSWER, NOT_AN_OPTION, NOT_IN_LESSON, correct_option
from tests.e2e import test_courses_page as courses_page
from tests.e2e.conftest import Server, no_sideways_scroll, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

source_document = courses_page.source_document  # the six-topic PDF under `studio-e2e/`
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
BUILD_TIMEOUT = 120.0
HTTP_TIMEOUT = 30.0
OTHER_USER = "dave"
OTHER_PASSWORD = "dave-battery-staple-horse"
TOPIC = "Photosynthesis, volcanoes, the immune system and TCP"
OPEN_QUESTION = "In your own words: why do volcanoes erupt?"
OPEN_ANSWER = "Gas pressure in the magma chamber forces molten rock to the surface."
KEY = re.compile(r'id="check-([0-9a-f-]{36})"')


@pytest.fixture(scope="module")
def course(server: Server, api: httpx.Client, source_document: str) -> dict[str, Any]:
    """A READY two-lesson course from the sample PDF (as the API returns it) whose lesson 1
    asks a fill-in-the-blank, a true-or-false and an open question.

    The offline engine asks no open question of this PDF, so one is added to the stored lesson
    (the server reads its lessons from this database on every request).
    """
    body = {"topic": TOPIC, "num_lessons": 2, "source_filter": courses_page.FOLDER}
    course_id = api.post("/api/courses", json=body).raise_for_status().json()["course_id"]
    deadline = time.monotonic() + BUILD_TIMEOUT
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        found = api.get(f"/api/courses/{course_id}").raise_for_status().json()
        if found["status"] in ("READY", "FAILED"):
            break
        time.sleep(0.3)
    assert found.get("status") == "READY", found.get("error_message")
    engine = create_engine(f"sqlite:///{server.home / 'studyforge.db'}")
    try:
        with Session(engine) as session, session.begin():
            where = (Lesson.course_id == uuid.UUID(course_id), Lesson.lesson_number == 1)
            lesson = session.scalars(select(Lesson).where(*where)).one()
            check = LessonCheck(
                lesson_id=lesson.id, position=len(lesson.checks), kind="short_answer",
                question=OPEN_QUESTION, options=[], answer=OPEN_ANSWER, explanation="",
                source=lesson.sources[0],
            )  # fmt: skip
            session.add(check)
    finally:
        engine.dispose()
    found = api.get(f"/api/courses/{course_id}").raise_for_status().json()
    kinds = [check["kind"] for check in found["lessons"][0]["checks"]]
    assert kinds[0] == "multiple_choice" and kinds[-1] == "short_answer", kinds
    return found


def _lesson_url(course: dict[str, Any], number: int = 1) -> str:
    return f"/studio/{course['id']}/lessons/{number}"


def _checks(course: dict[str, Any]) -> list[tuple[dict[str, Any], int | None]]:
    """Lesson 1's checks with their right option (None: an open question)."""
    return [(c, correct_option(c["options"], c["answer"])) for c in course["lessons"][0]["checks"]]


def _first_choice(course: dict[str, Any]) -> tuple[int, dict[str, Any], int]:
    """The position, check and right option of lesson 1's first check with options."""
    for position, (check, right) in enumerate(_checks(course)):
        if right is not None and len(check["options"]) > 1:
            return position, check, right
    raise AssertionError("lesson 1 has no question with options")


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


CONTRAST_JS = """el => {
  const rgb = value => value.match(/[\\d.]+/g).map(Number);
  let bg = el;
  while (bg && rgb(getComputedStyle(bg).backgroundColor)[3] === 0) { bg = bg.parentElement; }
  const back = getComputedStyle(bg || document.body).backgroundColor;
  return [rgb(getComputedStyle(el).color), rgb(back)];
}"""


def _contrast(locator: Locator) -> float:
    fg, bg = locator.evaluate(CONTRAST_JS)
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _score(page: Page) -> Locator:
    score = page.get_by_test_id("quiz-score")
    expect(score).to_have_attribute("aria-live", "polite")
    return score


def _assert_feedback(item: Locator, verdict: str, check: dict[str, Any], right: int) -> Locator:
    feedback = item.get_by_test_id("quiz-feedback")
    expect(feedback).to_be_visible()
    expect(feedback).to_be_focused()
    expect(feedback.get_by_test_id("quiz-verdict")).to_have_text(verdict)
    expect(feedback.locator(".quiz-correct")).to_contain_text(check["options"][right])
    if check["explanation"]:
        expect(feedback.locator(".quiz-explanation")).to_have_text(check["explanation"].strip())
    link = feedback.locator(".quiz-source a")
    expect(link).to_have_attribute(
        "href", re.compile(r"^/library/[0-9a-f-]{36}#(page|passage)-\d+$")
    )
    assert _contrast(feedback.get_by_test_id("quiz-verdict")) >= 4.5
    assert _contrast(feedback.locator(".quiz-correct")) >= 4.5
    return feedback


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1366px"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_answer_in_place(
    page: Page, server: Server, course: dict[str, Any], viewport: dict[str, int], scheme: str
) -> None:
    """With JavaScript: a wrong answer, then the right one by keyboard, then every question;
    the page never reloads, the score follows and the address keeps the answers."""
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    sign_in(page, server, _lesson_url(course))
    checks = _checks(course)
    total = len(checks)
    score = _score(page)
    expect(score).to_contain_text("not answered yet")  # no "0 correct" before any answer
    no_sideways_scroll(page)
    page.evaluate("window.stillHere = true")  # gone if the page reloads

    position, check, right = _first_choice(course)
    wrong = next(i for i in range(len(check["options"])) if i != right)
    item = page.locator(".quiz-item").nth(position)
    group = item.get_by_role("group", name=check["question"])
    expect(group.get_by_role("radio")).to_have_count(len(check["options"]))
    group.get_by_role("radio").nth(wrong).check()
    item.get_by_role("button", name="Check").click()
    _assert_feedback(item, "Incorrect", check, right)
    expect(score).to_contain_text(f"0 of {total} correct")
    expect(score).to_contain_text(f"1 of {total} answered")
    expect(page).to_have_url(re.compile(r"/lessons/1/checks\?answer-[0-9a-f-]{36}=\d+"))
    no_sideways_scroll(page)

    radio = item.get_by_role("radio").nth(right)
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    page.keyboard.press("Enter")  # submits the question's form
    _assert_feedback(item, "Correct", check, right)
    expect(score).to_contain_text(f"1 of {total} correct")

    for other, (_, each_right) in enumerate(checks):
        if other == position:
            continue
        each_item = page.locator(".quiz-item").nth(other)
        if each_right is None:  # an open question: reveal the answer, mark it
            each_item.get_by_text("Show the answer").click()
            each_item.get_by_role("button", name="I got it").click()
            expect(each_item.get_by_test_id("quiz-verdict")).to_have_text("You got it")
        else:
            each_item.get_by_role("radio").nth(each_right).check()
            each_item.get_by_role("button", name=re.compile("^Check")).click()
            expect(each_item.get_by_test_id("quiz-verdict")).to_have_text("Correct")
    expect(score).to_have_text(f"Score: {total} of {total} correct")
    assert page.evaluate("window.stillHere") is True
    no_sideways_scroll(page)

    page.reload()  # the address holds the answers
    expect(_score(page)).to_have_text(f"Score: {total} of {total} correct")


def test_answer_without_javascript(
    browser: Browser, server: Server, course: dict[str, Any]
) -> None:
    """Without JavaScript each answer posts and lands on the checks page (Back posts nothing)."""
    context = browser.new_context(
        base_url=server.base_url, java_script_enabled=False, viewport=PHONE
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, _lesson_url(course))
        total = len(_checks(course))
        position, check, right = _first_choice(course)
        wrong = next(i for i in range(len(check["options"])) if i != right)
        item = page.locator(".quiz-item").nth(position)

        item.get_by_role("radio").nth(wrong).check()
        item.get_by_role("button", name="Check").click()
        expect(page).to_have_url(re.compile(r"/lessons/1/checks\?answer-.+&checked=.+#feedback-"))
        item = page.locator(".quiz-item").nth(position)
        _assert_feedback(item, "Incorrect", check, right)
        expect(item.get_by_role("radio").nth(wrong)).to_be_checked()
        expect(_score(page)).to_contain_text(f"0 of {total} correct")
        no_sideways_scroll(page)
        after_wrong = page.url

        item.get_by_role("radio").nth(right).check()
        item.get_by_role("button", name="Check again").click()
        item = page.locator(".quiz-item").nth(position)
        _assert_feedback(item, "Correct", check, right)
        expect(_score(page)).to_contain_text(f"1 of {total} correct")
        no_sideways_scroll(page)

        after_right = page.url

        open_item = page.locator(".quiz-item").last
        expect(open_item).to_contain_text(OPEN_QUESTION)
        expect(open_item.get_by_text(OPEN_ANSWER)).not_to_be_visible()
        open_item.get_by_text("Show the answer").click()  # <details>: no script needed
        expect(open_item.get_by_text(OPEN_ANSWER)).to_be_visible()
        open_item.get_by_role("button", name="I missed it").click()
        open_item = page.locator(".quiz-item").last
        expect(open_item.get_by_test_id("quiz-verdict")).to_have_text("You missed it")
        expect(open_item.get_by_test_id("quiz-feedback")).to_be_focused()
        expect(_score(page)).to_contain_text(f"1 of {total} correct · 2 of {total} answered")
        item = page.locator(".quiz-item").nth(position)  # its answer was carried along
        expect(item.get_by_test_id("quiz-verdict")).to_have_text("Correct")

        page.go_back()  # the earlier answers, from the address: nothing is posted again
        expect(page).to_have_url(after_right)
        page.go_back()
        expect(page).to_have_url(after_wrong)
        item = page.locator(".quiz-item").nth(position)
        expect(item.get_by_test_id("quiz-verdict")).to_have_text("Incorrect")
    finally:
        context.close()


@contextmanager
def _client(server: Server, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=HTTP_TIMEOUT) as client:
        form = {"username": username, "password": password, "next": "/studio"}
        assert client.post("/login", data=form).status_code == 303
        yield client


def _html(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_checks_page_answers_bad_and_foreign_addresses(
    server: Server, course: dict[str, Any]
) -> None:
    """A bad check id or option is a 400 page that says so; another user's course is a 404."""
    path = _lesson_url(course) + "/checks"
    position, check, right = _first_choice(course)
    with _client(server, server.username, server.password) as alice:
        keys = KEY.findall(alice.get(_lesson_url(course)).raise_for_status().text)
        assert len(keys) == len(_checks(course))
        key = keys[position]

        fine = alice.post(path, data={"check": key, "answer": str(right)})
        assert fine.status_code == 303
        location = fine.headers["location"]
        assert location == f"{path}?answer-{key}={right}&checked={key}#feedback-{key}"
        assert "Correct" in _html(alice.get(location), 200)

        bad_id = alice.get(path, params={f"answer-{uuid.uuid4()}": "0"})
        assert NOT_IN_LESSON in _html(bad_id, 400)
        too_big = alice.get(path, params={f"answer-{key}": str(len(check["options"]))})
        assert NOT_AN_OPTION in _html(too_big, 400).replace("&#39;", "'")
        for data in (
            {"check": key, "answer": "99"},
            {"check": key, "answer": "right"},
            {"check": key, "answer": "0", "given": f"{uuid.uuid4()}=0"},
        ):
            assert "Go to the questions" in _html(alice.post(path, data=data), 400), data
        assert NOT_IN_LESSON in _html(alice.post(path, data={"check": "x", "answer": "0"}), 400)
        assert NO_ANSWER in _html(alice.post(path, data={"check": key}), 400)

        for missing in (
            f"/studio/{course['id']}/lessons/99/checks",
            f"/studio/{uuid.uuid4()}/lessons/1/checks",
            "/studio/not-an-id/lessons/1/checks",
        ):
            _html(alice.get(missing), 404)

    if OTHER_USER not in server.cli("users", "list"):
        server.cli("users", "create", OTHER_USER, "--password", OTHER_PASSWORD)
    with _client(server, OTHER_USER, OTHER_PASSWORD) as dave:
        seen = _html(dave.get(path, params={f"answer-{key}": "0"}), 404)
        posted = _html(dave.post(path, data={"check": key, "answer": "0"}), 404)
        for text in (seen, posted):
            assert course["topic"] not in text and check["question"] not in text

    signed_out = httpx.get(server.base_url + path, timeout=HTTP_TIMEOUT)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login?next=")
