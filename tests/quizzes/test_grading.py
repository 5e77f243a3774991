"""Grading: choices by text, letter or index; short answers by meaning and key points."""

from __future__ import annotations

import uuid

import pytest

from studyforge.ai.offline.embeddings import MiniLMEmbedder
from studyforge.ai.offline.llm import OfflineLLM
from studyforge.ai.registry import AIProviders
from studyforge.quizzes.answers import chosen_option
from studyforge.quizzes.grading import CORRECT, grade_choice, grade_open
from studyforge.quizzes.models import QuizQuestion

VOLCANO = "A volcano is an opening in the crust of the Earth through which magma escapes."
ERUPTION = "until it forces molten rock to the surface"


@pytest.fixture(scope="module")
def ai() -> AIProviders:
    return AIProviders(llm=OfflineLLM(), embedder=MiniLMEmbedder(), ocr=None)


def _open(question: str, reference: str, points: list[str]) -> QuizQuestion:
    return QuizQuestion(id=uuid.uuid4(), position=0, question_type="short_answer",
                        difficulty="medium", question=question, options=[],
                        correct_answer=reference, key_points=points)  # fmt: skip


def _choice(options: list[str], answer: str) -> QuizQuestion:
    return QuizQuestion(id=uuid.uuid4(), position=0, question_type="multiple_choice",
                        difficulty="medium", question="Fill in the blank: _____", options=options,
                        correct_answer=answer, key_points=[])  # fmt: skip


def test_a_choice_is_named_by_its_text_letter_or_index() -> None:
    q = _choice(["magma", "glucose", "oxygen", "starch"], "oxygen")
    for given in ("oxygen", "  OXYGEN. ", "C", "c)", "(c)", "Option C", 2):
        assert grade_choice(q, given).correct, given
    for given in ("glucose", "B", 1, "carbon", 7, "", None):
        result = grade_choice(q, given)
        assert not result.correct and result.credit == 0, given
    assert grade_choice(q, "carbon").user_answer == "carbon"
    assert "not one of the options" in grade_choice(q, "carbon").feedback
    assert grade_choice(q, 1).user_answer == "glucose"
    assert chosen_option(["True", "False"], True) is None  # a boolean is not an index
    assert chosen_option(["True", "False"], "f") == 1


@pytest.mark.parametrize(
    "answer",
    [
        "It is a hole in the Earth's surface where molten rock comes out.",
        "an opening in the earth's crust that lets magma out",
    ],
)
def test_a_paraphrase_gets_credit(ai: AIProviders, answer: str) -> None:
    q = _open("What is a volcano?", VOLCANO, ["opening", "crust", "magma"])
    result = grade_open(ai, q, answer, {})
    assert result.correct and result.credit >= CORRECT, result


@pytest.mark.parametrize(
    "answer",
    [
        "The Calvin cycle fixes carbon dioxide into glucose.",
        "A volcano is a tall mountain covered in snow.",
        "volcano",  # repeating the question earns nothing
        "a volcano is a volcano",
        "I don't know",
        "",
    ],
)
def test_a_wrong_or_unrelated_answer_does_not(ai: AIProviders, answer: str) -> None:
    q = _open("What is a volcano?", VOLCANO, ["opening", "crust", "magma"])
    result = grade_open(ai, q, answer, {})
    assert not result.correct and result.credit < 0.3, result
    assert result.feedback


def test_partial_credit_names_what_is_missing(ai: AIProviders) -> None:
    q = _open("Complete: Pressure builds up in the magma chamber …", ERUPTION,
              ["molten rock", "surface"])  # fmt: skip
    full = grade_open(ai, q, "it pushes melted rock up to the surface", {})
    assert full.correct and full.credit >= 0.8 and "surface" in full.covered
    part = grade_open(ai, q, "it pushes rock upwards", {})
    assert 0 < part.credit < full.credit and "also mentions" in part.feedback
    none = grade_open(ai, q, "bananas are yellow", {})
    assert none.credit == 0 and not none.correct


def test_the_same_answer_gets_the_same_grade(ai: AIProviders) -> None:
    q = _open("What is a volcano?", VOLCANO, ["opening", "crust", "magma"])
    answer = "a vent in the ground where lava erupts"
    first, second = grade_open(ai, q, answer, {}), grade_open(ai, q, answer, {})
    assert first == second
    earlier = {(str(q.id), "a vent in the ground where lava erupts"): first}
    assert grade_open(ai, q, "  A vent in the ground where lava erupts. ", earlier) is first
