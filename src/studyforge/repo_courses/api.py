"""`/api/courses/{course_id}/...`: the repository pipeline's endpoints, named as in the
specification. The client picks the new course's id (a UUID); `analyze-repository` on it
creates the draft course, and on one of the caller's repository courses starts it over.
Another user's course is a 404 on every endpoint."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from studyforge.auth.deps import CurrentUser
from studyforge.courses.models import Course
from studyforge.db import SessionDep
from studyforge.errors import AppError
from studyforge.openapi import errors
from studyforge.repo_courses import results, service
from studyforge.repo_courses.models import CourseTask
from studyforge.repo_courses.schemas import (
    AnalyzedDocuments,
    AnalyzeDocuments,
    AnalyzeRepository,
    GeneratedCourseOut,
    GeneratePathways,
    Pathways,
    RepositoryFiles,
    SelectionsSaved,
    Stage1Selections,
    Stage3Selections,
    StageStatus,
    TaskStarted,
)

router = APIRouter(prefix="/api/courses", tags=["repository courses"])
ARCHIVE_TYPES = (".zip", ".tar.gz", ".tgz")


def _course(course_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Course:
    return service.get_course(session, course_id, user.id)


RepoCourseDep = Annotated[Course, Depends(_course)]
STAGE_ERRORS = errors(
    {
        404: "not one of your courses",
        409: "the stage before has not succeeded, or a stage is running, or the course was not "
        "made from a repository",
    }
)
SELECTION_ERRORS = errors(
    {
        404: "not one of your courses",
        409: "the stage before has not succeeded, or a stage is running",
        422: "the choices name folders, documents or pathways the course does not have",
    }
)


class EmptyArchive(AppError):
    status = 422
    code = "EMPTY_ARCHIVE"


def _started(task: CourseTask) -> TaskStarted:
    return TaskStarted(task_id=task.task_id, course_id=task.course_id, stage=task.stage)


@router.post(
    "/{course_id}/analyze-repository",
    status_code=202,
    response_model=TaskStarted,
    responses=errors(
        {
            404: "another user's course",
            409: "a stage of this course is running, or it is not a repository course",
        }
    ),
)
def analyze_repository(
    course_id: uuid.UUID, body: AnalyzeRepository, session: SessionDep, user: CurrentUser
) -> TaskStarted:
    """Stage 1: clone the repository and find its documentation. A new `course_id` creates
    the draft course; one of your repository courses starts over (its results are cleared).
    A URL that cannot be used (a private address, another scheme, no such repository, too
    large) ends in a FAILURE status whose `error_message` says why."""
    url = body.repo_url.strip()
    return _started(service.start_repository(session, user.id, course_id, url))


@router.post(
    "/{course_id}/analyze-archive",
    status_code=202,
    response_model=TaskStarted,
    responses=errors(
        {404: "another user's course", 409: "a stage is running", 422: "an empty file"}
    ),
)
def analyze_archive(
    request: Request,
    course_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="a .zip or .tar.gz of the repository")],
) -> TaskStarted:
    """Stage 1 from an uploaded `.zip` or `.tar.gz` of a repository instead of a clone (told
    apart by their content; anything else ends the stage in FAILURE, saying so)."""
    data = file.file.read()
    if not data:
        raise EmptyArchive("The archive is empty: upload the repository as a .zip or .tar.gz")
    key = service.keep_archive(request.app.state.platform.blobs, user.id, course_id, data)
    label = (file.filename or "").strip().rsplit("/", 1)[-1]
    for suffix in ARCHIVE_TYPES:
        label = label.removesuffix(suffix)
    task = service.start_repository(session, user.id, course_id, label or "archive", key)
    return _started(task)


def _status(stage: str) -> Any:
    def read(course: RepoCourseDep, session: SessionDep) -> dict[str, Any]:
        return service.stage_status(session, course, stage)

    read.__doc__ = f"Stage {stage[-1]}'s task: status, progress, current step and error."
    return read


for _stage in service.STAGES:
    router.add_api_route(
        f"/{{course_id}}/{_stage}/status",
        _status(_stage),
        methods=["GET"],
        response_model=StageStatus,
        responses=STAGE_ERRORS,
        name=f"{_stage}_status",
        summary=f"{_stage.title()} status",
    )


@router.get("/{course_id}/repository-files", response_model=RepositoryFiles, responses=STAGE_ERRORS)
def repository_files(course: RepoCourseDep, session: SessionDep) -> dict[str, Any]:
    """What stage 1 found: documentation folders, every file, overview candidates."""
    return results.repository_files(session, course)


@router.post(
    "/{course_id}/stage1-selections", response_model=SelectionsSaved, responses=SELECTION_ERRORS
)
def stage1_selections(
    course: RepoCourseDep, body: Stage1Selections, session: SessionDep
) -> SelectionsSaved:
    """Choose the folders whose documents the course uses, and the overview document."""
    service.save_stage1_selections(session, course, body.selected_folders, body.overview_document)
    return SelectionsSaved(message="Selections saved", next_stage="stage2")


@router.post(
    "/{course_id}/analyze-documents",
    status_code=202,
    response_model=TaskStarted,
    responses=STAGE_ERRORS,
)
def analyze_documents(
    course: RepoCourseDep, body: AnalyzeDocuments, session: SessionDep
) -> TaskStarted:
    """Stage 2: analyse each selected document (title, type, level, concepts, objectives,
    summary, prerequisites, related topics, word count)."""
    info = (body.additional_info or "").strip() or None
    return _started(service.start_analysis(session, course, body.complexity_level, info))


@router.get(
    "/{course_id}/analyzed-documents", response_model=AnalyzedDocuments, responses=STAGE_ERRORS
)
def analyzed_documents(course: RepoCourseDep, session: SessionDep) -> dict[str, Any]:
    """Stage 2's analyses, in path order (a document that could not be analysed has
    `status: "failed"` and its reason)."""
    return results.analyzed_documents(session, course)


@router.post(
    "/{course_id}/generate-pathways",
    status_code=202,
    response_model=TaskStarted,
    responses=STAGE_ERRORS,
)
def generate_pathways(
    course: RepoCourseDep, body: GeneratePathways, session: SessionDep
) -> TaskStarted:
    """Stage 3: several learning pathways through the documents, each with ordered modules."""
    info = (body.additional_info or "").strip() or None
    return _started(service.start_pathways(session, course, info))


@router.get("/{course_id}/pathways", response_model=Pathways, responses=STAGE_ERRORS)
def pathways(course: RepoCourseDep, session: SessionDep) -> dict[str, Any]:
    """The pathways to choose from, each with its modules and their documents."""
    return results.pathways(session, course)


@router.post(
    "/{course_id}/stage3-selections", response_model=SelectionsSaved, responses=SELECTION_ERRORS
)
def stage3_selections(
    course: RepoCourseDep, body: Stage3Selections, session: SessionDep
) -> SelectionsSaved:
    """Choose the pathway the course follows."""
    service.select_pathway(session, course, body.selected_pathway_id)
    return SelectionsSaved(message="Selections saved", next_stage="stage4")


@router.post(
    "/{course_id}/generate-course",
    status_code=202,
    response_model=TaskStarted,
    responses=STAGE_ERRORS,
)
def generate_course(course: RepoCourseDep, session: SessionDep) -> TaskStarted:
    """Stage 4: write the chosen pathway's modules; the course then reads like any other
    (`GET /api/courses/{course_id}`, its pages and exports)."""
    return _started(service.start_course(session, course))


@router.get(
    "/{course_id}/generated-course", response_model=GeneratedCourseOut, responses=STAGE_ERRORS
)
def generated_course(course: RepoCourseDep, session: SessionDep) -> dict[str, Any]:
    """The course stage 4 wrote: each module's introduction, content, conclusion,
    assessment and summary, with its sources, and the export links."""
    return results.generated_course(session, course)
