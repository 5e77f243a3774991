"""Editing a course before publishing it: a lesson's edit, its regeneration, the lessons' order
and the versions a lesson keeps (HTTP I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from studyforge.courses.schemas import LessonOut
from studyforge.kit.limits import Integer, Text

TITLE_MAX = 300
DESCRIPTION_MAX = 2000
OBJECTIVE_MAX = 300
OBJECTIVES_MAX = 20
HEADING_MAX = 300
PARAGRAPH_MAX = 20_000
SUMMARY_MAX = 5000
SECTIONS_MAX = 30
PARAGRAPHS_MAX = 100
LESSONS_MAX = 100
Reason = Literal["edited", "regenerated", "restored"]


@dataclass(frozen=True)
class KeptText(Text):
    """`Text`'s rule, but the value is kept as sent (a code example's first line keeps its
    indentation); the service trims it by the paragraph's kind."""

    def _validate(self, value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> str:
        try:
            text: str = handler(value)
        except ValidationError as exc:
            if {e["type"] for e in exc.errors()} & {"string_pattern_mismatch", "string_unicode"}:
                raise PydanticCustomError("text_invalid", self.message) from None
            raise
        return text


class ParagraphOrigin(BaseModel):
    """Where a paragraph is in the lesson's current text (0-based, as in `content_json`)."""

    model_config = ConfigDict(extra="forbid")

    section: Integer = Field(ge=0, le=SECTIONS_MAX)
    paragraph: Integer = Field(ge=0, le=PARAGRAPHS_MAX)


class ParagraphEdit(BaseModel):
    """A paragraph of the edited text."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, KeptText(PARAGRAPH_MAX, multiline=True)]
    origin: ParagraphOrigin | None = Field(
        None,
        description="the paragraph of the current text this one is (edited or not): it keeps "
        "that paragraph's citations and kind (prose, list or code). Without it the paragraph "
        "is your own text: it cites nothing and is shown as not from the sources",
    )


class SectionEdit(BaseModel):
    """A section of the edited text; an empty heading shows none."""

    model_config = ConfigDict(extra="forbid")

    heading: Annotated[str, Text(HEADING_MAX, blank=True)] = ""
    paragraphs: list[ParagraphEdit] = Field(min_length=1, max_length=PARAGRAPHS_MAX)


class LessonEdit(BaseModel):
    """`PATCH` a lesson: the fields given replace the lesson's; absent or null ones stay."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Text(TITLE_MAX)] | None = None
    description: Annotated[str, Text(DESCRIPTION_MAX, multiline=True, blank=True)] | None = None
    learning_objectives: list[Annotated[str, Text(OBJECTIVE_MAX)]] | None = Field(
        None, max_length=OBJECTIVES_MAX
    )
    sections: list[SectionEdit] | None = Field(
        None,
        min_length=1,
        max_length=SECTIONS_MAX,
        description="the whole text, in order: each paragraph from the current text names its "
        "`origin`; a paragraph left out is removed",
    )
    summary: Annotated[str, Text(SUMMARY_MAX, multiline=True, blank=True)] | None = None
    revision: Annotated[str, Text(64)] | None = Field(
        None,
        description="the lesson's `revision` the edit was made on: if the lesson changed since "
        "(edited, regenerated or restored elsewhere), the edit is refused with 409",
    )


class EditableLesson(LessonOut):
    """A lesson with what editing it needs: when it was edited and its current revision."""

    edited_at: datetime | None
    revision: str = Field(description="send it back with an edit to refuse lost updates")


class RegenerateRequest(BaseModel):
    """`POST .../regenerate`."""

    model_config = ConfigDict(extra="forbid")

    replace_edits: bool = Field(
        False,
        strict=True,
        description="a lesson with your edits is regenerated only with this (else 409); the "
        "edited version is kept in the lesson's history",
    )


class LessonOrder(BaseModel):
    """The course's lessons in their new order: every lesson's id, once."""

    model_config = ConfigDict(extra="forbid")

    lesson_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=LESSONS_MAX, json_schema_extra={"uniqueItems": True}
    )

    @field_validator("lesson_ids")
    @classmethod
    def _once_each(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("each lesson may be listed once")
        return value


class LessonPlace(BaseModel):
    """A lesson's place in the course."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lesson_number: int
    title: str


class VersionSummary(BaseModel):
    """A kept version of a lesson: when it was replaced, by what, and what it was."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    created_at: datetime = Field(description="when it was replaced")
    reason: Reason = Field(description="what replaced it")
    title: str
    origin: Literal["generated", "edited"] = Field(
        description="generated: as the provider wrote it; edited: with your edits"
    )


class VersionOut(VersionSummary):
    """A kept version with its full content (title, objectives, text, sources, checks)."""

    snapshot: dict[str, Any]
