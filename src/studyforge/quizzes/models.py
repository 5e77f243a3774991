"""Quizzes as the specification stores them: quizzes, quiz_questions, quiz_submissions.

Each question keeps its citation (document, passage, page, heading, the character span of the
sentence that answers it in the document's text, and that sentence), so a result can send the
learner back to what to reread even after the document was re-processed. Document and course
ids are plain columns, not foreign keys: a quiz and its history outlive a deleted source.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studyforge.db import Base, IdMixin, TimestampMixin, utcnow


class QuizStatus(enum.StrEnum):
    """QUEUED -> GENERATING -> READY | FAILED (a small quiz is READY when it is answered)."""

    QUEUED = "QUEUED"
    GENERATING = "GENERATING"
    READY = "READY"
    FAILED = "FAILED"


def _enum(kind: type[enum.StrEnum], length: int = 20) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Quiz(IdMixin, TimestampMixin, Base):
    """A requested quiz: its source scope, settings and (once generated) questions."""

    __tablename__ = "quizzes"
    __table_args__ = (
        UniqueConstraint("user_id", "request_id", name="uq_quizzes_user_request_id"),
        Index("ix_quizzes_user_created", "user_id", "created_at"),
        Index("ix_quizzes_document", "document_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    request_id: Mapped[str | None] = mapped_column(String(100), default=None)
    document_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    course_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    source_filter: Mapped[str | None] = mapped_column(String(500), default=None)
    num_questions: Mapped[int] = mapped_column()
    difficulty: Mapped[str] = mapped_column(String(20))
    quiz_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[QuizStatus] = mapped_column(_enum(QuizStatus), default=QuizStatus.QUEUED)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    provider: Mapped[str | None] = mapped_column(String(50), default=None)
    model: Mapped[str | None] = mapped_column(String(100), default=None)
    # Generation notes: fields with fixed wording, LLM questions replaced, passages read.
    meta: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    job_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    generated_at: Mapped[datetime | None] = mapped_column(default=None)

    questions: Mapped[list[QuizQuestion]] = relationship(
        order_by="QuizQuestion.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def quiz_id(self) -> uuid.UUID:
        """The specification's name for the id."""
        return self.id

    @property
    def total_questions(self) -> int:
        """How many questions the quiz holds (0 until it is generated)."""
        return len(self.questions)


class QuizQuestion(IdMixin, Base):
    """One question, its key, and the passage that answers it."""

    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("quiz_id", "position", name="uq_quiz_questions_position"),)

    quiz_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    question_type: Mapped[str] = mapped_column(String(30))
    difficulty: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(default=list)
    correct_answer: Mapped[str] = mapped_column(Text)
    key_points: Mapped[list[str]] = mapped_column(default=list)
    explanation: Mapped[str] = mapped_column(Text, default="")
    concept: Mapped[str] = mapped_column(String(300), default="")
    section: Mapped[str | None] = mapped_column(String(500), default=None)
    templated: Mapped[bool] = mapped_column(default=True)
    # The citation: where the answer is stated.
    document_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    passage_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    page: Mapped[int | None] = mapped_column(default=None)
    start: Mapped[int | None] = mapped_column(default=None)
    end: Mapped[int | None] = mapped_column(default=None)
    quote: Mapped[str] = mapped_column(Text, default="")

    @property
    def question_id(self) -> uuid.UUID:
        """The specification's name for the id."""
        return self.id

    @property
    def public_section(self) -> str | None:
        """The section's heading, unless it gives the answer away ("Photosynthesis" over
        "_____ is the process by which...")."""
        heading = (self.section or "").rsplit(" > ", 1)[-1].strip()
        lowered = heading.casefold()
        keys = [self.correct_answer, self.concept, *self.key_points]
        if not heading or any(k and k.casefold() in lowered for k in keys):
            return None
        if self.question_type == "multiple_choice" and any(
            o.casefold() in lowered for o in self.options
        ):
            return None
        return heading

    @property
    def type(self) -> str:
        """The specification's name for the question type."""
        return self.question_type

    def citation(self) -> dict[str, Any]:
        """Where the answer is stated: document, page, heading, span and the sentence."""
        return {
            "document_id": self.document_id, "filename": self.filename, "page": self.page,
            "heading": self.section, "passage_id": self.passage_id, "start": self.start,
            "end": self.end, "text": self.quote,
        }  # fmt: skip


class QuizSubmission(IdMixin, Base):
    """A learner's answers to a quiz, graded: score, and one result per question."""

    __tablename__ = "quiz_submissions"
    __table_args__ = (
        Index("ix_quiz_submissions_user_submitted", "user_id", "submitted_at"),
        Index("ix_quiz_submissions_quiz_submitted", "quiz_id", "submitted_at"),
    )

    quiz_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column()
    score: Mapped[float] = mapped_column()
    total_questions: Mapped[int] = mapped_column()
    correct_answers: Mapped[int] = mapped_column()
    results: Mapped[list[dict[str, Any]]] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    quiz: Mapped[Quiz] = relationship(lazy="joined", innerjoin=True)

    @property
    def submission_id(self) -> uuid.UUID:
        """The specification's name for the id."""
        return self.id

    @property
    def document_id(self) -> uuid.UUID | None:
        """The quiz's document (the specification's history rows carry it)."""
        return self.quiz.document_id
