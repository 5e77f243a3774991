"""Writing a quiz's questions: sources -> facts -> plan -> the LLM's wording -> checked -> saved.

`write_questions` runs in the request for a small quiz and in the `quizzes.generate` job for a
larger one. The offline engine plans every question (fact, type, key, distractors); the
configured LLM words its own question on each planned fact; whatever the model gets wrong (a
quote not in the passage, a second right answer, an unsupported statement, invalid output,
no answer at all) is replaced by the engine's question on that fact, and the count is kept in
the quiz's `meta`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from studyforge.ai.errors import ProviderError
from studyforge.ai.llm import Usage
from studyforge.ai.registry import AIProviders
from studyforge.db import utcnow
from studyforge.events.service import emit
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job
from studyforge.quizzes.answers import correct_option
from studyforge.quizzes.checking import flat, problem
from studyforge.quizzes.facts import Material
from studyforge.quizzes.material import Source, Wanted, load_sources
from studyforge.quizzes.models import Quiz, QuizQuestion, QuizStatus
from studyforge.quizzes.plan import plan_questions
from studyforge.quizzes.prompts import QUESTIONS, DraftQuestion

log = logging.getLogger(__name__)
GENERATED_EVENT = "quiz.generated"


def _where(source: Source) -> str:
    parts = [str(source.get("filename") or source.get("path"))]
    if source.get("page"):
        parts.append(f"p. {source['page']}")
    if source.get("heading"):
        parts.append(str(source["heading"]).rsplit(" > ", 1)[-1])
    return ", ".join(parts)


def _items(m: Material, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for draft in drafts:
        fact = m.facts[draft["fact"]]
        source = m.sources[fact.source]
        truth = draft["answer"] == "True" if draft["type"] == "true_false" else None
        items.append({"fact": fact.index, "type": draft["type"], "truth": truth,
                      "passage": source["text"], "where": _where(source),
                      "sentence": fact.sentence, "draft": draft})  # fmt: skip
    return items


def _worded(ai: AIProviders, difficulty: str, items: list[dict[str, Any]]) -> tuple[
        list[DraftQuestion], dict[str, Any], Usage]:  # fmt: skip
    """The model's questions, each checked; the engine's where the model's fails."""
    meta: dict[str, Any] = {"replaced": 0, "reasons": []}
    usage = Usage()
    try:
        generation = ai.llm.complete_json(QUESTIONS, {"difficulty": difficulty, "items": items})
        usage, offered = generation.usage, generation.output.questions
        meta["extractive"] = generation.extractive
    except ProviderError as exc:
        log.warning("quiz questions from the offline engine: %s", exc)
        offered, meta["extractive"], meta["llm_error"] = [], True, str(exc)[:300]
    by_fact: dict[int, DraftQuestion] = {}
    for q in offered:
        by_fact.setdefault(q.fact, q)
    chosen: list[DraftQuestion] = []
    asked: set[str] = set()
    for item in items:
        offer = by_fact.get(item["fact"])
        reason = "no question on this fact" if offer is None else problem(offer, item)
        if offer is not None and reason is None and flat(offer.question) in asked:
            reason = "the same question twice"
        q = offer if offer is not None and reason is None else _offline(item)
        if q is not offer and not meta["extractive"]:
            meta["replaced"] += 1
            meta["reasons"].append(reason)
        asked.add(flat(q.question))
        chosen.append(q)
    return chosen, meta, usage


