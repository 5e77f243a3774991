"""Taking a quiz one question per screen, then its graded result.

Nothing is stored until the quiz is submitted: the answers given so far travel with the form,
in one hidden field (`answers`, a JSON object of question id to the option's 0-based index or
the text written), so Back, Next and the question numbers work without JavaScript and without
a draft on the server. Each step posts the form and the next screen is rendered in answer;
only the final Submit writes (a submission, through `quizzes.service.submit`, as the API's
`POST /quiz/submit` does) and then redirects to the result (Post/Redirect/Get). Answers are
checked with the API's own `Answer` type, so the page accepts exactly what the API accepts.
`static/quiz.js` posts the same steps with `fetch` and swaps the question in place (Submit stays
an ordinary post), so the page works the same with and without JavaScript.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.db import SessionDep
from studyforge.quizzes import service
from studyforge.quizzes.models import Quiz, QuizQuestion, QuizStatus, QuizSubmission
from studyforge.quizzes.schemas import Answer, SubmitRequest
from studyforge.web.pages import PageRoute, PageUser, render
from studyforge.web.quizzes import PRACTICE, cited, not_yours, owned_quiz, quiz_title

TAKE = f"{PRACTICE}/{{quiz_id}}/take"
RESULT = f"{PRACTICE}/{{quiz_id}}/results/{{submission_id}}"
CARRIED_ERROR = (
    "Some earlier answers could not be read, so they were left out. Check the questions "
    "marked unanswered before you submit."
)
TEXT_ERROR = "Write your answer as text, at most 5000 characters (no control characters)."
NOT_AN_OPTION = "Choose one of the answers listed."
ANSWER = TypeAdapter(Answer)

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def is_choice(q: QuizQuestion) -> bool:
    """Whether a question is answered by picking an option (else: a text box)."""
    return bool(q.options) and q.question_type != "short_answer"


def canonical(q: QuizQuestion, value: str) -> str | None:
    """`value` as `q`'s answer: an option's index as text (`"01"` is `"1"`) or the text
    written, `""` for no answer, None when it can be neither."""
    if not is_choice(q):
        try:
            text = ANSWER.validate_python(value)
        except ValidationError:
            return None
        return str(text)
    value = value.strip()
    if not value:
        return ""
    if value.isascii() and value.isdigit() and len(value) <= 3 and int(value) < len(q.options):
        return str(int(value))
    return None


@dataclass(frozen=True)
class Step:
    """One screen of the quiz: the question shown (1-based) and every answer given so far."""

    quiz: Quiz
    number: int
    answers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # about the answers carried along
    field_error: str | None = None  # about this question's answer
    draft: str | None = None  # a refused text answer, shown again as typed
    focus: bool = False  # the answer takes the focus (a step the user moved to)

    @property
    def total(self) -> int:
        return len(self.quiz.questions)

    @property
    def question(self) -> QuizQuestion:
        return self.quiz.questions[self.number - 1]

    @property
    def key(self) -> str:
        return str(self.question.id)

    @property
    def choice(self) -> bool:
        return is_choice(self.question)

    @property
    def given(self) -> str:
        """This question's answer so far (the option's index as text, or the text)."""
        return self.draft if self.draft is not None else self.answers.get(self.key, "")

    @property
    def carried(self) -> str:
        """The hidden field: every answer but this question's (its inputs send that one)."""
        return json.dumps({k: v for k, v in self.answers.items() if k != self.key})

    def is_answered(self, q: QuizQuestion) -> bool:
        return bool(self.answers.get(str(q.id), "").strip())

    @property
    def unanswered(self) -> list[int]:
        """The numbers of the questions not answered yet."""
        return [i for i, q in enumerate(self.quiz.questions, 1) if not self.is_answered(q)]

    def at(self, number: int) -> Step:
        """The same answers, showing question `number` (kept within the quiz)."""
        bounded = min(max(number, 1), self.total)
        return replace(self, number=bounded, field_error=None, draft=None, focus=True)


def carried_answers(quiz: Quiz, raw: str) -> tuple[dict[str, str], bool]:
    """The answers in the hidden field, and whether any had to be left out (not JSON, not a
    question of this quiz, not one of its options)."""
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}, True
    if not isinstance(data, dict):
        return {}, True
    by_id = {str(q.id): q for q in quiz.questions}
    answers: dict[str, str] = {}
    bad = False
    for key, value in data.items():
        q = by_id.get(str(key))
        answer = canonical(q, value) if q is not None and isinstance(value, str) else None
        if answer is None:
            bad = True
        elif answer:
            answers[str(key)] = answer
    return answers, bad


def _number(value: str, default: int = 1) -> int:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else default


