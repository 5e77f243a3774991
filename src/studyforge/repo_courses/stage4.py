"""Stage 4: the chosen pathway's modules written (concurrently), stored as `module_content` and
as the course's lessons (so the course pages, exports and quizzes work on it unchanged), and
the course exported as files: course.json, course.md, course.html and course.zip.

Module text is written by `content.write_module` from the module's documents as stage 1 kept
them; the threads only compute, and the job's session stores every module at the end, so a
killed worker leaves no half-written course.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from studyforge.ai.offline.llm import OfflineLLM
from studyforge.config import Settings
from studyforge.courses import export
from studyforge.courses.models import Course, Lesson, LessonBody, LessonCheck
from studyforge.courses.render import Numbering, course_html, lesson_lines
from studyforge.courses.service import unique_slug
from studyforge.db import after_commit, utcnow
from studyforge.errors import AppError
from studyforge.jobs import JobContext
from studyforge.repo_courses.models import (
    AnalyzedDocument,
    GeneratedCourse,
    Module,
    ModuleContent,
    ModuleDocument,
    Pathway,
    RepositoryFile,
    Stage2Input,
    Stage3Input,
)
from studyforge.repo_courses.structure import DocStructure, parse

if TYPE_CHECKING:
    from studyforge.repo_courses.content import ModuleText

log = logging.getLogger(__name__)
MAX_CONCEPTS = 8
OFFLINE = OfflineLLM()


class StageFailed(AppError):
    """A stage that cannot succeed with these inputs (its message says why)."""

    code = "STAGE_FAILED"


def _module_inputs(
    ctx: JobContext, module: Module
) -> tuple[list[DocStructure], list[dict[str, Any] | None]]:
    """The module's documents, parsed from the text stage 1 kept, with their analyses."""
    session = ctx.session
    rows = session.execute(
        select(AnalyzedDocument, RepositoryFile.content, RepositoryFile.doc_format)
        .join(ModuleDocument, ModuleDocument.document_id == AnalyzedDocument.id)
        .join(
            RepositoryFile,
            (RepositoryFile.course_id == AnalyzedDocument.course_id)
            & (RepositoryFile.file_path == AnalyzedDocument.file_path),
        )
        .where(ModuleDocument.module_id == module.id)
        .order_by(ModuleDocument.position)
    ).all()
    structures = [parse(doc.file_path, text or "", fmt or "text") for doc, text, fmt in rows]
    return structures, [doc.analysis for doc, _, _ in rows]


def generate(
    ctx: JobContext, course_id: uuid.UUID, pathway_id: uuid.UUID, report: Callable[[int, str], None]
) -> dict[str, Any]:
    """Write every module of the pathway; returns the stage's figures."""
    from studyforge.repo_courses.content import write_module

    settings: Settings = ctx.services.settings
    session = ctx.session
    course = session.get_one(Course, course_id)
    pathway = session.get(Pathway, pathway_id)
    if pathway is None or pathway.course_id != course_id:
        raise StageFailed("The chosen pathway no longer exists; choose one again")
    modules = list(
        session.scalars(
            select(Module).where(Module.pathway_id == pathway_id).order_by(Module.sequence_order)
        )
    )
    level = session.get_one(Stage2Input, course_id).complexity_level
    info = session.get_one(Stage3Input, course_id).additional_info
    inputs = [_module_inputs(ctx, m) for m in modules]
    plans = [
        {
            "title": m.title,
            "description": m.description or "",
            "sequence_order": m.sequence_order,
            "learning_objectives": m.learning_objectives,
            "estimated_time": m.estimated_time,
        }
        for m in modules
    ]
    report(5, f"Writing {len(modules)} modules...")
    done = [0]

    def write(i: int) -> ModuleText:
        text = write_module(
            plans[i], inputs[i][0], inputs[i][1], complexity_level=level, additional_info=info
        )
        done[0] += 1
        report(
            5 + int(done[0] / max(len(modules), 1) * 85),
            f"Wrote module {done[0]} of {len(modules)}: {modules[i].title}",
        )
        return text

    with ThreadPoolExecutor(max_workers=settings.course_lesson_concurrency) as pool:
        texts = list(pool.map(write, range(len(modules))))
    report(92, "Saving the course...")
    _store(ctx, course, pathway, modules, texts, inputs)
    return {"modules": len(modules), "sources": sum(len(t.sources) for t in texts)}


