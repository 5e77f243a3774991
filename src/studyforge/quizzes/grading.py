"""Grading: a choice is right or wrong; a short answer earns partial credit (0-1).

Offline, a short answer is compared with the reference answer by embedding similarity (MiniLM)
once the words of the question are taken out of both (repeating the question earns nothing),
and by how many key points it covers (their words, or a close vector). The thresholds were
measured on paraphrases, same-topic wrong answers and unrelated ones (tests/quizzes): a
paraphrase scores 0.6-0.9, a wrong answer on the same topic 0.2-0.45, an unrelated one < 0.15.
With an LLM configured the `GRADE` task gives the same shape. The same answer to the same
question always gets the same grade: an answer graded before is reused.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from studyforge.ai.embeddings import embed_query
from studyforge.ai.errors import ProviderError
from studyforge.ai.offline.text import STOPWORDS
from studyforge.ai.registry import AIProviders
from studyforge.quizzes.answers import chosen_option, normalise
from studyforge.quizzes.models import QuizQuestion
from studyforge.quizzes.prompts import GRADE, Grade

log = logging.getLogger(__name__)
LOW, HIGH = 0.30, 0.75  # similarity with no credit, and with full credit
POINT = 0.55  # a key point's vector this close to the answer counts as covered
CORRECT = 0.5  # credit from which a short answer counts as correct
_WORD = re.compile(r"[A-Za-z0-9]+")


def _stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


def _content(text: str, drop: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    return [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and _stem(w) not in drop]


def similarity_grade(inputs: dict[str, Any]) -> dict[str, Any]:
    """The offline grade of a short answer (see the module docstring)."""
    answer, reference = inputs["answer"].strip(), inputs["reference"]
    points: list[str] = inputs["key_points"]
    asked = {_stem(w) for w in _content(inputs["question"])}
    given = _content(answer, asked)
    if not given:
        return {"credit": 0.0, "covered": [], "feedback": _feedback(0.0, [], points, reference,
                                                                    bool(answer))}  # fmt: skip
    texts = [" ".join(given), " ".join(_content(reference, asked)) or reference, *points]
    # One vector per text from the process-wide LRU (`embed_query`): a question's reference
    # and key points are the same for every learner, so only the answer is new; misses of
    # concurrent submissions are embedded together.
    vectors = np.vstack([embed_query(inputs["embedder"], text) for text in texts])
    similarity = float(vectors[0] @ vectors[1])
    stems = {_stem(w) for w in given}
    covered = [
        p for i, p in enumerate(points)
        if {_stem(w) for w in _content(p)} <= stems or float(vectors[0] @ vectors[2 + i]) >= POINT
    ]  # fmt: skip
    by_meaning = min(1.0, max(0.0, (similarity - LOW) / (HIGH - LOW)))
    coverage = len(covered) / len(points) if points else by_meaning
    credit = round(max(by_meaning, (by_meaning + coverage) / 2), 2)
    return {"credit": credit, "covered": covered,
            "feedback": _feedback(credit, covered, points, reference, True)}  # fmt: skip


def _feedback(credit: float, covered: list[str], points: list[str], reference: str,
              answered: bool) -> str:  # fmt: skip
    missing = [p for p in points if p not in covered]
    if not answered:
        return f"No answer given. The text says: {reference}"
    if credit >= 0.8:
        return "Correct: your answer says what the text says."
    if credit >= CORRECT:
        more = f" The text also mentions: {', '.join(missing)}." if missing else ""
        return f"Mostly right.{more}"
    if credit > 0.2:
        return f"Partly right. The text says: {reference}"
    return f"Not what the text says. It says: {reference}"


@dataclass(frozen=True)
class Result:
    """One graded answer."""

    credit: float
    correct: bool
    user_answer: str | None
    correct_answer: str
    feedback: str
    covered: list[str]


def grade_choice(q: QuizQuestion, given: str | int | None) -> Result:
    """A choice question: the option named (text, letter or index) against the key."""
    right = next((i for i, o in enumerate(q.options) if o == q.correct_answer), None)
    picked = chosen_option(q.options, given)
    shown = q.options[picked] if picked is not None else (None if given is None else str(given))
    correct = picked is not None and picked == right
    if given is None:
        feedback = f"No answer given. The answer is {q.correct_answer!r}."
    elif picked is None:
        feedback = f"{given!r} is not one of the options. The answer is {q.correct_answer!r}."
    else:
        feedback = "Correct." if correct else f"Not quite: the answer is {q.correct_answer!r}."
    return Result(float(correct), correct, shown, q.correct_answer, feedback, [])


def grade_open(ai: AIProviders, q: QuizQuestion, given: str | int | None,
               earlier: dict[tuple[str, str], Result]) -> Result:  # fmt: skip
    """A short answer: credit from the LLM (offline: similarity and key points)."""
    text = "" if given is None else str(given)
    key = (str(q.id), normalise(text))
    if key in earlier:
        return earlier[key]
    inputs = {"question": q.question, "reference": q.correct_answer, "key_points": q.key_points,
              "answer": text, "embedder": ai.embedder}  # fmt: skip
    if not text.strip():
        grade = Grade.model_validate(similarity_grade(inputs))
    else:
        try:
            grade = ai.llm.complete_json(GRADE, inputs).output
        except ProviderError as exc:  # an answer is graded even while the model is away
            log.warning("grading %s offline: %s", q.id, exc)
            grade = Grade.model_validate(similarity_grade(inputs))
    credit = round(grade.credit, 2)
    result = Result(credit, credit >= CORRECT, text if given is not None else None,
                    q.correct_answer, grade.feedback, list(grade.covered))  # fmt: skip
    earlier[key] = result
    return result
