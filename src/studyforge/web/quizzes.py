"""Quiz pages: make a quiz from a document or course, watch a large one being written, see how
you did on it (analytics, most missed with the passage to reread), your history, and delete.

Paths live under `/practice` so they never clash with the API's `/quizzes` and `/quiz/{id}`.
Everything is rendered from the quizzes service with the page's session; writes are plain
form POSTs that pass the API's same-origin check (`CurrentUser`), like the course pages'.
Taking a quiz and its graded result are in `web/quiz_take.py`; the score chart is
`web/quiz_chart.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.db import SessionDep
from studyforge.documents.models import Document, Passage
from studyforge.errors import AppError
from studyforge.jobs.models import Job
from studyforge.jobs.service import list_jobs_stmt
from studyforge.quizzes import service
from studyforge.quizzes.models import Quiz, QuizStatus
from studyforge.web.courses import LIBRARY, passage_href
from studyforge.web.pages import JobRow, PageRoute, PageUser, not_found_page, render, templates
from studyforge.web.quiz_chart import pct, score_chart
from studyforge.web.quiz_form import (
    DIFFICULTIES,
    QUIZ_TYPES,
    TYPE_LABELS,
    FormState,
    parse,
    service_error,
    source_choices,
    source_value,
)

PRACTICE = "/practice"
LIST_LIMIT = 100
HISTORY_LIMIT = 100
ACTIVE = frozenset({QuizStatus.QUEUED, QuizStatus.GENERATING})
AGAIN = "again"  # query flag: a form sent again landed on the quiz it had already made

router = APIRouter(include_in_schema=False, route_class=PageRoute)
templates.env.filters["pct"] = pct


# --- shared with quiz_take.py -----------------------------------------------------------------


def owned_quiz(session: Session, user: Principal, quiz_id: str) -> Quiz | None:
    """The user's quiz, or None for a malformed id or a quiz that is not theirs."""
    try:
        return service.get_quiz(session, uuid.UUID(quiz_id), user.id)
    except (ValueError, service.QuizNotFound):
        return None


def not_yours(request: Request, user: Principal, what: str = "quiz") -> Response:
    """The HTML 404 for a quiz (or its result) that is missing or someone else's."""
    message = f"This {what} does not exist, or it is not yours."
    return not_found_page(request, user, message, PRACTICE, "your quizzes")


def quiz_title(session: Session, quiz: Quiz) -> str:
    """The quiz's name on its pages: "Quiz on science.pdf"."""
    source = service.source_names(session, [quiz])[quiz.id]
    return title_of(source, quiz.document_id is not None or quiz.course_id is not None)


def title_of(source: str, named: bool) -> str:
    """ "Quiz on <source>": a document's or course's name as it is, a description ("All your
    documents", "A deleted course") in lower case."""
    if not named or source == service.DELETED_COURSE:
        source = source[:1].lower() + source[1:]
    return f"Quiz on {source}"


@dataclass(frozen=True)
class Cited:
    """Where a question's answer is stated, as a link to the document page (None: deleted)."""

    href: str | None
    label: str
    heading: str | None


def cited(session: Session, user: Principal, citations: Sequence[dict[str, Any]]) -> list[Cited]:
    """Each citation as a link to its document's page (its page, or its passage's anchor);
    a deleted document keeps its name without a link."""
    doc_ids = {uuid.UUID(str(c["document_id"])) for c in citations if c.get("document_id")}
    passage_ids = {int(c["passage_id"]) for c in citations if c.get("passage_id") is not None}
    mine = select(Document.id).where(Document.user_id == user.id, Document.id.in_(doc_ids))
    present = {str(i) for i in session.scalars(mine)} if doc_ids else set()
    stmt = select(Passage.id, Passage.start).where(
        Passage.id.in_(passage_ids), Passage.user_id == user.id
    )
    starts = {pid: start for pid, start in session.execute(stmt)} if passage_ids else {}
    links = []
    for c in citations:
        label = str(c.get("filename") or "the document")
        label += f", page {c['page']}" if c.get("page") else ""
        doc = str(c.get("document_id") or "")
        start = starts.get(c.get("passage_id") or -1)
        if doc not in present:
            href = None
        elif c.get("page") is None and start is None:  # re-processed since: the whole document
            href = f"{LIBRARY}/{doc}"
        else:
            href = passage_href({"document_id": doc, "page": c.get("page"), "start": start})
        heading = str(c.get("heading") or "").rsplit(" > ", 1)[-1] or None
        links.append(Cited(href, label, heading))
    return links


