"""Course requests (HTTP and RabbitMQ share one schema) and responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from studyforge.courses.models import CourseStatus
from studyforge.courses.render import with_removed
from studyforge.kit.limits import Integer, Text

REMOVED = "removed"  # validation context key: ids of the documents deleted since generation
MAX_DOCUMENTS = 500  # chosen documents per course, as for a search


def _flag_removed(value: Any, info: ValidationInfo) -> Any:
    """Sources read from the database get `removed` (their document is gone) from the context."""
    removed = (info.context or {}).get(REMOVED)
    if removed is None:
        return value
    if isinstance(value, dict):
        return with_removed(value, removed)
    if isinstance(value, list):
        return [with_removed(s, removed) if isinstance(s, dict) else s for s in value]
    return value


class CourseRequest(BaseModel):
    """The specification's generation request (`user_id` comes from the token over HTTP).

    Text fields need a visible character and no control characters (`Text`); numbers and
    booleans are strict, so `true` is not 1 and `"4"` is not 4 (4.0 is, as in JSON Schema),
    over HTTP and RabbitMQ alike.
    """

    model_config = ConfigDict(extra="ignore")

    topic: Annotated[str, Text(300)]
    request_id: Annotated[str, Text(100)] | None = Field(
        None, description="the same id again (from the same user) returns the same course"
    )
    grade_level: Annotated[str, Text(50)] = "Grade 8"
    num_lessons: Integer = Field(4, ge=1, le=20)
    source_filter: Annotated[str, Text(500, blank=True)] | None = Field(
        None, description="only documents under this folder, e.g. `science/`"
    )
    document_ids: list[uuid.UUID] | None = Field(
        None,
        max_length=MAX_DOCUMENTS,
        description="only these of your documents (within `source_filter`, if given); absent, "
        "null or empty: every document. An id that is not one of your documents is a 422",
    )
    allow_ungrounded: bool = Field(
        False,
        strict=True,
        description="with an LLM configured: write the course even if no document covers the "
        "topic (it is then marked as not grounded); the offline engine always refuses",
    )

    @field_validator("source_filter")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("document_ids")
    @classmethod
    def _unique_or_none(cls, value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        # The same id twice is one choice; an empty choice is no restriction, as on the page.
        return list(dict.fromkeys(value or ())) or None


class BrokerCourseRequest(CourseRequest):
    """A request from RabbitMQ: `user_id` is required there (trusted on the broker side)."""

    user_id: uuid.UUID


class CourseQueued(BaseModel):
    """`POST /api/courses` answer."""

    course_id: uuid.UUID
    request_id: str
    status: CourseStatus
    job_id: uuid.UUID | None


class CheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    question: str
    options: list[str]
    answer: str
    explanation: str
    source: dict[str, Any] | None

    _removed = field_validator("source")(_flag_removed)


class LessonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lesson_number: int
    title: str
    description: str
    key_concepts: list[str]
    learning_objectives: list[str]
    content_md: str | None
    content_json: dict[str, Any] | None
    sources: list[dict[str, Any]]
    checks: list[CheckOut]
    generated_at: datetime | None

    _removed = field_validator("sources")(_flag_removed)


class CourseSummary(BaseModel):
    """A course in lists."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: str
    topic: str
    grade_level: str
    num_lessons: int
    source_filter: str | None
    document_ids: list[uuid.UUID] | None
    grounded: bool | None
    status: CourseStatus
    title: str | None
    slug: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    generated_at: datetime | None
    kind: str = Field("topic", description='"topic", or "repository" (the four-stage pipeline)')
    repo_url: str | None = None
    repo_status: str | None = Field(None, description="a repository course's stage, e.g. "
                                    "`stage2_complete`")  # fmt: skip


class CourseOut(CourseSummary):
    """A course with its lessons, sources and AI usage."""

    description: str | None
    provider: str | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    job_id: uuid.UUID | None
    sources: list[dict[str, Any]] | None
    lessons: list[LessonOut]

    _removed = field_validator("sources")(_flag_removed)
