"""The repository pipeline's tables, with the specification's names and columns.

A repository course is a row of `courses` like any other (its `kind` is "repository"); these
tables hold what each stage found and what the user chose on the way:

- stage 1: `repository_files` (every folder and file of interest; documentation files keep
  their text, so a worker on another machine can run the later stages without the clone);
- stage 2: `stage1_selections` (folders, overview document), `stage2_inputs`,
  `analyzed_documents`;
- stage 3: `stage3_inputs`, `pathways` with their `modules` and `module_documents`;
- stage 4: `stage3_selections`, `module_content`, `generated_courses` (the course itself is
  also written as lessons, so its pages and exports are the usual ones);
- `course_tasks`: each stage's task, its status (PENDING/STARTED/SUCCESS/FAILURE/RETRY),
  progress, current step and error message, one row per course and stage.

Ids are UUIDs (the specification's TEXT ids, typed); list columns are JSON.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from studyforge.db import Base, IdMixin, utcnow

COURSE_FK = "courses.id"


def _course() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey(COURSE_FK, ondelete="CASCADE"), primary_key=True)


class CourseTask(Base):
    """A stage's task: which job runs it and how far it got."""

    __tablename__ = "course_tasks"

    course_id: Mapped[uuid.UUID] = _course()
    stage: Mapped[str] = mapped_column(String(10), primary_key=True)
    task_id: Mapped[uuid.UUID] = mapped_column()  # the job's id
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    progress_percentage: Mapped[int] = mapped_column(default=0)
    current_step: Mapped[str | None] = mapped_column(String(500), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class RepositoryFile(IdMixin, Base):
    """A folder or file of the repository (stage 1)."""

    __tablename__ = "repository_files"
    __table_args__ = (UniqueConstraint("course_id", "file_path", name="uq_repository_files_path"),)

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(COURSE_FK, ondelete="CASCADE"))
    file_path: Mapped[str] = mapped_column(String(1000))
    file_type: Mapped[str] = mapped_column(String(10))  # "folder" | "file"
    is_documentation: Mapped[bool] = mapped_column(default=False)
    is_overview_candidate: Mapped[bool] = mapped_column(default=False)
    file_size: Mapped[int | None] = mapped_column(default=None)
    doc_format: Mapped[str | None] = mapped_column(String(20), default=None)
    content: Mapped[str | None] = deferred(mapped_column(Text, default=None))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Stage1Selection(Base):
    """The folders whose documents the course uses, and the overview document."""

    __tablename__ = "stage1_selections"

    course_id: Mapped[uuid.UUID] = _course()
    selected_folders: Mapped[list[str]] = mapped_column()
    overview_document: Mapped[str | None] = mapped_column(String(1000), default=None)
    selected_at: Mapped[datetime] = mapped_column(default=utcnow)


class Stage2Input(Base):
    """How the documents are to be analysed."""

    __tablename__ = "stage2_inputs"

    course_id: Mapped[uuid.UUID] = _course()
    complexity_level: Mapped[str] = mapped_column(String(20))
    additional_info: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalyzedDocument(IdMixin, Base):
    """One selected document as stage 2 understood it (`analysis`: the whole analysis,
    including its outline, links and how it was made; `status` "analyzed" or "failed")."""

    __tablename__ = "analyzed_documents"
    __table_args__ = (Index("ix_analyzed_documents_course", "course_id", "file_path"),)

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(COURSE_FK, ondelete="CASCADE"))
    file_path: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str | None] = mapped_column(String(300), default=None)
    doc_type: Mapped[str | None] = mapped_column(String(30), default=None)
    complexity_level: Mapped[str | None] = mapped_column(String(20), default=None)
    key_concepts: Mapped[list[str]] = mapped_column(default=list)
    learning_objectives: Mapped[list[str]] = mapped_column(default=list)
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    prerequisites: Mapped[list[str]] = mapped_column(default=list)
    related_topics: Mapped[list[str]] = mapped_column(default=list)
    word_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="analyzed")
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    analyzed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Stage3Input(Base):
    """What the user asked of the pathways."""

    __tablename__ = "stage3_inputs"

    course_id: Mapped[uuid.UUID] = _course()
    additional_info: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pathway(IdMixin, Base):
    """One way through the documents (stage 3 offers several)."""

    __tablename__ = "pathways"
    __table_args__ = (Index("ix_pathways_course", "course_id", "position"),)

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(COURSE_FK, ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    complexity_level: Mapped[str | None] = mapped_column(String(20), default=None)
    estimated_duration: Mapped[str | None] = mapped_column(String(100), default=None)
    prerequisites: Mapped[list[str]] = mapped_column(default=list)
    templated: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Module(IdMixin, Base):
    """A step of a pathway; its documents are in `module_documents`."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("pathway_id", "sequence_order", name="uq_modules_order"),)

    pathway_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    sequence_order: Mapped[int] = mapped_column()
    learning_objectives: Mapped[list[str]] = mapped_column(default=list)
    estimated_time: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleDocument(Base):
    """A document of a module, in the module's reading order (`position`)."""

    __tablename__ = "module_documents"

    module_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("analyzed_documents.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(default=0)


class Stage3Selection(Base):
    """The pathway the user chose."""

    __tablename__ = "stage3_selections"

    course_id: Mapped[uuid.UUID] = _course()
    selected_pathway_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pathways.id", ondelete="SET NULL"), default=None
    )
    selected_at: Mapped[datetime] = mapped_column(default=utcnow)


class GeneratedCourse(Base):
    """Stage 4's result: which pathway it was written from and where the export is."""

    __tablename__ = "generated_courses"

    course_id: Mapped[uuid.UUID] = _course()
    pathway_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pathways.id", ondelete="SET NULL"), default=None
    )
    export_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    status: Mapped[str] = mapped_column(String(20), default="generating")
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleContent(Base):
    """A module's written content (Markdown, citations as [n] to its sources)."""

    __tablename__ = "module_content"

    module_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    introduction: Mapped[str | None] = mapped_column(Text, default=None)
    main_content: Mapped[str | None] = mapped_column(Text, default=None)
    conclusion: Mapped[str | None] = mapped_column(Text, default=None)
    assessment: Mapped[str | None] = mapped_column(Text, default=None)
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
