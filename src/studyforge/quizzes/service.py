"""Quiz use cases: request (write now or queue), read, submit and grade, history, analytics."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, lazyload

from studyforge.ai.registry import AIProviders
from studyforge.auth.deps import check_user_id
from studyforge.courses.models import Course
from studyforge.documents.models import Document
from studyforge.errors import AppError, NotFound
from studyforge.jobs import enqueue
from studyforge.jobs.service import cancel_subject_job
from studyforge.quizzes.generate import write_questions
from studyforge.quizzes.grading import Result, grade_choice, grade_open
from studyforge.quizzes.material import Wanted, check_scope
from studyforge.quizzes.models import Quiz, QuizQuestion, QuizStatus, QuizSubmission
from studyforge.quizzes.schemas import INLINE_MAX, QuizRequest, SubmitRequest

DELETED_COURSE = "A deleted course"  # the source of a quiz whose course was deleted
ANALYTICS_SUBMISSIONS = 1000  # the newest submissions analytics reads, at most
MOST_MISSED = 5


class QuizNotFound(NotFound):
    code = "QUIZ_NOT_FOUND"


class SubmissionNotFound(NotFound):
    code = "SUBMISSION_NOT_FOUND"


class QuizNotReady(AppError):
    status = 409
    code = "QUIZ_NOT_READY"


class UnknownQuestion(AppError):
    status = 422
    code = "UNKNOWN_QUESTION"


def request_quiz(session: Session, ai: AIProviders, user_id: uuid.UUID, req: QuizRequest) -> Quiz:
    """A quiz of up to INLINE_MAX questions is written now (READY); a larger one is queued.
    The same `request_id` again returns the same quiz."""
    check_user_id(req.user_id, user_id)
    if req.request_id is not None:
        existing = find_by_request(session, user_id, req.request_id)
        if existing is not None:
            return existing
    check_scope(session, Wanted(user_id, req.document_id, req.course_id, req.source_filter))
    quiz = Quiz(
        user_id=user_id, request_id=req.request_id, document_id=req.document_id,
        course_id=req.course_id, source_filter=req.source_filter,
        num_questions=req.num_questions, difficulty=req.difficulty, quiz_type=req.quiz_type,
        status=QuizStatus.QUEUED,
    )  # fmt: skip
    session.add(quiz)
    session.flush()
    if req.num_questions <= INLINE_MAX:
        write_questions(session, ai, quiz)
    else:
        quiz.job_id = enqueue(session, "quizzes.generate", user_id=user_id,
                              quiz_id=str(quiz.id)).id  # fmt: skip
    return quiz


def find_by_request(session: Session, user_id: uuid.UUID, request_id: str) -> Quiz | None:
    """The caller's quiz made for `request_id`, if any."""
    stmt = select(Quiz).where(Quiz.user_id == user_id, Quiz.request_id == request_id)
    return session.scalar(stmt)


def same_request(quiz: Quiz, req: QuizRequest) -> bool:
    """Whether `req` asks for what `quiz` was made from (source, count, difficulty, type)."""
    asked = (req.document_id, req.course_id, req.source_filter, req.num_questions,
             req.difficulty, req.quiz_type)  # fmt: skip
    return asked == (quiz.document_id, quiz.course_id, quiz.source_filter, quiz.num_questions,
                     quiz.difficulty, quiz.quiz_type)  # fmt: skip


def get_quiz(session: Session, quiz_id: uuid.UUID, user_id: uuid.UUID) -> Quiz:
    """The caller's quiz, or 404 (also for another user's)."""
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.user_id != user_id:
        raise QuizNotFound("Quiz not found")
    return quiz


def submit(
    session: Session, ai: AIProviders, user_id: uuid.UUID, req: SubmitRequest
) -> QuizSubmission:
    """Grade the answers and store the submission; an answer for a question that is not in
    this quiz is refused (422) and nothing is stored."""
    check_user_id(req.user_id, user_id)
    quiz = get_quiz(session, req.quiz_id, user_id)
    if quiz.status is not QuizStatus.READY:
        raise QuizNotReady(f"The quiz is {quiz.status.value}: answer it once it is READY.")
    by_id = {str(q.id): q for q in quiz.questions}
    unknown = [key for key in req.answers if key.strip().lower() not in by_id]
    if unknown:
        shown = ", ".join(repr(k[:40]) for k in unknown[:3])
        raise UnknownQuestion(
            f"Not questions of this quiz: {shown}", details={"unknown": unknown[:20]}
        )
    answers = {key.strip().lower(): value for key, value in req.answers.items()}
    earlier = _earlier_results(session, quiz)
    results = [_result(ai, q, answers.get(str(q.id)), earlier) for q in quiz.questions]
    total = len(results)
    credit = sum(r["credit"] for r in results)
    submission = QuizSubmission(
        quiz_id=quiz.id, user_id=user_id, answers=answers, results=results, total_questions=total,
        correct_answers=sum(r["correct"] for r in results),
        score=round(100 * credit / total, 1) if total else 0.0,
    )  # fmt: skip
    session.add(submission)
    session.flush()
    return submission


