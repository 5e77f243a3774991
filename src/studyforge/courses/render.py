"""Course text formats: a lesson's Markdown, the whole course as Markdown or HTML."""

from __future__ import annotations

from html import escape
from typing import Any

from studyforge.courses.models import Course


def cite(source: dict[str, Any]) -> str:
    """ "path, p. N, heading" for a source."""
    parts = [str(source.get("path") or source.get("filename") or "source")]
    if source.get("page"):
        parts.append(f"p. {source['page']}")
    if source.get("heading"):
        parts.append(str(source["heading"]))
    return ", ".join(parts)


def lesson_markdown(
    number: int, plan: Any, content: Any, sources: dict[int, dict[str, Any]]
) -> str:
    """A lesson as Markdown: sections with [n] citations and the numbered source list."""
    lines = [f"# Lesson {number}: {plan.title}", "", plan.description, ""]
    if plan.learning_objectives:
        lines += ["**Learning objectives**", ""]
        lines += [f"- {o}" for o in plan.learning_objectives] + [""]
    for section in content.sections:
        lines += [f"## {section.heading}", ""]
        for paragraph in section.paragraphs:
            marks = "".join(f"[{i + 1}]" for i in paragraph.citations if i in sources)
            lines += [f"{paragraph.text} {marks}".rstrip(), ""]
    if content.summary:
        lines += ["## Summary", "", content.summary, ""]
    if sources:
        lines += ["## Sources", ""]
        lines += [f"{i + 1}. {cite(s)}" for i, s in sorted(sources.items())]
    return "\n".join(lines).strip() + "\n"


def course_markdown(course: Course) -> str:
    """The whole course as one Markdown document."""
    lines = [f"# {course.title or course.topic}", "", f"*{course.grade_level}*", ""]
    if course.description:
        lines += [course.description, ""]
    for lesson in course.lessons:
        lines += [(lesson.content_md or f"# Lesson {lesson.lesson_number}: {lesson.title}"), ""]
        if lesson.checks:
            lines += ["### Check your understanding", ""]
            for n, check in enumerate(lesson.checks, start=1):
                lines.append(f"{n}. {check.question}")
                lines += [f"   - {option}" for option in check.options]
                lines.append(f"   - *Answer:* {check.answer}")
            lines.append("")
    return "\n".join(lines).strip() + "\n"


def course_html(course: Course) -> str:
    """The course as a standalone HTML page (all text escaped)."""
    out = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(course.title or course.topic)}</title></head><body>",
        f"<h1>{escape(course.title or course.topic)}</h1>",
        f"<p><em>{escape(course.grade_level)}</em></p>",
    ]
    if course.description:
        out.append(f"<p>{escape(course.description)}</p>")
    for lesson in course.lessons:
        out.append(f"<h2>Lesson {lesson.lesson_number}: {escape(lesson.title)}</h2>")
        out.append(f"<p>{escape(lesson.description)}</p>")
        for section in (lesson.content_json or {}).get("sections", []):
            out.append(f"<h3>{escape(section['heading'])}</h3>")
            for paragraph in section["paragraphs"]:
                marks = "".join(f"[{i + 1}]" for i in paragraph.get("citations", []))
                out.append(f"<p>{escape(paragraph['text'])} <sup>{marks}</sup></p>")
        if lesson.sources:
            out.append("<ol class='sources'>")
            out += [f"<li value='{s['index'] + 1}'>{escape(cite(s))}</li>" for s in lesson.sources]
            out.append("</ol>")
    out.append("</body></html>")
    return "\n".join(out)
