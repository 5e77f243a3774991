"""What each stage produced, read back for the API and the wizard page (409 until the stage
has succeeded)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.courses.models import Course
from studyforge.repo_courses.models import (
    AnalyzedDocument,
    CourseTask,
    GeneratedCourse,
    Module,
    ModuleContent,
    ModuleDocument,
    Pathway,
    RepositoryFile,
    Stage3Selection,
)
from studyforge.repo_courses.service import StageNotReady, stage_status

EXPORT_FORMATS = ("json", "md", "html", "zip")


def _succeeded(session: Session, course: Course, stage: str) -> CourseTask:
    if stage_status(session, course, stage)["status"] != "SUCCESS":
        raise StageNotReady(f"Stage {stage[-1]} has not finished yet")
    return session.get_one(CourseTask, (course.id, stage))


def repository_files(session: Session, course: Course) -> dict[str, Any]:
    """Stage 1: the documentation folders, every file and folder, the overview candidates."""
    meta = _succeeded(session, course, "stage1").metadata_ or {}
    files = session.scalars(
        select(RepositoryFile)
        .where(RepositoryFile.course_id == course.id)
        .order_by(RepositoryFile.file_path)
    ).all()
    return {
        "repo_url": course.repo_url,
        "repo_name": course.repo_name,
        "commit": meta.get("commit"),
        "folders": meta.get("folders") or [],
        "files": files,
        "overview_candidates": meta.get("overview_candidates") or [],
    }


def analyzed_documents(session: Session, course: Course) -> dict[str, Any]:
    """Stage 2: every selected document's analysis."""
    _succeeded(session, course, "stage2")
    docs = session.scalars(
        select(AnalyzedDocument)
        .where(AnalyzedDocument.course_id == course.id)
        .order_by(AnalyzedDocument.file_path)
    ).all()
    failed = sum(d.status == "failed" for d in docs)
    return {"documents": docs, "analyzed": len(docs) - failed, "failed": failed}


def pathways(session: Session, course: Course) -> dict[str, Any]:
    """Stage 3: the pathways, each with its ordered modules and their documents."""
    _succeeded(session, course, "stage3")
    rows = session.scalars(
        select(Pathway).where(Pathway.course_id == course.id).order_by(Pathway.position)
    ).all()
    ids = [p.id for p in rows]
    modules = session.scalars(
        select(Module)
        .where(Module.pathway_id.in_(ids))
        .order_by(Module.pathway_id, Module.sequence_order)
    ).all()
    docs = session.execute(
        select(
            ModuleDocument.module_id,
            AnalyzedDocument.id,
            AnalyzedDocument.file_path,
            AnalyzedDocument.title,
        )
        .join(AnalyzedDocument, AnalyzedDocument.id == ModuleDocument.document_id)
        .where(ModuleDocument.module_id.in_([m.id for m in modules]))
        .order_by(ModuleDocument.module_id, ModuleDocument.position)
    ).all()
    by_module: dict[Any, list[dict[str, Any]]] = {}
    for module_id, doc_id, path, title in docs:
        by_module.setdefault(module_id, []).append(
            {"id": doc_id, "file_path": path, "title": title}
        )
    by_pathway: dict[Any, list[dict[str, Any]]] = {}
    for m in modules:
        by_pathway.setdefault(m.pathway_id, []).append(
            {
                "id": m.id,
                "title": m.title,
                "description": m.description,
                "sequence_order": m.sequence_order,
                "learning_objectives": m.learning_objectives,
                "estimated_time": m.estimated_time,
                "documents": by_module.get(m.id, []),
            }
        )
    chosen = session.get(Stage3Selection, course.id)
    return {
        "pathways": [
            {
                "id": p.id,
                "key": p.key,
                "title": p.title,
                "description": p.description,
                "complexity_level": p.complexity_level,
                "estimated_duration": p.estimated_duration,
                "prerequisites": p.prerequisites,
                "templated": p.templated,
                "modules": by_pathway.get(p.id, []),
            }
            for p in rows
        ],
        "selected_pathway_id": chosen.selected_pathway_id if chosen else None,
    }


def generated_course(session: Session, course: Course) -> dict[str, Any]:
    """Stage 4: the modules' content and where the exports are."""
    _succeeded(session, course, "stage4")
    row = session.get_one(GeneratedCourse, course.id)
    contents = session.execute(
        select(Module, ModuleContent)
        .join(ModuleContent, ModuleContent.module_id == Module.id)
        .where(Module.pathway_id == row.pathway_id)
        .order_by(Module.sequence_order)
    ).all()
    base = f"/api/courses/{course.id}/export?format="
    return {
        "course_id": course.id,
        "title": course.title,
        "description": course.description,
        "pathway_id": row.pathway_id,
        "status": row.status,
        "export_path": row.export_path,
        "exports": {f: base + f for f in EXPORT_FORMATS},
        "generated_at": course.generated_at,
        "modules": [
            {
                "module_id": m.id,
                "sequence_order": m.sequence_order,
                "title": m.title,
                "introduction": c.introduction,
                "main_content": c.main_content,
                "conclusion": c.conclusion,
                "assessment": c.assessment,
                "summary": c.summary,
                "sources": c.sources,
            }
            for m, c in contents
        ],
    }