def _earlier_results(session: Session, quiz: Quiz) -> dict[tuple[str, str], Result]:
    """Short answers graded in earlier submissions: the same answer keeps its grade."""
    from studyforge.quizzes.answers import normalise

    open_ids = {str(q.id) for q in quiz.questions if q.question_type == "short_answer"}
    if not open_ids:
        return {}
    earlier: dict[tuple[str, str], Result] = {}
    stmt = select(QuizSubmission.results).where(QuizSubmission.quiz_id == quiz.id).limit(200)
    for results in session.scalars(stmt):
        for r in results:
            if r["question_id"] in open_ids and r.get("user_answer") is not None:
                key = (r["question_id"], normalise(r["user_answer"]))
                earlier.setdefault(
                    key,
                    Result(
                        r["credit"],
                        r["correct"],
                        r["user_answer"],
                        r["correct_answer"],
                        r["feedback"],
                        r["covered"],
                    ),
                )
    return earlier


def _result(ai: AIProviders, q: QuizQuestion, given: str | int | None,
            earlier: dict[tuple[str, str], Result]) -> dict[str, Any]:  # fmt: skip
    r = (
        grade_open(ai, q, given, earlier)
        if q.question_type == "short_answer"
        else grade_choice(q, given)
    )
    return {
        "question_id": str(q.id), "position": q.position, "type": q.question_type,
        "question": q.question, "correct": r.correct, "credit": r.credit,
        "user_answer": r.user_answer, "correct_answer": r.correct_answer,
        "key_points": q.key_points, "covered": r.covered, "feedback": r.feedback,
        "explanation": q.explanation, "concept": q.concept,
        "citation": {**q.citation(), "document_id": str(q.document_id) if q.document_id else None},
    }  # fmt: skip


def get_submission(
    session: Session, submission_id: uuid.UUID, user_id: uuid.UUID
) -> QuizSubmission:
    """The caller's submission, or 404."""
    row = session.get(QuizSubmission, submission_id)
    if row is None or row.user_id != user_id:
        raise SubmissionNotFound("Submission not found")
    return row


def history_stmt(user_id: uuid.UUID, quiz_id: uuid.UUID | None = None) -> Select[Any]:
    """The caller's submissions, newest first (of one quiz, if given)."""
    stmt = select(QuizSubmission).where(QuizSubmission.user_id == user_id)
    if quiz_id is not None:
        stmt = stmt.where(QuizSubmission.quiz_id == quiz_id)
    return stmt.order_by(QuizSubmission.submitted_at.desc(), QuizSubmission.id)


def analytics(session: Session, quiz: Quiz) -> dict[str, Any]:
    """Attempts, average and best score, each question's correct rate, and the concepts most
    often missed with the passage to reread."""
    rows = list(session.scalars(history_stmt(quiz.user_id, quiz.id).limit(ANALYTICS_SUBMISSIONS)))
    scores = [r.score for r in rows]
    tried: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for row in rows:
        for r in row.results:
            tried[r["question_id"]] += 1
            right[r["question_id"]] += bool(r["correct"])
    questions = []
    for q in quiz.questions:
        n = tried[str(q.id)]
        rate = round(right[str(q.id)] / n, 3) if n else None
        questions.append({"question_id": q.id, "position": q.position, "question": q.question,
                          "attempts": n, "correct_rate": rate})  # fmt: skip
    return {
        "quiz_id": quiz.id, "attempts": len(rows),
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "best_score": max(scores) if scores else None,
        "last_submitted_at": rows[0].submitted_at if rows else None,
        "questions": questions, "most_missed": _most_missed(quiz, tried, right),
    }  # fmt: skip


def _most_missed(quiz: Quiz, tried: Counter[str], right: Counter[str]) -> list[dict[str, Any]]:
    by_concept: dict[str, list[QuizQuestion]] = {}
    for q in quiz.questions:
        if tried[str(q.id)] > right[str(q.id)]:
            by_concept.setdefault((q.concept or q.question[:80]).lower(), []).append(q)
    missed: list[dict[str, Any]] = []
    for group in by_concept.values():
        attempts = sum(tried[str(q.id)] for q in group)
        wrong = attempts - sum(right[str(q.id)] for q in group)
        q = max(group, key=lambda q: tried[str(q.id)] - right[str(q.id)])
        missed.append({
            "concept": q.concept or q.question[:80], "missed": wrong, "attempts": attempts,
            "miss_rate": round(wrong / attempts, 3), "reread": q.citation(),
            "link": f"/document/{q.document_id}" if q.document_id else "",
        })  # fmt: skip
    missed.sort(key=lambda m: (-m["miss_rate"], -m["missed"], m["concept"]))
    return missed[:MOST_MISSED]


