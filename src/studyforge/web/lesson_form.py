"""The lesson editor's form: the lesson as fields, what they send as the API's edit, and what
is wrong with them in the teacher's words.

Each section is a heading and its paragraphs in order, one textarea each (`s<i>-p<j>`, code in
a monospace one that keeps its line breaks), then a box for a paragraph of the teacher's own
(`s<i>-new`); a new section can follow (`new-heading`, `new-text`). A paragraph emptied is
removed; one kept, changed or not, keeps its citations (its `origin`); one added cites nothing.
The positions are those of the revision the form was opened on (`revision`), which the edit
names, so a lesson changed meanwhile is never edited by stale positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from fastapi import Request
from pydantic import TypeAdapter, ValidationError

from studyforge.courses import editing
from studyforge.courses.editing_schemas import (
    DESCRIPTION_MAX,
    HEADING_MAX,
    OBJECTIVE_MAX,
    OBJECTIVES_MAX,
    PARAGRAPH_MAX,
    PARAGRAPHS_MAX,
    SECTIONS_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    KeptText,
    LessonEdit,
)
from studyforge.courses.models import Lesson
from studyforge.courses.render import code_lang
from studyforge.kit.limits import Text
from studyforge.web.courses import SourceRef

TOO_MANY = (
    f"A lesson can have at most {SECTIONS_MAX} sections of {PARAGRAPHS_MAX} paragraphs each; "
    "remove some, or put them in fewer sections."
)
NO_TEXT = "Keep at least one paragraph: a lesson needs some text."
NEW_HEADING_ALONE = "Write the new section's first paragraph, or leave its heading empty."


@dataclass
class FormParagraph:
    """A paragraph's textarea: its field name, text, kind and the sources it cites."""

    name: str
    text: str
    kind: str = "prose"
    lang: str | None = None
    cites: list[SourceRef] = field(default_factory=list)
    own: bool = False

    @property
    def rows(self) -> int:
        """A textarea tall enough for the text (code: every line), within reason."""
        lines = self.text.count("\n") + 2
        if self.kind == "code":
            return max(4, min(lines, 40))
        return max(3, min(max(lines, len(self.text) // 70 + 2), 16))


@dataclass
class FormSection:
    """A section's heading field, its paragraphs and the box for a paragraph of one's own."""

    number: int
    heading: str
    paragraphs: list[FormParagraph]
    new: str = ""

    @property
    def prefix(self) -> str:
        return f"s{self.number - 1}"


@dataclass
class LessonForm:
    """The editor's fields (as stored, or as sent back) and what is wrong with them."""

    title: str
    description: str
    objectives: str
    sections: list[FormSection]
    summary: str
    revision: str
    new_heading: str = ""
    new_text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def lesson_form(lesson: Lesson, refs: dict[int, SourceRef]) -> LessonForm:
    """The lesson as the editor shows it."""
    content = lesson.content_json or {}
    sections = []
    for i, raw in enumerate(content.get("sections") or []):
        paragraphs = []
        for j, para in enumerate(raw.get("paragraphs") or []):
            kind = para.get("kind") if para.get("kind") in ("code", "list") else "prose"
            cited = dict.fromkeys(c for c in para.get("citations") or [] if c in refs)
            paragraphs.append(
                FormParagraph(
                    f"s{i}-p{j}",
                    str(para.get("text") or ""),
                    kind,
                    code_lang(para.get("lang")) or None,
                    [refs[c] for c in cited],
                    para.get("author") == editing.TEACHER,
                )
            )
        sections.append(FormSection(i + 1, str(raw.get("heading") or ""), paragraphs))
    return LessonForm(
        title=lesson.title,
        description=lesson.description,
        objectives="\n".join(lesson.learning_objectives),
        sections=sections,
        summary=str(content.get("summary") or ""),
        revision=editing.revision(lesson),
    )


async def posted_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields, line breaks as `\\n` (a dependency: handlers stay sync)."""
    form = await request.form()
    return {
        key: value.replace("\r\n", "\n").replace("\r", "\n")
        for key, value in form.items()
        if isinstance(value, str)
    }


@cache
def _adapter(rule: Text) -> TypeAdapter[str]:
    return TypeAdapter(Annotated[str, rule])


def text_error(value: str, rule: Text, what: str, example: str = "") -> str | None:
    """What is wrong with a text field, in words: empty, too long, or control characters."""
    try:
        _adapter(rule).validate_python(value)
    except ValidationError:
        if not value.strip():
            return f"Enter {what}" + (f", for example {example}" if example else "") + "."
        if len(value) > rule.max_length:
            return f"Shorten {what} to {rule.max_length} characters (it has {len(value)})."
        if rule.multiline:
            return f"Remove the control characters from {what} (tabs and line breaks are fine)."
        return f"Write {what} on one line, in words (no control characters)."
    return None


TITLE = Text(TITLE_MAX)
DESCRIPTION = Text(DESCRIPTION_MAX, multiline=True, blank=True)
OBJECTIVE = Text(OBJECTIVE_MAX)
HEADING = Text(HEADING_MAX, blank=True)
PARAGRAPH = KeptText(PARAGRAPH_MAX, multiline=True)
SUMMARY = Text(SUMMARY_MAX, multiline=True, blank=True)


def _check(errors: dict[str, str], name: str, value: str, rule: Text, what: str) -> None:
    example = "“How volcanoes erupt”" if name == "title" else ""
    message = text_error(value, rule, what, example)
    if message:
        errors[name] = message


def read_form(stored: LessonForm, sent: dict[str, str]) -> LessonForm:
    """The form as sent, over the stored one (a field not sent keeps its stored value)."""
    sections = [
        FormSection(
            section.number,
            sent.get(f"{section.prefix}-heading", section.heading),
            [
                FormParagraph(p.name, sent.get(p.name, p.text), p.kind, p.lang, p.cites, p.own)
                for p in section.paragraphs
            ],
            sent.get(f"{section.prefix}-new", ""),
        )
        for section in stored.sections
    ]
    return LessonForm(
        title=sent.get("title", stored.title),
        description=sent.get("description", stored.description),
        objectives=sent.get("objectives", stored.objectives),
        sections=sections,
        summary=sent.get("summary", stored.summary),
        revision=sent.get("revision", stored.revision),
        new_heading=sent.get("new-heading", ""),
        new_text=sent.get("new-text", ""),
    )


def _objectives(form: LessonForm, errors: dict[str, str]) -> list[str]:
    lines = [line.strip() for line in form.objectives.split("\n") if line.strip()]
    if len(lines) > OBJECTIVES_MAX:
        errors["objectives"] = (
            f"Keep at most {OBJECTIVES_MAX} objectives (this list has {len(lines)})."
        )
    for n, line in enumerate(lines, start=1):
        message = text_error(line, OBJECTIVE, f"objective {n}")
        if message:
            errors.setdefault("objectives", message)
    return lines


def _sections(form: LessonForm, errors: dict[str, str]) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for i, section in enumerate(form.sections):
        what = f"section {section.number}"
        _check(
            errors, f"{section.prefix}-heading", section.heading, HEADING, f"the heading of {what}"
        )
        paragraphs: list[dict[str, Any]] = []
        for j, para in enumerate(section.paragraphs):
            if para.text.strip():
                _check(errors, para.name, para.text, PARAGRAPH, f"paragraph {j + 1} of {what}")
                paragraphs.append({"text": para.text, "origin": {"section": i, "paragraph": j}})
        if section.new.strip():
            _check(errors, f"{section.prefix}-new", section.new, PARAGRAPH, "your new paragraph")
            paragraphs.append({"text": section.new})
        if paragraphs:
            sections.append({"heading": section.heading.strip(), "paragraphs": paragraphs})
    if form.new_text.strip():
        _check(errors, "new-heading", form.new_heading, HEADING, "the new section's heading")
        _check(errors, "new-text", form.new_text, PARAGRAPH, "the new section's paragraph")
        sections.append(
            {"heading": form.new_heading.strip(), "paragraphs": [{"text": form.new_text}]}
        )
    elif form.new_heading.strip():
        errors["new-text"] = NEW_HEADING_ALONE
    return sections


def parse_edit(form: LessonForm) -> LessonEdit | None:
    """The form as the API's edit; None when a field is wrong (`form.errors` says which)."""
    errors = form.errors
    _check(errors, "title", form.title, TITLE, "a title")
    _check(errors, "description", form.description, DESCRIPTION, "the description")
    _check(errors, "summary", form.summary, SUMMARY, "the summary")
    objectives = _objectives(form, errors)
    sections = _sections(form, errors)
    if not sections:
        errors["text"] = NO_TEXT
    if errors:
        return None
    payload = {
        "title": form.title,
        "description": form.description,
        "learning_objectives": objectives,
        "sections": sections,
        "summary": form.summary,
        "revision": form.revision or None,
    }
    try:
        return LessonEdit.model_validate(payload)
    except ValidationError:
        errors["text"] = TOO_MANY
        return None
