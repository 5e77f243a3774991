"""Course generation tasks: outline, lesson content, checks. Each has an LLM prompt, an output
schema and an offline strategy that builds the same schema from the source passages only.

Inputs are plain dicts. A source is `{"index", "text", "path", "page", "heading"}`; `index` is
its position in the course's source list, which is what citations refer to.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from studyforge.ai.llm import Task
from studyforge.courses import offline, offline_lesson


class LessonPlan(BaseModel):
    """One lesson of the outline."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(max_length=2000)
    key_concepts: list[str] = Field(default_factory=list, max_length=12)
    learning_objectives: list[str] = Field(default_factory=list, max_length=8)
    sources: list[int] = Field(default_factory=list, description="indices of the sources used")


class Outline(BaseModel):
    """The course outline."""

    course_title: str = Field(min_length=1, max_length=300)
    description: str = Field(max_length=2000)
    lessons: list[LessonPlan] = Field(min_length=1, max_length=30)
    templated: list[str] = Field(default_factory=list, description="fields with fixed wording")


class Paragraph(BaseModel):
    """A paragraph, a code example (shown as a fenced block) or a list (one item a line,
    each with its marker), and the sources it rests on."""

    text: str = Field(min_length=1)
    citations: list[int] = Field(default_factory=list)
    kind: Literal["prose", "code", "list"] = "prose"
    lang: str | None = Field(None, max_length=40, description="code only: its language")
    drafted: bool = Field(False, description="worded by a local model (checked), not quoted")


class Section(BaseModel):
    """A part of a lesson; an empty heading means the lesson's own title covers it."""

    heading: str = Field("", max_length=300)
    paragraphs: list[Paragraph] = Field(min_length=1)


class LessonContent(BaseModel):
    """A lesson's text as structured sections."""

    sections: list[Section] = Field(min_length=1, max_length=12)
    summary: str = ""


class Check(BaseModel):
    """A question with its answer and the source that justifies it."""

    kind: Literal["multiple_choice", "true_false", "short_answer"]
    question: str = Field(min_length=1)
    options: list[str] = Field(default_factory=list)
    answer: str = Field(min_length=1)
    explanation: str = ""
    source: int | None = None


class Checks(BaseModel):
    """The questions of one lesson."""

    checks: list[Check] = Field(min_length=1, max_length=10)


def _sources_block(sources: list[dict[str, Any]], chars: int = 4000) -> str:
    if not sources:
        return "(No documents cover this topic: the course is marked as not grounded.)"
    return "\n\n".join(f"[{s['index']}] ({_where(s)}) {s['text'][:chars]}" for s in sources)


def _where(source: dict[str, Any]) -> str:
    """ "path, p. 3, Section title" for a source."""
    parts = [str(source["path"])]
    if source.get("page"):
        parts.append(f"p. {source['page']}")
    if source.get("heading"):
        parts.append(str(source["heading"]).rsplit(" > ", 1)[-1])
    return ", ".join(parts)


def _outline_prompt(inputs: dict[str, Any]) -> str:
    return (
        f"Plan a course on {inputs['topic']!r} for {inputs['grade_level']} with exactly "
        f"{inputs['num_lessons']} lessons. For each lesson give a title, a one-sentence "
        "description, 3-6 key concepts, 2-4 learning objectives and the numbers of the sources "
        "it should draw on. Use only the sources below.\n\n"
        + _sources_block(inputs["sources"], 300)
    )


def _lesson_prompt(inputs: dict[str, Any]) -> str:
    plan = json.dumps(inputs["lesson"], ensure_ascii=False)
    return (
        f"Write lesson {inputs['lesson_number']} of a {inputs['grade_level']} course on "
        f"{inputs['topic']!r}. Plan: {plan}. Write 3-5 sections of short paragraphs; list in "
        "`citations` the numbers of the sources each paragraph uses. State only facts found "
        "in the sources.\n\n" + _sources_block(inputs["sources"])
    )


def _checks_prompt(inputs: dict[str, Any]) -> str:
    content = json.dumps(inputs["content"], ensure_ascii=False)
    return (
        "Write 3 questions that check understanding of this lesson: multiple choice (4 "
        "options, `answer` is the correct option's text), true/false (answer 'True' or "
        "'False') or short answer. Give the supporting source number in `source`.\n\n"
        f"Lesson: {content}\n\nSources:\n" + _sources_block(inputs["sources"])
    )


SYSTEM = (
    "You are an expert curriculum designer. You write accurate, age-appropriate material and "
    "never state facts that are not in the provided sources."
)


def _draft(name: str) -> Any:
    """The local model's drafting step (imported late: drafting imports these schemas)."""

    def step(inputs: Any, output: Any, drafter: Any) -> Any:
        from studyforge.courses import drafting

        return getattr(drafting, name)(inputs, output, drafter)

    return step


OUTLINE = Task("courses.outline", Outline, SYSTEM, _outline_prompt, offline.outline,
               _draft("draft_outline"))  # fmt: skip
LESSON = Task("courses.lesson", LessonContent, SYSTEM, _lesson_prompt, offline_lesson.lesson,
              _draft("draft_lesson"))  # fmt: skip
CHECKS = Task("courses.checks", Checks, SYSTEM, _checks_prompt, offline_lesson.checks,
              _draft("draft_checks"))  # fmt: skip