def list_quizzes_stmt(user_id: uuid.UUID) -> Select[Any]:
    """The caller's quizzes, newest first; their questions are not loaded (`summaries` counts
    them), so a page of quizzes costs a few queries, not one row per question."""
    stmt = select(Quiz).where(Quiz.user_id == user_id).options(lazyload(Quiz.questions))
    return stmt.order_by(Quiz.created_at.desc(), Quiz.id)


def summaries(session: Session, quizzes: Sequence[Quiz]) -> list[dict[str, Any]]:
    """Each quiz as `GET /quizzes` lists it: its source's name, the questions written, the
    attempts, best score and last attempt (a few grouped queries for the whole page)."""
    ids = [quiz.id for quiz in quizzes]
    if not ids:
        return []
    counted = select(QuizQuestion.quiz_id, func.count()).where(QuizQuestion.quiz_id.in_(ids))
    written = _pairs(session, counted.group_by(QuizQuestion.quiz_id))
    stmt = (
        select(QuizSubmission.quiz_id, func.count(), func.max(QuizSubmission.score),
               func.max(QuizSubmission.submitted_at))
        .where(QuizSubmission.quiz_id.in_(ids))
        .group_by(QuizSubmission.quiz_id)
    )  # fmt: skip
    stats = {quiz_id: (n, best, last) for quiz_id, n, best, last in session.execute(stmt)}
    names = source_names(session, quizzes)
    rows = []
    for quiz in quizzes:
        attempts, best, last = stats.get(quiz.id, (0, None, None))
        rows.append({
            "quiz_id": quiz.id, "source": names[quiz.id], "document_id": quiz.document_id,
            "course_id": quiz.course_id, "source_filter": quiz.source_filter,
            "quiz_type": quiz.quiz_type, "difficulty": quiz.difficulty,
            "num_questions": quiz.num_questions, "total_questions": written.get(quiz.id, 0),
            "status": quiz.status, "job_id": quiz.job_id, "error_message": quiz.error_message,
            "created_at": quiz.created_at, "attempts": attempts, "best_score": best,
            "last_submitted_at": last,
        })  # fmt: skip
    return rows


def _pairs(session: Session, stmt: Select[Any, Any]) -> dict[Any, Any]:
    """A two-column query as a dict of its first column to its second."""
    return {key: value for key, value in session.execute(stmt)}


def source_names(session: Session, quizzes: Sequence[Quiz]) -> dict[uuid.UUID, str]:
    """What each quiz asks about, in words: its document's file name, its course's title, its
    folder, or all your documents. A deleted document keeps the name its questions cite."""
    owners = {q.user_id for q in quizzes}
    doc_ids = {q.document_id for q in quizzes if q.document_id}
    course_ids = {q.course_id for q in quizzes if q.course_id}
    docs = _pairs(session, select(Document.id, Document.filename).where(
        Document.id.in_(doc_ids), Document.user_id.in_(owners))) if doc_ids else {}  # fmt: skip
    courses: dict[uuid.UUID, str] = {}
    if course_ids:
        stmt = select(Course.id, Course.title, Course.topic).where(
            Course.id.in_(course_ids), Course.user_id.in_(owners))  # fmt: skip
        courses = {course_id: title or topic for course_id, title, topic in session.execute(stmt)}
    gone = [q.id for q in quizzes if q.document_id and q.document_id not in docs]
    cited = _pairs(session, select(QuizQuestion.quiz_id, func.min(QuizQuestion.filename))
                   .where(QuizQuestion.quiz_id.in_(gone))
                   .group_by(QuizQuestion.quiz_id)) if gone else {}  # fmt: skip
    names: dict[uuid.UUID, str] = {}
    for q in quizzes:
        if q.document_id:
            names[q.id] = docs.get(q.document_id) or f"{cited.get(q.id) or 'A document'} (deleted)"
        elif q.course_id:
            names[q.id] = courses.get(q.course_id) or DELETED_COURSE
        elif q.source_filter:
            names[q.id] = f"Documents in {q.source_filter}"
        else:
            names[q.id] = "All your documents"
    return names


def delete_quiz(session: Session, quiz: Quiz) -> tuple[int, int]:
    """Delete the quiz, its questions and every submission of it; a job still writing it is
    cancelled. Returns (questions, submissions) deleted; the source documents stay."""
    cancel_subject_job(session, quiz.job_id)
    questions = len(quiz.questions)
    gone = session.execute(delete(QuizSubmission).where(QuizSubmission.quiz_id == quiz.id))
    session.delete(quiz)  # its questions go with it (the relationship cascades)
    session.flush()
    return questions, int(getattr(gone, "rowcount", 0) or 0)
