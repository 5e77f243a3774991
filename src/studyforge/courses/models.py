"""Courses as the specification stores them: courses, lessons, lesson_bodies, lesson_checks;
and lesson_versions, the earlier versions of lessons the teacher edited or regenerated."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studyforge.db import Base, IdMixin, TimestampMixin, utcnow

# A course made stage by stage from a Git repository's docs (`repo_courses`).
REPOSITORY_KIND = "repository"


class CourseStatus(enum.StrEnum):
    """QUEUED -> GENERATING -> READY | FAILED."""

    QUEUED = "QUEUED"
    GENERATING = "GENERATING"
    READY = "READY"
    FAILED = "FAILED"


class Course(IdMixin, TimestampMixin, Base):
    """A requested course; lessons appear as they are generated."""

    __tablename__ = "courses"
    __table_args__ = (
        UniqueConstraint("user_id", "slug", name="uq_courses_user_slug"),
        # request ids de-duplicate per user: one user's ids never collide with another's
        UniqueConstraint("user_id", "request_id", name="uq_courses_user_request_id"),
        Index("ix_courses_user_created", "user_id", "created_at"),
        Index("ix_courses_status", "status"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(300))
    grade_level: Mapped[str] = mapped_column(String(50), default="Grade 8")
    num_lessons: Mapped[int] = mapped_column(default=4)
    source_filter: Mapped[str | None] = mapped_column(String(500), default=None)
    # Chosen documents (ids as strings); None: every document within `source_filter`.
    document_ids: Mapped[list[str] | None] = mapped_column(default=None)
    # With an LLM, a course on a topic the documents do not cover is written only when asked
    # for (`allow_ungrounded`); such a course is stored with `grounded` false.
    allow_ungrounded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    grounded: Mapped[bool | None] = mapped_column(default=None)
    title: Mapped[str | None] = mapped_column(String(300), default=None)
    slug: Mapped[str | None] = mapped_column(String(120), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[CourseStatus] = mapped_column(
        Enum(CourseStatus, native_enum=False, length=20), default=CourseStatus.QUEUED
    )
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    outline: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)
    provider: Mapped[str | None] = mapped_column(String(50), default=None)
    model: Mapped[str | None] = mapped_column(String(100), default=None)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    job_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    generated_at: Mapped[datetime | None] = mapped_column(default=None)
    # "topic" (from documents or a topic) or "repository" (the four-stage pipeline of
    # `repo_courses`, whose stage is `repo_status`: draft, stage1_running, ... stage4_complete,
    # stageN_failed).
    kind: Mapped[str] = mapped_column(String(20), default="topic", server_default="topic")
    repo_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    repo_name: Mapped[str | None] = mapped_column(String(300), default=None)
    repo_status: Mapped[str | None] = mapped_column(String(30), default=None)

    @property
    def from_repository(self) -> bool:
        """Whether the course is made stage by stage from a repository (not regenerated,
        retried or resubmitted as a topic course is)."""
        return self.kind == REPOSITORY_KIND

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course",
        order_by="Lesson.lesson_number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Lesson(IdMixin, TimestampMixin, Base):
    """A lesson's outline entry; its text is in `lesson_bodies`, its questions in checks."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "lesson_number", name="uq_lessons_number"),)

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    lesson_number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    key_concepts: Mapped[list[str]] = mapped_column(default=list)
    learning_objectives: Mapped[list[str]] = mapped_column(default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    generated_at: Mapped[datetime | None] = mapped_column(default=None)
    # The outline entry the lesson was written from (what "Regenerate" writes it from again).
    plan: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # When the teacher last changed the lesson; None: as generated (or a generated version
    # restored), so regenerating it replaces no edits.
    edited_at: Mapped[datetime | None] = mapped_column(default=None)

    course: Mapped[Course] = relationship(back_populates="lessons")
    body: Mapped[LessonBody | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, uselist=False, lazy="selectin"
    )
    checks: Mapped[list[LessonCheck]] = relationship(
        order_by="LessonCheck.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def content_md(self) -> str | None:
        """The lesson's Markdown (from its body row)."""
        return self.body.content_md if self.body else None

    @property
    def content_json(self) -> dict[str, Any] | None:
        """The lesson's structured sections (from its body row)."""
        return self.body.content_json if self.body else None


class LessonBody(Base):
    """The large text of a lesson, kept apart so lesson lists stay light."""

    __tablename__ = "lesson_bodies"

    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    content_md: Mapped[str] = mapped_column(Text)
    content_json: Mapped[dict[str, Any]] = mapped_column()


class LessonCheck(IdMixin, Base):
    """A question that checks understanding of a lesson, with its answer and source."""

    __tablename__ = "lesson_checks"
    __table_args__ = (Index("ix_lesson_checks_lesson", "lesson_id", "position"),)

    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(30))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class LessonVersion(IdMixin, Base):
    """An earlier version of a lesson, kept when an edit, a regeneration or a restore replaced
    it: `snapshot` holds its title, objectives, text, sources and checks (see
    `courses.editing.snapshot`); `reason` says what replaced it."""

    __tablename__ = "lesson_versions"
    __table_args__ = (UniqueConstraint("lesson_id", "number", name="uq_lesson_versions_number"),)

    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[dict[str, Any]] = mapped_column()
