"""Is a question answered by the passage it cites? The same checks for a model's questions and
the engine's: a question that fails one is dropped (and replaced by the engine's on its fact).
"""

from __future__ import annotations

import re
from typing import Any

from studyforge.ai.offline.terms import code_like
from studyforge.ai.offline.text import content_words
from studyforge.quizzes.answers import correct_option, normalise
from studyforge.quizzes.prompts import DraftQuestion
from studyforge.quizzes.words import contains

SUPPORTED = 0.8  # share of a statement's content words the passage must hold
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_NUMBER = re.compile(r"^\d[\d.,]*(?:\s+\w+)?$")
_TF_PREFIX = re.compile(r"^\s*(?:true or false\s*[:?\-]\s*)", re.I)


def flat(text: str) -> str:
    """Text compared without case, runs of spaces or curly quotes."""
    return " ".join(text.translate(_QUOTES).casefold().split())


def _share(text: str, passage: str) -> float:
    words = set(content_words(text.translate(_QUOTES)))
    held = set(content_words(passage.translate(_QUOTES)))
    return len(words & held) / len(words) if words else 0.0


def problem(q: DraftQuestion, item: dict[str, Any]) -> str | None:
    """Why the question cannot stand on its cited passage, or None if it can."""
    passage = item["passage"]
    if q.fact != item["fact"] or q.type != item["type"]:
        return "not the fact or type asked for"
    if flat(q.quote).rstrip(".") not in flat(passage):
        return "its quote is not in the passage"
    stem = re.sub(r"\b[Aa]\(n\) |_{3,}", " ", q.question)  # a cloze's blank is no code
    if code_like(q.quote) or code_like(stem):
        return "it asks about code"
    check = {"multiple_choice": _choice, "true_false": _true_false, "short_answer": _open}
    return check[q.type](q, item, passage)


def _choice(q: DraftQuestion, item: dict[str, Any], passage: str) -> str | None:
    texts = [normalise(o) for o in q.options]
    if len(q.options) != 4 or len(set(texts)) != 4 or not all(texts):
        return "not four distinct options"
    right = correct_option(q.options, q.answer)
    if right is None or texts.count(normalise(q.options[right])) != 1:
        return "its answer is not exactly one of the options"
    answer = q.options[right]
    if not contains(q.quote, answer) and _share(answer, q.quote) < 1.0:
        return "the quote does not state the answer"
    for i, option in enumerate(q.options):
        if i != right and contains(q.quote, option):
            return f"the quote also states the distractor {option!r}"
    for i, option in enumerate(q.options):
        # A number the passage gives for something else is a fair distractor; a term it
        # states could be a second right answer.
        if i != right and not _NUMBER.match(option) and contains(passage, option):
            return f"the passage also states the distractor {option!r}"
    return None


def _true_false(q: DraftQuestion, item: dict[str, Any], passage: str) -> str | None:
    if sorted(normalise(o) for o in q.options) != ["false", "true"]:
        return "its options are not True and False"
    if normalise(q.answer) not in ("true", "false"):
        return "its answer is not True or False"
    truth = normalise(q.answer) == "true"
    if truth != item.get("truth", truth):
        return "true where false was asked (or the reverse)"
    statement = _TF_PREFIX.sub("", q.question)
    lead, colon, rest = statement.partition(":")
    if colon and len(lead) <= 60 and rest.strip():  # "Decide whether this holds: ..."
        statement = rest.strip()
    if truth and _share(statement, passage) < SUPPORTED:
        return "a true statement the passage does not make"
    if not truth and flat(statement).rstrip(".") in flat(passage):
        return "a false statement the passage makes word for word"
    return None


def _open(q: DraftQuestion, item: dict[str, Any], passage: str) -> str | None:
    if q.options or not q.key_points:
        return "a short answer has key points and no options"
    if _share(q.answer, passage) < 0.6:
        return "its model answer is not the passage's"
    for point in q.key_points:
        if _share(point, passage) < 1.0:
            return f"its key point {point!r} is not in the passage"
    return None