def quiz_job(session: Session, user: Principal, quiz: Quiz) -> Job | None:
    """The job writing an active quiz (None once it is READY or FAILED)."""
    if quiz.status not in ACTIVE or quiz.job_id is None:
        return None
    return session.scalars(list_jobs_stmt(user.id).where(Job.id == quiz.job_id)).first()


# --- the list and the form -------------------------------------------------------------------


def _list_context(session: Session, user: Principal) -> dict[str, Any]:
    quizzes = session.scalars(service.list_quizzes_stmt(user.id).limit(LIST_LIMIT)).all()
    rows = service.summaries(session, quizzes)
    for row in rows:
        row["title"] = title_of(row["source"], bool(row["document_id"] or row["course_id"]))
    building = any(row["status"] in ACTIVE for row in rows)
    return {"rows": rows, "building": building, "limit": LIST_LIMIT, "type_labels": TYPE_LABELS}


def _practice(
    request: Request, session: Session, user: Principal, state: FormState | None = None
) -> Response:
    """The quiz form with the list of quizzes; a form shown with errors answers 422."""
    state = state or FormState()
    if not state.errors and request.query_params.get("source"):
        state = FormState({**state.form, "source": request.query_params["source"]})
    context = {
        **_list_context(session, user),
        "form": state.form,
        "errors": state.errors,
        "request_id": str(uuid.uuid4()),
        "sources": source_choices(session, user.id),
        "difficulties": DIFFICULTIES,
        "quiz_types": QUIZ_TYPES,
    }
    status = 422 if state.errors else 200
    return render(request, "quizzes.html", context, user=user, status_code=status)


@router.get(PRACTICE)
def practice_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The user's quizzes with live status, and the form that makes a new one."""
    return _practice(request, session, user)


