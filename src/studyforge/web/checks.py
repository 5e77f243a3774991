"""A lesson's "Check your understanding" questions, answered on the page.

Each question is a form of its own. Posting it redirects (303) to the lesson's checks page,
whose address holds every answer given so far (`?answer-<check id>=<option index>`, or
`right`/`wrong` for an open question the reader marks themselves), so Back and Reload never
post again and the page can be bookmarked. The page renders the lesson with the feedback and
the score for those answers; `static/checks.js` posts the same form with `fetch` and swaps the
questions in place, so the page works the same with and without JavaScript.

Which option is right is resolved from the stored `answer` (`correct_option`): the option's
text, or a letter such as `B` or `(b)`. A question whose answer matches no option is asked as
an open question (the model answer is revealed, the reader marks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from studyforge.auth.service import Principal
from studyforge.courses.models import Course, Lesson, LessonCheck
from studyforge.db import SessionDep
from studyforge.quizzes.answers import correct_option
from studyforge.web.courses import STUDIO, SourceRef, lesson_context, not_yours, owned_course
from studyforge.web.pages import PageRoute, PageUser, render, templates

PREFIX = "answer-"
RIGHT, WRONG = "right", "wrong"
MARKS = {RIGHT: "I got it", WRONG: "I missed it"}
NOT_IN_LESSON = "One of these answers is for a question that is not in this lesson."
NOT_AN_OPTION = "One of these answers is not one of its question's choices."
NO_ANSWER = "Choose an answer, then press Check."

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# --- a lesson's questions and the answers given ---------------------------------------------


@dataclass(frozen=True)
class CheckState:
    """One question of the lesson, its right option (None: an open question) and the answer
    given (an option index as text, `right`/`wrong` for an open question, or None)."""

    check: LessonCheck
    key: str
    correct: int | None
    ref: SourceRef | None
    given: str | None = None

    @property
    def choice(self) -> bool:
        """Whether this question is answered by picking an option."""
        return self.correct is not None

    @property
    def answered(self) -> bool:
        return self.given is not None

    @property
    def chosen(self) -> int | None:
        """The option picked, for a choice question that was answered."""
        return int(self.given) if self.choice and self.given is not None else None

    @property
    def right(self) -> bool:
        return self.given == (str(self.correct) if self.choice else RIGHT)

    @property
    def answer_text(self) -> str:
        """The correct answer as the reader sees it: the option's text, or the model answer."""
        return self.check.options[self.correct] if self.correct is not None else self.check.answer

    @property
    def mark(self) -> str:
        """The reader's own mark of an open question (`I got it` / `I missed it`)."""
        return MARKS.get(self.given or "", "")

    def canonical(self, value: str) -> str | None:
        """`value` as this question's answer (`"01"` is option 1), or None if it is none."""
        if self.correct is None:
            return value if value in MARKS else None
        if value.isascii() and value.isdigit() and len(value) <= 3:
            index = int(value)
            return str(index) if index < len(self.check.options) else None
        return None


@dataclass(frozen=True)
class Quiz:
    """The lesson's questions with the answers given so far, and where the forms post."""

    checks: list[CheckState]
    action: str
    last: str | None = None  # the question just answered: its feedback takes the focus
    error: str | None = None

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def answered(self) -> int:
        return sum(state.answered for state in self.checks)

    @property
    def right(self) -> int:
        return sum(state.right for state in self.checks)

    def carry(self, key: str) -> str:
        """The other questions' answers, which each form posts along in one field (a form
        sends each field once): `<key>=<value>` pairs separated by spaces."""
        return " ".join(f"{s.key}={s.given}" for s in self.checks if s.answered and s.key != key)

    def query(self) -> str:
        """The checks page's query string for these answers."""
        pairs = [(PREFIX + s.key, s.given) for s in self.checks if s.given is not None]
        if self.last:
            pairs.append(("checked", self.last))
        return urlencode(pairs)


def checks_path(course: Course, lesson: Lesson) -> str:
    """Where a lesson's question forms post, and the page that shows their feedback."""
    return f"{STUDIO}/{course.id}/lessons/{lesson.lesson_number}/checks"


def lesson_quiz(course: Course, lesson: Lesson, refs: Mapping[int, SourceRef]) -> Quiz:
    """The lesson's questions, none answered yet."""
    states = []
    for check in lesson.checks:
        ref = refs.get((check.source or {}).get("index", -1)) if check.source else None
        correct = correct_option(check.options or [], check.answer or "")
        states.append(CheckState(check, str(check.id), correct, ref))
    return Quiz(states, checks_path(course, lesson))


