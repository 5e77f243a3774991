"""Which option of a lesson check is right (`correct_option`), and the answers a page is given."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from studyforge.courses.models import Course, CourseStatus, Lesson, LessonBody, LessonCheck
from studyforge.web.checks import (
    NOT_AN_OPTION,
    NOT_IN_LESSON,
    CheckState,
    Quiz,
    correct_option,
    with_answers,
)

CITIES = ["Paris", "London", "Berlin", "Madrid"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("London", 1),  # the option's text, as the offline engine and the LLM prompt write it
        ("london", 1),
        ("  LONDON  ", 1),
        ("London.", 1),
        ('"Berlin"', 2),
        ("B", 1),
        ("b", 1),
        ("B)", 1),
        ("(b)", 1),
        ("b.", 1),
        ("D:", 3),
        ("Option C", 2),
        ("Answer: c", 2),
        ("The correct answer is D", 3),
        ("C) Berlin", 2),
        ("(a) Paris", 0),
        ("B) Paris", 0),  # the text names another option than the letter: the text wins
        ("C) Bern", 2),  # text matching nothing: the letter
        ("Answer: Madrid", 3),
    ],
)
def test_answer_names_an_option(answer: str, expected: int) -> None:
    assert correct_option(CITIES, answer) == expected


@pytest.mark.parametrize(
    "answer", ["", "   ", "Rome", "E", "(e)", "Z)", "E) Rome", "London Bridge"]
)
def test_answer_naming_no_option_is_none(answer: str) -> None:
    assert correct_option(CITIES, answer) is None


def test_no_options_is_an_open_question() -> None:
    assert correct_option([], "Compare your answer with the example.") is None


def test_exact_text_comes_before_letters() -> None:
    """An option that is itself a letter or a word like "a" is matched as text first."""
    assert correct_option(["C", "B", "A"], "A") == 2
    assert correct_option(["an", "a", "the"], "a") == 1
    assert correct_option(["1", "2", "3"], "2") == 1


def test_whitespace_inside_and_case_are_ignored() -> None:
    options = ["the  immune\nsystem", "plate tectonics"]
    assert correct_option(options, "The Immune System") == 0


def test_labelled_options() -> None:
    """Options written with their own labels match the answer's text without them."""
    options = ["A) Paris", "B) London", "C) Berlin"]
    assert correct_option(options, "London") == 1
    assert correct_option(options, "c") == 2
    assert correct_option(options, "B) London") == 1


def test_true_false() -> None:
    assert correct_option(["True", "False"], "False") == 1
    assert correct_option(["True", "False"], "true") == 0
    assert correct_option(["True", "False"], "F") == 1
    assert correct_option(["False", "True"], "t") == 1
    assert correct_option(["True", "False"], "B") == 1
    assert correct_option(["Yes", "No"], "F") is None


def test_duplicate_options_take_the_first() -> None:
    assert correct_option(["x", "y", "Y"], "y") == 1
    assert correct_option(["x", "Y ", "y"], "y") == 2  # exact text first


def _quiz() -> Quiz:
    choice = LessonCheck(
        id=uuid.uuid4(), kind="multiple_choice", question="Capital?", options=CITIES,
        answer="Paris", explanation="",
    )  # fmt: skip
    open_ = LessonCheck(
        id=uuid.uuid4(), kind="short_answer", question="Why?", options=[], answer="Because.",
        explanation="",
    )  # fmt: skip
    states = [
        CheckState(choice, str(choice.id), correct_option(choice.options, choice.answer), None),
        CheckState(open_, str(open_.id), None, None),
    ]
    return Quiz(states, "/studio/x/lessons/1/checks")


def test_answers_are_scored() -> None:
    quiz = _quiz()
    choice, open_ = (state.key for state in quiz.checks)
    assert (quiz.total, quiz.answered, quiz.right) == (2, 0, 0)

    wrong = with_answers(quiz, [(choice, "1")], choice)
    assert (wrong.answered, wrong.right, wrong.error, wrong.last) == (1, 0, None, choice)
    assert wrong.checks[0].chosen == 1 and wrong.checks[0].answer_text == "Paris"

    both = with_answers(wrong, [(choice, "00"), (open_, "right")], open_)
    assert (both.answered, both.right) == (2, 2)
    assert both.checks[0].given == "0"  # canonical index
    assert both.carry(open_) == f"{choice}=0"
    assert both.carry("another") == f"{choice}=0 {open_}=right"
    assert both.query() == f"answer-{choice}=0&answer-{open_}=right&checked={open_}"


