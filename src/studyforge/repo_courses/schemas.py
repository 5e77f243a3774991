"""Requests and replies of the repository pipeline, shaped as in the specification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from studyforge.kit.limits import Text

Level = Literal["beginner", "intermediate", "advanced"]
Info = Annotated[str, Text(2000, multiline=True, blank=True)]
Path = Annotated[str, Text(1000)]
TaskStatus = Literal["PENDING", "STARTED", "SUCCESS", "FAILURE", "RETRY"]


class AnalyzeRepository(BaseModel):
    """Stage 1: the repository to read (`https://`, `ssh://` or `git://`)."""

    model_config = ConfigDict(extra="forbid")

    repo_url: Annotated[str, Text(2000)] = Field(
        description="e.g. `https://github.com/pallets/click.git`"
    )


class TaskStarted(BaseModel):
    """A stage's task was queued."""

    task_id: uuid.UUID
    status: Literal["started"] = "started"
    course_id: uuid.UUID
    stage: str


class StageStatus(BaseModel):
    """A stage's progress (the job's SSE stream is at `/api/jobs/{task_id}/events`)."""

    stage: str
    task_id: uuid.UUID | None
    status: TaskStatus
    progress: int
    current_step: str | None
    error_message: str | None


class RepoFile(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    file_path: str
    file_type: Literal["folder", "file"]
    is_documentation: bool
    is_overview_candidate: bool
    file_size: int | None
    doc_format: str | None


class RepositoryFiles(BaseModel):
    """What stage 1 found: documentation folders and files, and overview candidates (best
    first)."""

    repo_url: str | None
    repo_name: str | None
    commit: str | None
    folders: list[str]
    files: list[RepoFile]
    overview_candidates: list[str]


class Stage1Selections(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selected_folders: list[Path] = Field(
        min_length=1,
        max_length=500,
        description='folders whose documents (and their subfolders\') the course uses; "." is '
        "the whole repository",
    )
    overview_document: Path | None = Field(
        None, description="the document that introduces the project (always used)"
    )


class SelectionsSaved(BaseModel):
    message: str
    next_stage: str


class AnalyzeDocuments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complexity_level: Level = "intermediate"
    additional_info: Info | None = None


class AnalyzedDocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    file_path: str
    title: str | None
    doc_type: str | None
    complexity_level: str | None
    key_concepts: list[str]
    learning_objectives: list[str]
    summary: str | None
    prerequisites: list[str]
    related_topics: list[str]
    word_count: int
    status: str
    error_message: str | None
    analyzed_at: datetime


class AnalyzedDocuments(BaseModel):
    documents: list[AnalyzedDocumentOut]
    analyzed: int
    failed: int


class GeneratePathways(BaseModel):
    model_config = ConfigDict(extra="forbid")

    additional_info: Info | None = None


class ModuleDocumentOut(BaseModel):
    id: uuid.UUID
    file_path: str
    title: str | None


class ModuleOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    sequence_order: int
    learning_objectives: list[str]
    estimated_time: str | None
    documents: list[ModuleDocumentOut]


class PathwayOut(BaseModel):
    id: uuid.UUID
    key: str
    title: str
    description: str | None
    complexity_level: str | None
    estimated_duration: str | None
    prerequisites: list[str]
    templated: list[str]
    modules: list[ModuleOut]


class Pathways(BaseModel):
    pathways: list[PathwayOut]
    selected_pathway_id: uuid.UUID | None


class Stage3Selections(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selected_pathway_id: uuid.UUID


class ModuleContentOut(BaseModel):
    module_id: uuid.UUID
    sequence_order: int
    title: str
    introduction: str | None
    main_content: str | None
    conclusion: str | None
    assessment: str | None
    summary: str | None
    sources: list[dict[str, Any]]


class GeneratedCourseOut(BaseModel):
    """Stage 4's course: its modules' content, and where its exports are."""

    course_id: uuid.UUID
    title: str | None
    description: str | None
    pathway_id: uuid.UUID | None
    status: str
    export_path: str | None = Field(None, description="the export files, under the server's home")
    exports: dict[str, str]
    generated_at: datetime | None
    modules: list[ModuleContentOut]
