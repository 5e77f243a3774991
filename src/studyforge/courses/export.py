"""The specification's Course Structure (course.json) and the backup files on disk."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from studyforge.courses.models import Course
from studyforge.courses.render import course_markdown


def course_document(course: Course) -> dict[str, Any]:
    """The course in the specification's `course.json` structure."""
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
            "lessons": (course.outline or {}).get("lessons", []),
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
                "content": lesson.content_md,
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
                "sources": lesson.sources,
                "generated_at": lesson.generated_at.isoformat() if lesson.generated_at else None,
            }
            for lesson in course.lessons
        ],
        "all_sources": course.sources or [],
    }


def course_dir(root: Path, course: Course) -> Path:
    """`<root>/<user id>/<slug>`: slugs are unique per user, so users never collide."""
    return root / str(course.user_id) / (course.slug or str(course.id))


def write_files(root: Path, course: Course) -> Path:
    """Write `course.json` and `course.md` atomically; returns the folder."""
    folder = course_dir(root, course)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic(folder / "course.json", json.dumps(course_document(course), indent=2, default=str))
    _atomic(folder / "course.md", course_markdown(course))
    return folder


def _atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