@router.get(f"/ui{PRACTICE}")
def quizzes_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The quizzes list fragment; htmx polls it while a quiz is being written."""
    return render(request, "_quizzes_list.html", _list_context(session, user), user=user)


@router.post(PRACTICE)
def make_quiz(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,  # the API's check: a cookie-carrying write must come from this site
    source: Annotated[str, Form()] = "",
    num_questions: Annotated[str, Form()] = "",
    difficulty: Annotated[str, Form()] = "",
    quiz_type: Annotated[str, Form()] = "",
    request_id: Annotated[str, Form()] = "",
) -> Response:
    """Make a quiz from the form and go to its page (written at once up to 10 questions, by
    a job beyond); invalid input, or a source the service refuses, re-renders the form.

    The form carries a `request_id` made when it was shown, so the same form sent again (Back,
    then Make) lands on the quiz it already made; a changed form makes another quiz.
    """
    form = {"source": source, "num_questions": num_questions, "difficulty": difficulty,
            "quiz_type": quiz_type}  # fmt: skip
    req = parse(form, request_id.strip() or None)
    if isinstance(req, FormState):
        return _practice(request, session, user, req)
    existing = service.find_by_request(session, user.id, req.request_id or "")
    if existing is not None and service.same_request(existing, req):
        return RedirectResponse(f"{PRACTICE}/{existing.id}?{AGAIN}=1", status_code=303)
    if existing is not None:
        req = req.model_copy(update={"request_id": None})
    try:
        quiz = service.request_quiz(session, request.app.state.platform.ai, user.id, req)
    except AppError as exc:
        state = service_error(form, exc)
        if state is None:
            raise
        session.rollback()  # nothing of the refused quiz is kept
        return _practice(request, session, user, state)
    return RedirectResponse(f"{PRACTICE}/{quiz.id}", status_code=303)


# --- one quiz ----------------------------------------------------------------------------------


def _quiz_context(session: Session, user: Principal, quiz: Quiz) -> dict[str, Any]:
    source = service.source_names(session, [quiz])[quiz.id]
    title = title_of(source, quiz.document_id is not None or quiz.course_id is not None)
    job = quiz_job(session, user, quiz)
    return {
        "quiz": quiz,
        "title": title,
        "source": source,
        "active": quiz.status in ACTIVE,
        "job_rows": [JobRow(job, f"Writing the {title.lower()}", None)] if job else [],
        "type_label": TYPE_LABELS.get(quiz.quiz_type, quiz.quiz_type),
        "source_href": _source_href(quiz),
        "again_href": f"{PRACTICE}?source={source_value(quiz.document_id, quiz.course_id)}",
    }


def _source_href(quiz: Quiz) -> str | None:
    if quiz.document_id:
        return f"{LIBRARY}/{quiz.document_id}"
    return f"/studio/{quiz.course_id}" if quiz.course_id else None


def _analytics(session: Session, user: Principal, quiz: Quiz) -> dict[str, Any]:
    stats = service.analytics(session, quiz)
    missed = stats["most_missed"]
    links = cited(session, user, [m["reread"] for m in missed])
    attempts = list(session.scalars(service.history_stmt(user.id, quiz.id).limit(HISTORY_LIMIT)))
    oldest_first = [(a.submitted_at, a.score, f"Attempt {i}")
                    for i, a in enumerate(reversed(attempts), 1)]  # fmt: skip
    return {
        "stats": stats,
        "missed": list(zip(missed, links, strict=True)),
        "attempt_rows": [(attempt, None) for attempt in attempts],
        "chart": score_chart(oldest_first),
    }


@router.get(f"{PRACTICE}/history")
def history_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every attempt of the user, newest first, with a chart of the scores over time."""
    attempts = list(session.scalars(service.history_stmt(user.id).limit(HISTORY_LIMIT)))
    quizzes = list({a.quiz_id: a.quiz for a in attempts}.values())
    names = service.source_names(session, quizzes)
    rows = [(a, title_of(names[a.quiz_id], bool(a.quiz.document_id or a.quiz.course_id)))
            for a in attempts]  # fmt: skip
    points = [(a.submitted_at, a.score, title) for a, title in reversed(rows)]
    context = {"rows": rows, "chart": score_chart(points), "limit": HISTORY_LIMIT}
    return render(request, "quiz_history.html", context, user=user)


@router.get(f"{PRACTICE}/{{quiz_id}}")
def quiz_page(request: Request, session: SessionDep, user: PageUser, quiz_id: str) -> Response:
    """One quiz: live progress while it is written, then Start, your attempts, the questions
    most missed with the passage to reread, and delete."""
    quiz = owned_quiz(session, user, quiz_id)
    if quiz is None:
        return not_yours(request, user)
    context = {**_quiz_context(session, user, quiz), **_analytics(session, user, quiz)}
    context["again"] = request.query_params.get(AGAIN) == "1"
    return render(request, "quiz.html", context, user=user)


@router.get(f"/ui{PRACTICE}/{{quiz_id}}/status")
def quiz_status(request: Request, session: SessionDep, user: PageUser, quiz_id: str) -> Response:
    """The quiz's live part while it is written; once it is READY or FAILED (or deleted
    meanwhile), htmx reloads the whole page."""
    quiz = owned_quiz(session, user, quiz_id)
    if quiz is None or quiz.status not in ACTIVE:
        return Response(headers={"HX-Refresh": "true", "Cache-Control": "no-store"})
    return render(request, "_quiz_status.html", _quiz_context(session, user, quiz), user=user)


@router.post(f"{PRACTICE}/{{quiz_id}}/delete")
def delete_quiz(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    quiz_id: str,
) -> Response:
    """Delete the quiz with its attempts (after the browser's confirmation); back to the list."""
    quiz = owned_quiz(session, user, quiz_id)
    if quiz is None:
        return not_yours(request, user)
    service.delete_quiz(session, quiz)
    return RedirectResponse(PRACTICE, status_code=303)