def write_questions(session: Session, ai: AIProviders, quiz: Quiz) -> Usage:
    """Write and store the quiz's questions (it is READY afterwards); raises NoSources,
    SourceNotReady or NotEnoughMaterial (nothing is stored then)."""
    wanted = Wanted(quiz.user_id, quiz.document_id, quiz.course_id, quiz.source_filter)
    m = Material(load_sources(session, wanted))
    drafts = plan_questions(m, quiz.num_questions, quiz.difficulty, quiz.quiz_type)
    items = _items(m, drafts)
    questions, meta, usage = _worded(ai, quiz.difficulty, items)
    session.execute(delete(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id))
    quiz.questions = [
        _question(position, q, m, item, bool(meta["extractive"]) or q == _offline(item))
        for position, (q, item) in enumerate(zip(questions, items, strict=True))
    ]
    quiz.status, quiz.error_message, quiz.generated_at = QuizStatus.READY, None, utcnow()
    quiz.provider, quiz.model = ai.llm.name, ai.llm.model
    quiz.meta = {**meta, "passages": len(m.sources), "facts": len(m.facts), **usage.as_dict(),
                 "templated": ["question"] if meta["extractive"] else []}  # fmt: skip
    session.flush()
    emit(session, GENERATED_EVENT, generated_payload(quiz), stream_id=quiz.id,
         user_id=quiz.user_id)  # fmt: skip
    return usage


def _offline(item: dict[str, Any]) -> DraftQuestion:
    return DraftQuestion.model_validate(item["draft"])


def _question(position: int, q: DraftQuestion, m: Material, item: dict[str, Any],
              templated: bool) -> QuizQuestion:  # fmt: skip
    fact = m.facts[item["fact"]]
    source = m.sources[fact.source]
    start, end = fact.start, fact.end
    found = source["text"].find(q.quote)
    if q.quote != fact.sentence and found >= 0:
        start, end = source["start"] + found, source["start"] + found + len(q.quote)
    answer = q.answer
    if q.type != "short_answer":
        answer = q.options[correct_option(q.options, q.answer) or 0]
    return QuizQuestion(
        position=position, question_type=q.type, difficulty=item["draft"]["difficulty"],
        question=q.question, options=list(q.options), correct_answer=answer,
        key_points=list(q.key_points), explanation=q.explanation, concept=q.concept[:300],
        section=source.get("heading"), templated=templated,
        document_id=uuid.UUID(source["document_id"]), filename=source.get("filename"),
        passage_id=source.get("passage_id"), page=source.get("page"), start=start, end=end,
        quote=q.quote,
    )  # fmt: skip


def generated_payload(quiz: Quiz) -> dict[str, Any]:
    """The `quiz.generated` event body (no answers in it)."""
    return {
        "quiz_id": str(quiz.id), "user_id": str(quiz.user_id), "request_id": quiz.request_id,
        "document_id": str(quiz.document_id) if quiz.document_id else None,
        "course_id": str(quiz.course_id) if quiz.course_id else None,
        "total_questions": len(quiz.questions), "difficulty": quiz.difficulty,
        "quiz_type": quiz.quiz_type, "created_at": quiz.created_at.isoformat(),
    }  # fmt: skip


def mark_failed(session: Session, row: Job) -> None:
    """The job ended FAILED or CANCELLED: the quiz (if still this job's) is FAILED."""
    quiz = session.get(Quiz, uuid.UUID(str(row.params.get("quiz_id"))))
    if quiz is not None and quiz.job_id == row.id:
        quiz.status = QuizStatus.FAILED
        quiz.error_message = row.error or "generation failed"


@job("quizzes.generate", queue="ai_processing", on_failure=mark_failed)
def generate(ctx: JobContext, quiz_id: str) -> dict[str, Any]:
    """Write a large quiz's questions in the background (committed in one transaction)."""
    with ctx.sessions.begin() as session:
        quiz = session.get(Quiz, uuid.UUID(quiz_id))
        if quiz is None or quiz.job_id != ctx.job_id:
            return {"skipped": "the quiz was deleted or re-queued"}
        quiz.status = QuizStatus.GENERATING
    ctx.progress(10, "Reading the sources", stage="questions")
    with ctx.sessions.begin() as session:
        quiz = session.get_one(Quiz, uuid.UUID(quiz_id))
        usage = write_questions(session, ctx.services.ai, quiz)
        count = len(quiz.questions)
    ctx.record_usage(usage)
    ctx.progress(100, f"{count} questions written", stage="done")
    return {"questions": count, **usage.as_dict()}