@pytest.mark.parametrize(
    ("which", "value", "error"),
    [
        (None, "0", NOT_IN_LESSON),
        (0, "4", NOT_AN_OPTION),
        (0, "-1", NOT_AN_OPTION),
        (0, "right", NOT_AN_OPTION),
        (0, "1e3", NOT_AN_OPTION),
        (0, "", NOT_AN_OPTION),
        (1, "0", NOT_AN_OPTION),
        (1, "maybe", NOT_AN_OPTION),
    ],
)
def test_bad_answers_are_errors_and_left_out(which: int | None, value: str, error: str) -> None:
    """The first bad answer is the error; it is dropped, the good ones are kept."""
    quiz = _quiz()
    key = quiz.checks[which].key if which is not None else str(uuid.uuid4())
    good = (quiz.checks[1].key, "wrong") if which == 0 else (quiz.checks[0].key, "0")
    result = with_answers(quiz, [(key, value), good], key)
    assert result.error == error
    assert [state.given for state in result.checks if state.answered] == [good[1]]
    assert result.last is None  # nothing to focus: the question that was sent is not answered


# --- the pages, in process (SQLite and PostgreSQL) -------------------------------------------


def _course(user_id: uuid.UUID) -> Course:
    source = {
        "index": 0, "document_id": str(uuid.uuid4()), "path": "geo/cities.md",
        "filename": "cities.md", "page": 3, "heading": "Capitals", "text": "Paris.",
    }  # fmt: skip
    lesson = Lesson(lesson_number=1, title="Capitals", description="", sources=[source])
    lesson.body = LessonBody(content_md="", content_json={"sections": [], "summary": ""})
    lesson.checks = [
        LessonCheck(position=0, kind="multiple_choice", question="Capital of France?",
                    options=CITIES, answer="(a)", explanation="It is Paris.", source=source),
        LessonCheck(position=1, kind="multiple_choice", question="Pick one <b>",
                    options=["x", "y"], answer="z, because...", explanation=""),
        LessonCheck(position=2, kind="short_answer", question="Why Paris?", options=[],
                    answer="History.", explanation="Read page 3."),
    ]  # fmt: skip
    return Course(
        user_id=user_id, request_id=str(uuid.uuid4()), topic="Capitals",
        status=CourseStatus.READY, num_lessons=1, lessons=[lesson],
    )  # fmt: skip


async def _signed_in(client: httpx.AsyncClient, make_user: Any) -> uuid.UUID:
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    user_id, _ = make_user(username, password)
    form = {"username": username, "password": password, "next": "/studio"}
    assert (await client.post("/login", data=form)).status_code == 303
    return user_id


@pytest.mark.anyio
async def test_checks_pages(client: httpx.AsyncClient, make_user: Any, platform: Any) -> None:
    """A letter answer picks its option; an answer naming no option, or no options at all,
    makes an open question; answers post, redirect and score; bad ones are 400, others' 404."""
    user_id = await _signed_in(client, make_user)
    course = _course(user_id)
    with platform.sessions.begin() as session:
        session.add(course)
        session.flush()
        keys = [str(check.id) for check in course.lessons[0].checks]
    lesson = f"/studio/{course.id}/lessons/1"
    path = lesson + "/checks"

    page = (await client.get(lesson)).text
    assert page.count('type="radio"') == len(CITIES)  # the other two are open questions
    assert page.count("Show the answer") == 2 and "<li>y</li>" in page
    assert "Pick one &lt;b&gt;" in page and "3 questions · not answered yet" in page
    assert 'src="/static/checks.js' in page and "<script>" not in page

    wrong = await client.post(path, data={"check": keys[0], "answer": "2"})
    assert wrong.status_code == 303
    shown = (await client.get(wrong.headers["location"])).text
    assert "Incorrect" in shown and "You chose: Berlin" in shown and "It is Paris." in shown
    assert "autofocus" in shown
    # its document is gone (never uploaded here): the link goes to the lesson's source entry
    assert 'Source: <a href="#source-1">[1] cities.md, page 3</a>' in shown

    carried = f"{keys[0]}=0"
    marked = await client.post(path, data={"check": keys[2], "answer": "right", "given": carried})
    assert marked.status_code == 303
    assert marked.headers["location"] == (
        f"{path}?answer-{keys[0]}=0&answer-{keys[2]}=right&checked={keys[2]}#feedback-{keys[2]}"
    )
    scored = (await client.get(marked.headers["location"])).text
    assert "2 of 3 correct" in scored and "You got it" in scored
    assert f'name="given" value="{keys[0]}=0 {keys[2]}=right"' in scored  # for question 2

    for params in ({f"answer-{keys[1]}": "0"}, {f"answer-{keys[0]}": "4"}):
        bad = await client.get(path, params=params)
        assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
        assert 'role="alert"' in bad.text and "Go to the questions" in bad.text
    posted = await client.post(path, data={"check": str(uuid.uuid4()), "answer": "0"})
    assert posted.status_code == 400 and NOT_IN_LESSON in posted.text
    assert (await client.post(path, data={"check": keys[0]})).status_code == 400

    await _signed_in(client, make_user)  # someone else now
    for response in (
        await client.get(path),
        await client.post(path, data={"check": keys[0], "answer": "0"}),
    ):
        assert response.status_code == 404 and "Capital of France" not in response.text
