"""The checks a local model's drafts must pass, with scripted drafts (good and bad ones).

The model itself runs for real in tests/ai/test_local_llm.py; here each draft is given, so
every rule can be shown to accept what it should and to fall back on what it should not.
"""

from __future__ import annotations

from typing import Any

from studyforge.courses import drafting, offline, offline_lesson
from studyforge.courses.prompts import Checks, LessonContent, Outline
from tests.courses.test_offline_engine import chapter_sources


class Scripted:
    """A drafter that answers from a list and records what was used."""

    model = "scripted"

    def __init__(self, answers: list[dict[str, Any] | None]) -> None:
        self.answers = list(answers)
        self.accepted: list[str] = []
        self.fallbacks: list[tuple[str, str]] = []

    def json(self, instruction: str, context: str, schema: dict[str, Any],
             max_tokens: int = 200) -> dict[str, Any] | None:  # fmt: skip
        return self.answers.pop(0)

    def accept(self, field: str) -> None:
        self.accepted.append(field)

    def fallback(self, field: str, reason: str) -> None:
        self.fallbacks.append((field, reason))


def _outline(n: int) -> tuple[dict[str, Any], Outline]:
    sources = chapter_sources()
    inputs = {"topic": "Errors", "grade_level": "Grade 9", "num_lessons": n, "sources": sources}
    return inputs, Outline.model_validate(offline.outline(inputs))


def test_objectives_need_a_teaching_verb_and_the_lessons_words():
    inputs, outline = _outline(2)
    templated = [list(p.learning_objectives) for p in outline.lessons]
    good = {"objectives": ["Explain what a syntax error is", "Describe how exceptions are printed"]}
    bad = {"objectives": ["Explain", "Understand quantum chromodynamics and gluon fields"]}
    drafter = Scripted([good, bad])
    drafting.draft_outline(inputs, outline, drafter)
    assert outline.lessons[0].learning_objectives == good["objectives"]
    assert outline.lessons[1].learning_objectives == templated[1]  # kept
    assert drafter.accepted == ["learning_objectives"]
    assert drafter.fallbacks == [("learning_objectives", "0 of 2 objectives passed")]
    assert "learning_objectives" in outline.templated  # one lesson is still templated


def _lesson() -> tuple[dict[str, Any], LessonContent]:
    inputs, outline = _outline(4)
    plan = outline.lessons[2]  # Handling Exceptions: prose, a code example, prose
    own = [s for s in inputs["sources"] if s["index"] in plan.sources]
    lesson_inputs = {"grade_level": "Grade 9", "lesson": plan.model_dump(), "sources": own}
    return lesson_inputs, LessonContent.model_validate(offline_lesson.lesson(lesson_inputs))


def test_summaries_and_explanations_need_a_verbatim_quote():
    inputs, content = _lesson()
    extractive = content.summary
    invented = {
        "text": "Exceptions were invented in 1962 by lunar engineers on the moon.",
        "quote": "It is possible to write programs that handle selected exceptions.",
    }
    misquoted = {"text": "The example keeps asking for a number until the input is valid.",
                 "quote": "The program asks forever for numbers."}  # fmt: skip
    drafter = Scripted([invented, misquoted])
    drafting.draft_lesson(inputs, content, drafter)
    assert content.summary == extractive
    assert not any(p.drafted for s in content.sections for p in s.paragraphs)
    assert [reason for _, reason in drafter.fallbacks] == [
        "the text uses words the sources do not",
        "the quote is not in the sources word for word",
    ]
    summary = {
        "text": "A try statement lets a program handle selected exceptions with an except clause.",
        "quote": "The try statement works as follows.",
    }
    explanation = {"text": "The example asks for a number again until the input is a valid "
                   "integer.", "quote": "Look at the following example"}  # fmt: skip
    drafter = Scripted([summary, explanation])
    drafting.draft_lesson(inputs, content, drafter)
    assert content.summary == summary["text"] and drafter.accepted == ["summary", "explanation"]
    paragraphs = [p for s in content.sections for p in s.paragraphs]
    k = next(i for i, p in enumerate(paragraphs) if p.drafted)
    assert (
        paragraphs[k - 1].kind == "code" and paragraphs[k].citations == paragraphs[k - 1].citations
    )


def test_distractors_must_be_wrong_distinct_and_not_the_answer():
    inputs, _ = _lesson()
    checks = Checks.model_validate(offline_lesson.checks(
        {**inputs, "other_concepts": ["syntax errors", "base class", "exception class"]}
    ))  # fmt: skip
    cloze = [c for c in checks.checks if c.kind == "multiple_choice"]
    assert cloze
    answer = cloze[0].answer
    before = list(cloze[0].options)
    bad = {"distractors": [answer, answer.upper(), "x"]}  # the answer twice, then a valid one
    drafter = Scripted([bad] + [None] * (len(cloze) - 1))
    drafting.draft_checks(inputs, checks, drafter)
    assert cloze[0].options == before and drafter.accepted == []
    good = {"distractors": ["finally clause", "else clause", "raise statement"]}
    drafter = Scripted([good] + [None] * (len(cloze) - 1))
    drafting.draft_checks(inputs, checks, drafter)
    assert set(cloze[0].options) == {answer, *good["distractors"]}
    assert drafter.accepted == ["distractors"]
