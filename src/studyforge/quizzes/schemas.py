"""Quiz requests and responses, with the specification's field names.

A quiz as the learner sees it (`QuizOut`) never holds a key: no correct answer, explanation,
key point, concept or quote. Those come back in a submission's results.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from studyforge.kit.limits import Integer, Text
from studyforge.quizzes.models import QuizStatus

Difficulty = Literal["easy", "medium", "hard"]
QuizType = Literal["multiple_choice", "true_false", "short_answer", "mixed"]
QuestionType = Literal["multiple_choice", "true_false", "short_answer"]
MAX_QUESTIONS = 50
INLINE_MAX = 10  # at most this many questions are written in the request (201); more: a job


def _index(value: Any) -> Any:
    """An option index as JSON Schema's integer: 2 or 2.0, never `true` (see `Integer`)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "an index is a number (not text or a boolean)")
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An option's text, letter or True/False, free text, or an option's 0-based index (a number).
Answer = (
    Annotated[str, Text(5000, multiline=True, blank=True)]
    | Annotated[int, Field(ge=0, le=99), BeforeValidator(_index)]
)


class QuizRequest(BaseModel):
    """`POST /quiz/generate`: what to ask about, how many questions, how hard, of which type.

    The source is a document (`document_id`), a course's sources (`course_id`) or a folder
    (`source_filter`); several narrow each other, none means all your documents.
    """

    model_config = ConfigDict(extra="ignore")

    document_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    source_filter: Annotated[str, Text(500, blank=True)] | None = Field(
        None, description="only documents under this folder, e.g. `science/`"
    )
    user_id: Annotated[str, Text(100, blank=True)] | None = Field(
        None, description="your own id, or omitted (the token says who you are)"
    )
    num_questions: Integer = Field(10, ge=1, le=MAX_QUESTIONS)
    difficulty: Difficulty = "medium"
    quiz_type: QuizType = "multiple_choice"
    request_id: Annotated[str, Text(100)] | None = Field(
        None, description="the same id again (from the same user) returns the same quiz"
    )

    @field_validator("source_filter")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class QuestionOut(BaseModel):
    """A question as asked: its text and options, never its answer."""

    model_config = ConfigDict(from_attributes=True)

    question_id: uuid.UUID
    position: int
    question: str
    options: list[str]
    type: QuestionType
    difficulty: Difficulty
    section: str | None = Field(
        None,
        validation_alias="public_section",
        description="the heading of the section it is about (left out when it names an option)",
    )


class QuizOut(BaseModel):
    """A quiz: 201 when written in the request, 202 while a job writes it (poll this, or
    `GET /api/jobs/{job_id}`; `questions` fill in when `status` is READY)."""

    model_config = ConfigDict(from_attributes=True)

    quiz_id: uuid.UUID
    document_id: uuid.UUID | None
    course_id: uuid.UUID | None
    source_filter: str | None
    request_id: str | None
    status: QuizStatus
    job_id: uuid.UUID | None
    error_message: str | None
    num_questions: int
    difficulty: Difficulty
    quiz_type: QuizType
    questions: list[QuestionOut]
    total_questions: int
    provider: str | None
    model: str | None
    created_at: datetime
    generated_at: datetime | None


class SubmitRequest(BaseModel):
    """`POST /quiz/submit`: answers keyed by `question_id` (an option's text, its letter or
    0-based index, True/False, or free text); a question left out counts as unanswered."""

    model_config = ConfigDict(extra="ignore")

    quiz_id: uuid.UUID
    user_id: Annotated[str, Text(100, blank=True)] | None = None
    answers: dict[Annotated[str, Field(max_length=100)], Answer] = Field(max_length=MAX_QUESTIONS)


class Citation(BaseModel):
    """Where the answer is stated: the document, page, heading, span and sentence."""

    document_id: uuid.UUID | None
    filename: str | None
    page: int | None
    heading: str | None
    passage_id: int | None
    start: int | None
    end: int | None
    text: str


class QuestionResult(BaseModel):
    """One question of a graded submission."""

    question_id: uuid.UUID
    position: int
    type: QuestionType
    question: str
    correct: bool
    credit: float = Field(description="0-1; partial for a short answer")
    user_answer: str | None
    correct_answer: str
    key_points: list[str]
    covered: list[str]
    feedback: str
    explanation: str
    citation: Citation


class SubmissionOut(BaseModel):
    """`POST /quiz/submit` answer: the score in percent (partial credit counts)."""

    model_config = ConfigDict(from_attributes=True)

    submission_id: uuid.UUID
    quiz_id: uuid.UUID
    score: float
    total_questions: int
    correct_answers: int
    results: list[QuestionResult]
    submitted_at: datetime


class HistoryItem(BaseModel):
    """A submission in the history."""

    model_config = ConfigDict(from_attributes=True)

    submission_id: uuid.UUID
    quiz_id: uuid.UUID
    document_id: uuid.UUID | None
    score: float
    total_questions: int
    correct_answers: int
    submitted_at: datetime


class QuizHistory(BaseModel):
    """`GET /quiz/history`: your submissions, newest first."""

    quizzes: list[HistoryItem]
    total: int
    limit: int
    offset: int


class QuestionStats(BaseModel):
    """How one question fared over the submissions."""

    question_id: uuid.UUID
    position: int
    question: str
    attempts: int
    correct_rate: float | None


class MissedConcept(BaseModel):
    """A concept often missed, and the passage to reread."""

    concept: str
    missed: int
    attempts: int
    miss_rate: float
    reread: Citation
    link: str = Field(description="the cited document")


class QuizAnalytics(BaseModel):
    """`GET /quiz/{quiz_id}/analytics`."""

    quiz_id: uuid.UUID
    attempts: int
    average_score: float | None
    best_score: float | None
    last_submitted_at: datetime | None
    questions: list[QuestionStats]
    most_missed: list[MissedConcept]


def citation(data: dict[str, Any]) -> Citation:
    """A citation from a question's stored fields."""
    return Citation.model_validate(data)


class QuizSummary(BaseModel):
    """A row of `GET /quizzes`: what it asks about, its settings, and how you did."""

    quiz_id: uuid.UUID
    source: str = Field(description="the document's file name, the course's title, the folder")
    document_id: uuid.UUID | None
    course_id: uuid.UUID | None
    source_filter: str | None
    quiz_type: QuizType
    difficulty: Difficulty
    num_questions: int = Field(description="questions asked for")
    total_questions: int = Field(description="questions written (0 until it is READY)")
    status: QuizStatus
    job_id: uuid.UUID | None
    error_message: str | None
    created_at: datetime
    attempts: int
    best_score: float | None
    last_submitted_at: datetime | None


class QuizList(BaseModel):
    """`GET /quizzes`: your quizzes, newest first."""

    quizzes: list[QuizSummary]
    total: int
    limit: int
    offset: int


class QuizDeleted(BaseModel):
    """`DELETE /quiz/{quiz_id}` answer: what went with the quiz (its source documents stay)."""

    quiz_id: uuid.UUID
    deleted: bool = True
    questions: int
    submissions: int