def _page(request: Request, session: Session, user: Principal, step: Step) -> Response:
    status = 422 if step.field_error else 400 if step.error else 200
    context = {"step": step, "title": quiz_title(session, step.quiz),
               "action": TAKE.format(quiz_id=step.quiz.id)}  # fmt: skip
    return render(request, "quiz_take.html", context, user=user, status_code=status)


def _ready(session: Session, user: Principal, quiz_id: str) -> Quiz | Response | None:
    """The user's READY quiz; a redirect to its page while it is not READY; None if not theirs."""
    quiz = owned_quiz(session, user, quiz_id)
    if quiz is not None and (quiz.status is not QuizStatus.READY or not quiz.questions):
        return RedirectResponse(f"{PRACTICE}/{quiz.id}", status_code=303)
    return quiz


@router.get(TAKE)
def take_page(request: Request, session: SessionDep, user: PageUser, quiz_id: str) -> Response:
    """The quiz's first question, nothing answered yet."""
    quiz = _ready(session, user, quiz_id)
    if quiz is None:
        return not_yours(request, user)
    if isinstance(quiz, Response):
        return quiz
    return _page(request, session, user, Step(quiz, 1))


@router.post(TAKE)
def take_step(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,  # Submit writes: a cookie-carrying write must come from this site
    quiz_id: str,
    step: Annotated[str, Form()] = "1",
    answers: Annotated[str, Form()] = "",
    answer: Annotated[str | None, Form()] = None,
    go: Annotated[str, Form()] = "next",
) -> Response:
    """Keep this question's answer and show the question asked for (`go`: `next`, `back`,
    `to-<n>`), or grade every answer (`submit`) and go to the result."""
    quiz = _ready(session, user, quiz_id)
    if quiz is None:
        return not_yours(request, user)
    if isinstance(quiz, Response):
        return quiz
    given, bad = carried_answers(quiz, answers)
    number = min(max(_number(step), 1), len(quiz.questions))
    current = Step(quiz, number, given, CARRIED_ERROR if bad else None)
    if answer is not None:
        value = canonical(current.question, answer)
        if value is None:
            if current.choice:
                return _page(request, session, user, replace(current, field_error=NOT_AN_OPTION))
            refused = replace(current, field_error=TEXT_ERROR, draft=answer)
            return _page(request, session, user, refused)
        given = {k: v for k, v in given.items() if k != current.key}
        given.update({current.key: value} if value else {})
        current = replace(current, answers=given)
    if go == "submit" and not bad:
        submission = _submit(request, session, user, quiz, given)
        url = RESULT.format(quiz_id=quiz.id, submission_id=submission.id)
        return RedirectResponse(url, status_code=303)
    moves = {"next": current.number + 1, "back": current.number - 1}
    target = moves.get(go, _number(go.removeprefix("to-"), current.number))
    return _page(request, session, user, current.at(target))


def _submit(
    request: Request, session: Session, user: Principal, quiz: Quiz, given: dict[str, str]
) -> QuizSubmission:
    by_id = {str(q.id): q for q in quiz.questions}
    payload: dict[str, Any] = {
        key: int(value) if is_choice(by_id[key]) else value for key, value in given.items()
    }
    req = SubmitRequest(quiz_id=quiz.id, answers=payload)
    return service.submit(session, request.app.state.platform.ai, user.id, req)


@router.get(RESULT)
def result_page(
    request: Request, session: SessionDep, user: PageUser, quiz_id: str, submission_id: str
) -> Response:
    """A graded attempt: the score, and each question with your answer, the right one, its
    explanation and a link to the passage that states it."""
    quiz = owned_quiz(session, user, quiz_id)
    submission = _owned_submission(session, user, submission_id)
    if quiz is None or submission is None or submission.quiz_id != quiz.id:
        return not_yours(request, user, "result")
    results = sorted(submission.results, key=lambda r: r["position"])
    links = cited(session, user, [r["citation"] for r in results])
    context = {
        "quiz": quiz,
        "title": quiz_title(session, quiz),
        "submission": submission,
        "rows": [(r, verdict(r), link) for r, link in zip(results, links, strict=True)],
        "partial": any(0 < float(r.get("credit") or 0) < 1 for r in results),
    }
    return render(request, "quiz_result.html", context, user=user)


def _owned_submission(
    session: Session, user: Principal, submission_id: str
) -> QuizSubmission | None:
    try:
        return service.get_submission(session, uuid.UUID(submission_id), user.id)
    except (ValueError, service.SubmissionNotFound):
        return None


def verdict(result: dict[str, Any]) -> str:
    """A graded answer in words (a short answer may be partly right)."""
    if result.get("user_answer") is None:
        return "Not answered"
    credit = float(result.get("credit") or 0)
    if result.get("correct"):
        return "Correct" if credit >= 1 else "Mostly right"
    return "Partly right" if credit > 0 else "Incorrect"
