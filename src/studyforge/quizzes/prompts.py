"""Quiz tasks for the `LLM` interface: writing questions on chosen facts, grading a short answer.

Code chooses the facts (`plan`); a model only words a question on each. Its answer is
validated against `QuestionSet`, then every question is checked against its cited passage
(`checking`): one that fails is replaced by the offline engine's question on that fact. Offline
(and for the local model, which drafts nothing here) the tasks' strategies are the engine's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from studyforge.ai.llm import Task


class DraftQuestion(BaseModel):
    """A question on one fact, with its key and the words of the passage that support it."""

    fact: int = Field(description="the number of the fact it asks about")
    type: Literal["multiple_choice", "true_false", "short_answer"]
    question: str = Field(min_length=1, max_length=1000)
    options: list[str] = Field(
        default_factory=list,
        max_length=4,
        description="4 for multiple choice, True/False, none otherwise",
    )
    answer: str = Field(
        min_length=1,
        max_length=1000,
        description="the right option's text, True/False, or a model answer",
    )
    key_points: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="short answer: what a good answer must mention",
    )
    explanation: str = Field("", max_length=1500)
    quote: str = Field(
        min_length=1,
        max_length=1500,
        description="the passage's own words that show the answer is right",
    )
    concept: str = Field("", max_length=300, description="the term or idea it tests")
    difficulty: str = Field("medium", max_length=20)


class QuestionSet(BaseModel):
    """The questions of a quiz."""

    questions: list[DraftQuestion] = Field(min_length=1, max_length=60)


class Grade(BaseModel):
    """A short answer's credit (0-1) and feedback."""

    credit: float = Field(ge=0.0, le=1.0)
    feedback: str = Field(min_length=1, max_length=1000)
    covered: list[str] = Field(default_factory=list, description="key points the answer covers")


SYSTEM = (
    "You are an experienced teacher writing quiz questions. Every question must be answered by "
    "the passage it cites, in the passage's own terms. Never use facts that are not in the "
    "passages, and never ask about code, headings or page furniture."
)
GUIDE = {
    "easy": "central ideas and defined terms; clearly wrong distractors",
    "medium": "important details; plausible distractors",
    "hard": "less central details; close distractors of the same kind",
}
HOW = {
    "multiple_choice": "4 distinct options, exactly one right; the three wrong ones of the same "
    "kind as the answer (terms for terms, numbers for numbers) and not stated by the passage",
    "true_false": 'a statement; options ["True", "False"]; answer {truth}. A false one '
    "changes a single checkable detail of what the passage says",
    "short_answer": "an open question; `answer` a model answer in the passage's words; "
    "`key_points` 1-3 short phrases a good answer must mention",
}


def _questions_prompt(inputs: dict[str, Any]) -> str:
    lines = [
        f"Write one {inputs['difficulty']} quiz question for each fact below "
        f"({GUIDE[inputs['difficulty']]}). Return them as `questions`, each with the fact's "
        "number in `fact` and in `quote` the exact words of its passage that support the "
        "answer.",
    ]
    for item in inputs["items"]:
        how = HOW[item["type"]].format(truth="True" if item.get("truth", True) else "False")
        lines.append(
            f"\nFact {item['fact']} ({item['type']}: {how}).\nPassage ({item['where']}): "
            f"{item['passage'][:2500]}\nAsk about: {item['sentence']}"
        )
    return "\n".join(lines)


def _offline_questions(inputs: dict[str, Any]) -> dict[str, Any]:
    """The engine's own questions on the chosen facts (made while choosing them)."""
    return {"questions": [item["draft"] for item in inputs["items"]]}


def _grade_prompt(inputs: dict[str, Any]) -> str:
    points = "; ".join(inputs["key_points"]) or "(none)"
    return (
        "Grade a learner's short answer against the reference answer from the source text. "
        "Give `credit` from 0 (wrong or unrelated) to 1 (complete), counting a correct "
        "paraphrase as correct, `feedback` of one or two sentences addressed to the learner, and "
        "the key points the answer covers in `covered`.\n\n"
        f"Question: {inputs['question']}\nReference answer: {inputs['reference']}\n"
        f"Key points: {points}\nLearner's answer: {inputs['answer']}"
    )


def _offline_grade(inputs: dict[str, Any]) -> dict[str, Any]:
    from studyforge.quizzes.grading import similarity_grade

    return similarity_grade(inputs)


QUESTIONS = Task("quizzes.questions", QuestionSet, SYSTEM, _questions_prompt, _offline_questions)
GRADE = Task("quizzes.grade", Grade, SYSTEM, _grade_prompt, _offline_grade)
