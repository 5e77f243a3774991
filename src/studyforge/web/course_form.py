"""The course form of the Courses pages: what it sends, as the API's request, and its messages.

The form is read by a dependency (`posted_form`) rather than by `Form()` parameters, because
the picker's checkboxes have names of their own (`sources.choice_of`). What the schema refuses
is shown again as typed, with a message per field in the user's words (`FormState`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from studyforge.courses.models import Course
from studyforge.courses.schemas import MAX_DOCUMENTS, CourseRequest
from studyforge.web.sources import Choice, choice_of, load_picker

GRADES = ("Grade 5", "Grade 6", "Grade 7", "Grade 8", "Grade 9", "Grade 10", "Grade 11")
GRADES_MORE = ("Grade 12", "University", "Adult learners")
FORM_FIELDS = ("topic", "grade_level", "num_lessons", "source_filter")
FIELD_ERRORS = {
    "topic": "Write the topic on one line, in words (no control characters).",
    "grade_level": "Write the grade level on one line, in words (no control characters).",
    "num_lessons": "Choose a whole number of lessons from 1 to 20.",
    "source_filter": "The source folder can be at most 500 characters, on one line.",
    "document_ids": "Choose documents from the list, or none to use every document.",
    "request_id": "This form has expired; please send it again.",
}
UNKNOWN = (
    "Some of the documents you chose are no longer in your library, so they are unchecked. "
    "Check the list and send the form again."
)


@dataclass(frozen=True)
class FormState:
    """What the form shows: its fields, what is wrong with them, the documents checked."""

    form: dict[str, str] = field(
        default_factory=lambda: {"topic": "", "grade_level": "Grade 8", "num_lessons": "4"}
    )
    errors: dict[str, str] = field(default_factory=dict)
    chosen: Sequence[str] = ()

    @classmethod
    def of_course(cls, course: Course) -> FormState:
        """A course's request, to edit it."""
        form = {
            "topic": course.topic,
            "grade_level": course.grade_level,
            "num_lessons": str(course.num_lessons),
            "source_filter": course.source_filter or "",
        }
        return cls(form, {}, course.document_ids or ())

    def unknown(self, gone: Sequence[str]) -> FormState:
        """This form again with the documents that are not the user's unchecked, and why."""
        chosen = [i for i in self.chosen if i not in set(gone)]
        return FormState(self.form, {**self.errors, "document_ids": UNKNOWN}, chosen)


@dataclass(frozen=True)
class PostedForm:
    """A posted course form: its text fields as typed, and what the picker sent."""

    values: dict[str, str]
    choice: Choice

    def get(self, name: str) -> str:
        """A text field as typed (empty when absent)."""
        return self.values.get(name, "")

    def state(self, chosen: Sequence[str] = (), errors: dict[str, str] | None = None) -> FormState:
        """The form as typed, to show it again."""
        return FormState({name: self.get(name) for name in FORM_FIELDS}, errors or {}, chosen)


async def posted_form(request: Request) -> PostedForm:
    """The posted course form (a dependency, so that the handlers themselves stay sync)."""
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    return PostedForm(values, choice_of(values))


def parse(
    session: Session, user_id: uuid.UUID, posted: PostedForm, **extra: Any
) -> CourseRequest | FormState:
    """The form as the API's request (a checked folder is each document listed in it), or
    the form to show again with what the schema refused."""
    state = posted.state()
    chosen = posted.choice.ids(load_picker(session, user_id))
    grade = state.form["grade_level"]
    payload = {
        "topic": state.form["topic"],
        # absent or empty: the API's default (the page's field is `required` and prefilled)
        **({"grade_level": grade} if grade else {}),
        "num_lessons": form_int(state.form["num_lessons"].strip() or "4"),
        "source_filter": state.form["source_filter"],
        "document_ids": chosen,
        **extra,
    }
    try:
        return CourseRequest.model_validate(payload)
    except ValidationError as exc:
        errors = field_errors(exc, state.form)
        if chosen and len(chosen) > MAX_DOCUMENTS:
            errors["document_ids"] = (
                f"Choose at most {MAX_DOCUMENTS} documents (you chose {len(chosen)}), or none "
                "to use every document (or type a source folder)."
            )
        return posted.state(chosen or (), errors)


def field_errors(exc: ValidationError, form: dict[str, str]) -> dict[str, str]:
    """What is wrong with each refused field, in words: empty, too long, or not one line."""
    names = {str(err["loc"][0]) if err["loc"] else "topic" for err in exc.errors()}
    return {name: field_error(name, form.get(name, "")) for name in names}


def field_error(name: str, value: str) -> str:
    """The message for one refused field."""
    limits = {"topic": (300, "a topic", "“Volcanoes”"), "grade_level": (50, "a grade level",
              "Grade 8 or University")}  # fmt: skip
    if name not in limits:
        return FIELD_ERRORS.get(name, "This value is not valid.")
    limit, what, example = limits[name]
    if not value.strip():
        return f"Enter {what}, for example {example}."
    if len(value.strip()) > limit:
        return f"Shorten {what} to {limit} characters (this one has {len(value.strip())})."
    return FIELD_ERRORS[name]


def form_int(value: str) -> int | str:
    """A form's whole number (ASCII digits) as an int; anything else stays text, which the
    strict schema refuses."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else value