# The lesson page (web/courses.py) renders its questions unanswered through this global.
templates.env.globals["lesson_quiz"] = lesson_quiz


def with_answers(quiz: Quiz, pairs: Iterable[tuple[str, str]], last: str | None) -> Quiz:
    """`quiz` with the answers `pairs` (key, value) given; the first bad one is its error and
    is left out."""
    by_key = {state.key: state for state in quiz.checks}
    error = None
    for key, value in pairs:
        state = by_key.get(key.strip().lower())
        canonical = state.canonical(value.strip()) if state else None
        if state is None or canonical is None:
            error = error or (NOT_IN_LESSON if state is None else NOT_AN_OPTION)
            continue
        by_key[state.key] = replace(state, given=canonical)
    states = [by_key[state.key] for state in quiz.checks]
    last = (last or "").strip().lower()
    focus = last if last in by_key and by_key[last].answered else None
    return replace(quiz, checks=states, last=focus, error=error)


def _pair(carried: str) -> tuple[str, str]:
    key, _, value = carried.partition("=")
    return key, value


# --- pages ----------------------------------------------------------------------------------


def _lesson(
    session: Session, user: Principal, course_id: str, number: int
) -> tuple[Course, Lesson, dict[int, Lesson]] | None:
    """The user's course and its lesson `number`, or None (malformed id, not theirs, no lesson)."""
    course = owned_course(session, user, course_id)
    if course is None:
        return None
    lessons = {lesson.lesson_number: lesson for lesson in course.lessons}
    lesson = lessons.get(number)
    return (course, lesson, lessons) if lesson is not None else None


def _not_found(request: Request, user: Principal) -> Response:
    return not_yours(request, user, "lesson")


def _page(
    request: Request,
    session: Session,
    user: Principal,
    found: tuple[Course, Lesson, dict[int, Lesson]],
    answers: Iterable[tuple[str, str]],
    last: str | None,
    error: str | None = None,
) -> Response:
    """The lesson page (as `web.courses.lesson_page` renders it) with the answers' feedback;
    400 when an answer names no question of the lesson or no choice of its question."""
    course, lesson, lessons = found
    context = lesson_context(session, course, lesson, lessons)
    quiz = with_answers(lesson_quiz(course, lesson, context["refs"]), answers, last)
    if error and not quiz.error:
        quiz = replace(quiz, error=error)
    context["quiz"] = quiz
    status = 400 if quiz.error else 200
    return render(request, "lesson.html", context, user=user, status_code=status)


CHECKS = f"{STUDIO}/{{course_id}}/lessons/{{number}}/checks"


@router.get(CHECKS)
def checks_page(
    request: Request, session: SessionDep, user: PageUser, course_id: str, number: int
) -> Response:
    """The lesson with feedback and a score for the answers in the address."""
    found = _lesson(session, user, course_id, number)
    if found is None:
        return _not_found(request, user)
    answers = [
        (name.removeprefix(PREFIX), value)
        for name, value in request.query_params.multi_items()
        if name.startswith(PREFIX)
    ]
    return _page(request, session, user, found, answers, request.query_params.get("checked"))


@router.post(CHECKS)
def check_answer(
    request: Request,
    session: SessionDep,
    user: PageUser,
    course_id: str,
    number: int,
    check: Annotated[str, Form()] = "",
    answer: Annotated[str, Form()] = "",
    given: Annotated[str, Form()] = "",
) -> Response:
    """Check one answer: go to the checks page for it and the answers carried along.

    Nothing is stored, so this needs no same-origin check: it only computes a redirect.
    """
    found = _lesson(session, user, course_id, number)
    if found is None:
        return _not_found(request, user)
    pairs = [_pair(carried) for carried in given.split()]
    if not answer.strip():
        return _page(request, session, user, found, pairs, None, NO_ANSWER)
    pairs.append((check, answer))
    course, lesson, _ = found
    quiz = with_answers(lesson_quiz(course, lesson, {}), pairs, check.strip().lower())
    if quiz.error or quiz.last is None:
        return _page(request, session, user, found, pairs, None)
    url = f"{checks_path(course, lesson)}?{quiz.query()}#feedback-{quiz.last}"
    return RedirectResponse(url, status_code=303)
