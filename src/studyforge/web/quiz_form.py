"""The "Make a quiz" form of the Quizzes pages: what it offers, what it sends as the API's
request, and what it says, field by field, when something is wrong.

The source is one `<select>`: a finished document (`doc:<id>`), a READY course
(`course:<id>`) or all your documents (`all`). The form is read with the API's own schema
(`QuizRequest`), so the page refuses exactly what `POST /quiz/generate` refuses; what the
quizzes service refuses afterwards (a source deleted meanwhile, still being read, too short
for that many questions) is shown on its field too (`service_error`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from studyforge.courses import service as courses
from studyforge.courses.models import CourseStatus
from studyforge.documents import service as documents
from studyforge.documents.models import Document, DocumentStatus
from studyforge.errors import AppError
from studyforge.quizzes.schemas import MAX_QUESTIONS, QuizRequest
from studyforge.web.course_form import form_int

ALL = "all"
LISTED = 200  # documents (and courses) the select offers at most
DIFFICULTIES = (("easy", "Easy"), ("medium", "Medium"), ("hard", "Hard"))
QUIZ_TYPES = (
    ("multiple_choice", "Multiple choice"),
    ("true_false", "True or false"),
    ("short_answer", "Short answer"),
    ("mixed", "Mixed"),
)
TYPE_LABELS = dict(QUIZ_TYPES)
FIELD_ERRORS = {
    "source": "Choose a document or a course from the list.",
    "num_questions": f"Choose a whole number of questions from 1 to {MAX_QUESTIONS}.",
    "difficulty": "Choose how hard the questions are: easy, medium or hard.",
    "quiz_type": "Choose a kind of question from the list.",
    "request_id": "This form has expired; please send it again.",
}
# What the service refuses, by the error's code: (field, message; None: the error's own).
SERVICE_ERRORS: dict[str, tuple[str, str | None]] = {
    "DOCUMENT_NOT_FOUND": ("source", "That document is no longer in your library. Choose another."),
    "COURSE_NOT_FOUND": ("source", "That course no longer exists. Choose another."),
    "SOURCE_NOT_READY": ("source", "That source is not ready yet: choose it once it is finished."),
    "NO_SOURCES": ("source", "There is no text in it to ask about. Choose another source."),
    "NOT_ENOUGH_MATERIAL": ("num_questions", None),
}


@dataclass(frozen=True)
class SourceOption:
    """One choice of the source select."""

    value: str
    label: str


@dataclass(frozen=True)
class Sources:
    """What the source select offers: finished documents and READY courses, newest first."""

    documents: list[SourceOption]
    courses: list[SourceOption]

    @property
    def empty(self) -> bool:
        return not self.documents and not self.courses


def source_choices(session: Session, user_id: uuid.UUID) -> Sources:
    """The user's finished documents and READY courses, as the select lists them."""
    stmt = documents.list_documents_stmt(user_id).where(Document.status == DocumentStatus.COMPLETED)
    docs = [SourceOption(f"doc:{d.id}", _named(d)) for d in session.scalars(stmt.limit(LISTED))]
    ready = courses.list_courses_stmt(user_id, CourseStatus.READY).limit(LISTED)
    listed = [SourceOption(f"course:{c.id}", c.title or c.topic) for c in session.scalars(ready)]
    return Sources(docs, listed)


def _named(doc: Document) -> str:
    """A document as the select names it: its file name, with its path when that says more."""
    return doc.filename if doc.path == doc.filename else f"{doc.filename} ({doc.path})"


DEFAULTS = {"source": "", "num_questions": "5", "difficulty": "medium",
            "quiz_type": "multiple_choice"}  # fmt: skip


@dataclass(frozen=True)
class FormState:
    """What the form shows: its fields as typed and what is wrong with them."""

    form: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    errors: dict[str, str] = field(default_factory=dict)


def source_value(document_id: uuid.UUID | None, course_id: uuid.UUID | None) -> str:
    """The select's value for a quiz's source (to preselect it, e.g. from a document page)."""
    if document_id is not None:
        return f"doc:{document_id}"
    return f"course:{course_id}" if course_id is not None else ALL


def _source(value: str) -> dict[str, Any] | None:
    """The request's source fields for the select's value; None for a value it never offers."""
    if value == ALL:
        return {}
    kind, _, raw = value.partition(":")
    names = {"doc": "document_id", "course": "course_id"}
    try:
        return {names[kind]: uuid.UUID(raw)} if kind in names else None
    except ValueError:
        return None


def parse(form: dict[str, str], request_id: str | None) -> QuizRequest | FormState:
    """The form as the API's request, or the form to show again with a message per field."""
    errors: dict[str, str] = {}
    source = _source(form.get("source", "").strip())
    if source is None:
        errors["source"] = FIELD_ERRORS["source"]
    payload = {
        **(source or {}),
        "num_questions": form_int(form.get("num_questions", "").strip()),
        "difficulty": form.get("difficulty", ""),
        "quiz_type": form.get("quiz_type", ""),
        "request_id": request_id,
    }
    try:
        req = QuizRequest.model_validate(payload)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "source"
            name = "source" if name in ("document_id", "course_id") else name
            errors[name] = FIELD_ERRORS.get(name, FIELD_ERRORS["source"])
        return FormState(form, errors)
    return FormState(form, errors) if errors else req


def service_error(form: dict[str, str], exc: AppError) -> FormState | None:
    """The form again with what the service refused on its field; None for another error."""
    known = SERVICE_ERRORS.get(exc.code)
    if known is None:
        return None
    name, message = known
    return FormState(form, {name: message or exc.message})
