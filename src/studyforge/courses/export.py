"""The specification's Course Structure (course.json) and the backup files on disk."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from studyforge.courses.models import Course, Lesson
from studyforge.courses.render import (
    Numbering,
    course_html,
    course_markdown,
    lesson_data,
    lesson_lines,
    with_removed,
)


def lesson_md(lesson: Lesson, removed: Collection[str] = ()) -> str:
    """The lesson's Markdown rendered now (numbering and removed sources as of this read)."""
    if lesson.content_json is None:
        return lesson.content_md or ""
    lines = lesson_lines(lesson_data(lesson), Numbering(lesson.sources, removed))
    return "\n".join(lines).strip() + "\n"


def lesson_sources(lesson: Lesson, removed: Collection[str] = ()) -> list[dict[str, Any]]:
    """The lesson's sources with their number (1..n, as in the text marks) and `removed` flag."""
    numbering = Numbering(lesson.sources, removed)
    return [{**with_removed(e.source, removed), "number": e.number} for e in numbering.entries]


def outline_lessons(course: Course) -> list[Any]:
    """The outline's lessons as the course has them now: each lesson's plan with its current
    title, description, concepts and objectives, in the current order (edits and moves show);
    entries of lessons not written (a failed course) follow as planned."""
    planned = list((course.outline or {}).get("lessons") or [])
    current = [
        {
            **(lesson.plan or {}),
            "title": lesson.title,
            "description": lesson.description,
            "key_concepts": lesson.key_concepts,
            "learning_objectives": lesson.learning_objectives,
        }
        for lesson in course.lessons
    ]
    return current + planned[len(current) :]


def course_document(course: Course, removed: Collection[str] = ()) -> dict[str, Any]:
    """The course in the specification's `course.json` structure (`removed`: deleted documents)."""
    stamp = course.generated_at.isoformat() if course.generated_at else None
    return {
        "metadata": {
            "title": course.title,
            "topic": course.topic,
            "grade_level": course.grade_level,
            "total_lessons": len(course.lessons),
            "generated_at": stamp,
            "course_id": str(course.id),
            "request_id": course.request_id,
            "provider": course.provider,
            "model": course.model,
        },
        "outline": {
            "course_title": course.title,
            "lessons": outline_lessons(course),
        },
        "lessons": [
            {
                "lesson_info": {
                    "lesson_number": lesson.lesson_number,
                    "title": lesson.title,
                    "description": lesson.description,
                    "key_concepts": lesson.key_concepts,
                    "learning_objectives": lesson.learning_objectives,
                },
                "content": lesson_md(lesson, removed),
                "content_json": lesson.content_json,
                "checks": [
                    {
                        "kind": c.kind,
                        "question": c.question,
                        "options": c.options,
                        "answer": c.answer,
                        "explanation": c.explanation,
                    }
                    for c in lesson.checks
                ],
                "sources": lesson_sources(lesson, removed),
                "generated_at": lesson.generated_at.isoformat() if lesson.generated_at else None,
            }
            for lesson in course.lessons
        ],
        "all_sources": [with_removed(s, removed) for s in course.sources or []],
    }


def course_zip(course: Course, removed: Collection[str] = (), html: str | None = None) -> bytes:
    """The course as a zip: course.json, course.md, course.html and lessons/NN.md."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        document = course_document(course, removed)
        archive.writestr("course.json", json.dumps(document, indent=2, default=str))
        archive.writestr("course.md", course_markdown(course, removed))
        archive.writestr("course.html", html if html is not None else course_html(course, removed))
        for lesson in course.lessons:
            archive.writestr(f"lessons/{lesson.lesson_number:02d}.md", lesson_md(lesson, removed))
    return buffer.getvalue()


def course_dir(root: Path, course: Course) -> Path:
    """`<root>/<user id>/<slug>`: slugs are unique per user, so users never collide."""
    return root / str(course.user_id) / (course.slug or str(course.id))


def write_files(root: Path, course: Course, removed: Collection[str] = ()) -> Path:
    """Write `course.json` and `course.md` atomically; returns the folder."""
    folder = course_dir(root, course)
    folder.mkdir(parents=True, exist_ok=True)
    document = course_document(course, removed)
    _atomic(folder / "course.json", json.dumps(document, indent=2, default=str))
    _atomic(folder / "course.md", course_markdown(course, removed))
    return folder


def _atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
