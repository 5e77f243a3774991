"""Quiz endpoints, named as in the specification: `/quiz/generate`, `/quiz/submit`,
`/quiz/<id>`, `/quiz/history`, plus `/quiz/<id>/analytics`, `/quiz/submissions/<id>`, the list
of your quizzes (`/quizzes`) and `DELETE /quiz/<id>`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from studyforge.auth.deps import CurrentUser, check_user_id
from studyforge.db import SessionDep
from studyforge.kit.limits import Text
from studyforge.kit.pagination import PageDep, paginate
from studyforge.openapi import errors
from studyforge.quizzes import service
from studyforge.quizzes.models import Quiz, QuizStatus, QuizSubmission
from studyforge.quizzes.schemas import (
    QuizAnalytics,
    QuizDeleted,
    QuizHistory,
    QuizList,
    QuizOut,
    QuizRequest,
    SubmissionOut,
    SubmitRequest,
)

router = APIRouter(tags=["quizzes"])  # no prefix: `/quizzes` lists them


def _quiz(quiz_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Quiz:
    return service.get_quiz(session, quiz_id, user.id)


QuizDep = Annotated[Quiz, Depends(_quiz)]


@router.post(
    "/quiz/generate",
    status_code=201,
    response_model=QuizOut,
    responses={
        202: {"model": QuizOut, "description": "more than 10 questions: queued as a job"},
        **errors({
            403: "`user_id` is not your own id",
            404: "the document or course is not yours, or nothing in scope has text",
            409: "the source is not ready, or holds too few facts for that many questions",
        }),
    },
)  # fmt: skip
def generate(
    request: Request, response: Response, body: QuizRequest, session: SessionDep, user: CurrentUser
) -> Quiz:
    """Write a quiz from your documents, a course's sources or a folder.

    Up to 10 questions are written at once (201, READY). More are written by a job (202,
    QUEUED): follow `GET /api/jobs/{job_id}` or poll `GET /quiz/{quiz_id}` until READY (or
    FAILED, with `error_message`). Every question cites the passage that answers it; the
    answers are never part of this body.
    """
    quiz = service.request_quiz(session, request.app.state.platform.ai, user.id, body)
    if quiz.status is not QuizStatus.READY:
        response.status_code = 202
    return quiz


@router.post(
    "/quiz/submit",
    response_model=SubmissionOut,
    responses=errors({
        403: "`user_id` is not your own id",
        404: "the quiz is not yours",
        409: "the quiz is not READY",
        422: "an answer names a question that is not in this quiz",
    }),
)  # fmt: skip
def submit(
    request: Request, body: SubmitRequest, session: SessionDep, user: CurrentUser
) -> QuizSubmission:
    """Grade answers (keyed by `question_id`): score in percent, and per question whether it
    was right, the right answer, feedback and the cited passage to reread."""
    return service.submit(session, request.app.state.platform.ai, user.id, body)


@router.get("/quizzes", response_model=QuizList, responses=errors({
    403: "`user_id` is not your own id"}))  # fmt: skip
def list_quizzes(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    user_id: Annotated[Annotated[str, Text(100, blank=True)] | None, Query()] = None,
) -> dict[str, object]:
    """Your quizzes, newest first: what each asks about (`source`), its settings and status,
    the questions written, and your attempts with the best score."""
    check_user_id(user_id, user.id)
    result = paginate(session, service.list_quizzes_stmt(user.id), page)
    quizzes: list[Quiz] = result.pop("items")  # type: ignore[assignment]
    result["quizzes"] = service.summaries(session, quizzes)
    return result


@router.get("/quiz/history", response_model=QuizHistory, responses=errors({
    403: "`user_id` is not your own id", 404: "`quiz_id` is not one of your quizzes"}))  # fmt: skip
def history(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    user_id: Annotated[Annotated[str, Text(100, blank=True)] | None, Query()] = None,
    quiz_id: uuid.UUID | None = None,
) -> dict[str, object]:
    """Your submissions with their scores, newest first (of one quiz with `quiz_id`)."""
    check_user_id(user_id, user.id)
    if quiz_id is not None:
        service.get_quiz(session, quiz_id, user.id)
    result = paginate(session, service.history_stmt(user.id, quiz_id), page)
    result["quizzes"] = result.pop("items")
    return result


@router.get("/quiz/submissions/{submission_id:uuid}", response_model=SubmissionOut)
def read_submission(
    submission_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> QuizSubmission:
    """A graded submission again, as `POST /quiz/submit` answered it."""
    return service.get_submission(session, submission_id, user.id)


@router.get("/quiz/{quiz_id:uuid}", response_model=QuizOut)
def read_quiz(quiz: QuizDep) -> Quiz:
    """A quiz's questions and options (never the answers)."""
    return quiz


@router.get("/quiz/{quiz_id:uuid}/analytics", response_model=QuizAnalytics)
def quiz_analytics(quiz: QuizDep, session: SessionDep) -> dict[str, object]:
    """Attempts, average and best score, each question's correct rate, and the concepts most
    often missed with the passage to reread."""
    return service.analytics(session, quiz)


@router.delete("/quiz/{quiz_id:uuid}", response_model=QuizDeleted,
               responses=errors({404: "the quiz is not yours"}))  # fmt: skip
def delete_quiz(quiz: QuizDep, session: SessionDep) -> QuizDeleted:
    """Delete the quiz with its questions and every submission of it (a job still writing it
    is cancelled); your documents and courses stay."""
    questions, submissions = service.delete_quiz(session, quiz)
    return QuizDeleted(quiz_id=quiz.id, questions=questions, submissions=submissions)