def _store(
    ctx: JobContext,
    course: Course,
    pathway: Pathway,
    modules: list[Module],
    texts: list[ModuleText],
    inputs: list[tuple[list[DocStructure], Any]],
) -> None:
    session = ctx.session
    ids = [m.id for m in modules]
    session.execute(delete(ModuleContent).where(ModuleContent.module_id.in_(ids)))
    session.execute(delete(Lesson).where(Lesson.course_id == course.id))
    now = utcnow()
    for module, text, (_, analyses) in zip(modules, texts, inputs, strict=True):
        session.add(
            ModuleContent(
                module_id=module.id,
                introduction=text.introduction,
                main_content=text.main_content,
                conclusion=text.conclusion,
                assessment=text.assessment,
                summary=text.summary,
                sources=text.sources,
                generated_at=now,
            )
        )
        concepts = list(
            dict.fromkeys(c for a in analyses for c in (a or {}).get("key_concepts") or [])
        )
        lesson = Lesson(
            course_id=course.id,
            lesson_number=module.sequence_order,
            title=module.title,
            description=module.description or "",
            key_concepts=concepts[:MAX_CONCEPTS],
            learning_objectives=module.learning_objectives,
            sources=text.sources,
            generated_at=now,
            plan={"module_id": str(module.id), "templated": text.templated},
        )
        data = {
            "number": module.sequence_order,
            "title": module.title,
            "description": module.description,
            "objectives": module.learning_objectives,
            "concepts": lesson.key_concepts,
            "sections": text.sections,
            "summary": text.summary,
        }
        markdown = "\n".join(lesson_lines(data, Numbering(text.sources))).strip() + "\n"
        lesson.body = LessonBody(
            content_md=markdown, content_json={"sections": text.sections, "summary": text.summary}
        )
        lesson.checks = [
            LessonCheck(
                position=n,
                kind=c["kind"],
                question=c["question"],
                options=c.get("options") or [],
                answer=c["answer"],
                explanation=c.get("explanation") or "",
                source=c.get("source"),
            )
            for n, c in enumerate(text.checks)
        ]
        session.add(lesson)
    course.title = f"{course.repo_name}: {pathway.title}"[:300]
    course.slug = unique_slug(session, course, course.title)
    course.description = pathway.description
    course.num_lessons = len(modules)
    course.generated_at = now
    # The module text is the offline engine's whatever LLM is configured (stage 4 drafts nothing).
    course.provider, course.model = OFFLINE.name, OFFLINE.model
    # Each module numbers its sources from 1: the course's list says whose they are.
    course.sources = [
        {**s, "lesson_number": m.sequence_order}
        for m, t in zip(modules, texts, strict=True)
        for s in t.sources
    ]
    row = session.get(GeneratedCourse, course.id) or GeneratedCourse(course_id=course.id)
    row.pathway_id, row.status, row.generated_at = pathway.id, "completed", now
    row.export_path = export.course_dir(Path("courses"), course).as_posix()  # under the home
    session.add(row)
    session.flush()


def after_success(ctx: JobContext, course_id: uuid.UUID) -> None:
    """Write the export files once the course is committed (a failure never fails it)."""
    settings: Settings = ctx.services.settings

    def write() -> None:
        try:
            with ctx.sessions() as session:
                write_exports(settings.home / "courses", session.get_one(Course, course_id))
        except OSError as exc:
            log.warning("could not write the export files of course %s: %s", course_id, exc)

    after_commit(ctx.session, write)


def write_exports(root: Path, course: Course) -> Path:
    """course.json and course.md (as every course has), course.html, and course.zip of all
    three plus one Markdown file per module."""
    folder = export.write_files(root, course)
    html = course_html(course)
    (folder / "course.html").write_text(html, encoding="utf-8")
    (folder / "course.zip").write_bytes(export.course_zip(course, html=html))
    return folder
