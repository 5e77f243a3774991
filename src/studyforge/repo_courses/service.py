"""The repository pipeline's use cases: start (or start over), each stage's start and status,
the user's choices between stages, and the stages' results.

Each stage runs as a job (see `repo_courses.jobs`); `course_tasks` has one row per course and
stage naming that job. A stage may start only when the one before it succeeded (409
`STAGE_NOT_READY`), never while another stage of the course is running (409
`STAGE_RUNNING`); starting a stage again clears what it and the later stages produced, so a
course never mixes the results of two runs. The course's `repo_status` follows the
specification (draft, stage1_running, stage1_complete, ..., stage4_complete, stageN_failed).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from studyforge.courses.models import REPOSITORY_KIND, Course, CourseStatus, Lesson
from studyforge.courses.service import emit_status
from studyforge.db import utcnow
from studyforge.errors import AppError, Conflict, NotFound
from studyforge.jobs import enqueue
from studyforge.jobs.models import Job, JobStatus
from studyforge.repo_courses.models import (
    AnalyzedDocument,
    CourseTask,
    GeneratedCourse,
    Pathway,
    RepositoryFile,
    Stage1Selection,
    Stage2Input,
    Stage3Input,
    Stage3Selection,
)
from studyforge.storage import BlobStore

KIND = REPOSITORY_KIND
STAGES = ("stage1", "stage2", "stage3", "stage4")
JOB_KINDS = {
    "stage1": "repo_courses.clone",
    "stage2": "repo_courses.analyse",
    "stage3": "repo_courses.pathways",
    "stage4": "repo_courses.modules",
}
# The job's state as the specification's task status.
TASK_STATUS = {
    JobStatus.QUEUED: "PENDING",
    JobStatus.RUNNING: "STARTED",
    JobStatus.SUCCEEDED: "SUCCESS",
    JobStatus.FAILED: "FAILURE",
    JobStatus.CANCELLED: "FAILURE",
}
ACTIVE = {"PENDING", "STARTED", "RETRY"}


class RepoCourseNotFound(NotFound):
    code = "COURSE_NOT_FOUND"


class NotARepositoryCourse(Conflict):
    code = "NOT_A_REPOSITORY_COURSE"


class StageNotReady(Conflict):
    code = "STAGE_NOT_READY"


class StageRunning(Conflict):
    code = "STAGE_RUNNING"


class InvalidSelection(AppError):
    """Choices that name folders, documents or pathways the course does not have."""

    status = 422
    code = "INVALID_SELECTION"


def get_course(session: Session, course_id: uuid.UUID, user_id: uuid.UUID) -> Course:
    """The caller's repository course, or 404 (also for another user's)."""
    course = session.get(Course, course_id)
    if course is None or course.user_id != user_id:
        raise RepoCourseNotFound("Course not found")
    if not course.from_repository:
        raise NotARepositoryCourse("This course was not made from a repository")
    return course


def keep_archive(blobs: BlobStore, user_id: uuid.UUID, course_id: uuid.UUID, data: bytes) -> str:
    """Store an uploaded repository archive for stage 1; its blob key (built from ids only).
    Stage 1 deletes it once it has committed."""
    key = f"repo-archives/{user_id}/{course_id}/{uuid.uuid4().hex}"
    blobs.put(key, data)
    return key


def repo_name(url: str) -> str:
    """The repository's name from its URL ("https://host/org/click.git" -> "click")."""
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or url


def start_repository(
    session: Session,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    repo_url: str,
    archive_key: str | None = None,
) -> CourseTask:
    """Stage 1 on a new course (the id the client chose) or over again on one of the caller's
    repository courses. `archive_key`: an uploaded archive in the blob store, read instead of
    cloning `repo_url` (then a label for it)."""
    course = session.get(Course, course_id)
    if course is not None and course.user_id != user_id:
        raise RepoCourseNotFound("Course not found")
    name = repo_name(repo_url)
    if course is None:
        course = Course(
            id=course_id,
            user_id=user_id,
            request_id=f"repository:{course_id}",
            topic=name[:300],
            num_lessons=0,
            kind=KIND,
            repo_status="draft",
            status=CourseStatus.QUEUED,
        )
        try:
            with session.begin_nested():
                session.add(course)
        except IntegrityError:  # the same new id, sent twice at once
            raise StageRunning("This course is being started; wait for its first stage") from None
    elif not course.from_repository:
        raise NotARepositoryCourse("This course was not made from a repository")
    _check_idle(session, course)
    course.repo_url, course.repo_name, course.topic = repo_url, name[:300], name[:300]
    course.title = course.description = course.error_message = None
    return _start(session, course, "stage1", repo_url=repo_url, archive_key=archive_key)


def _check_idle(session: Session, course: Course) -> None:
    """409 while a stage runs. Takes the course row first, so two requests starting a stage
    at once are serialised: the second sees the first's task."""
    session.execute(update(Course).where(Course.id == course.id).values(updated_at=utcnow()))
    session.refresh(course)
    for stage in STAGES:
        status = stage_status(session, course, stage)
        if status["status"] in ACTIVE and status["task_id"] is not None:
            raise StageRunning(f"{stage} of this course is still running; wait for it to end")


def _require(session: Session, course: Course, stage: str) -> None:
    """409 unless `stage` succeeded and no stage is running."""
    _check_idle(session, course)
    if stage_status(session, course, stage)["status"] != "SUCCESS":
        number = stage.removeprefix("stage")
        raise StageNotReady(f"Stage {number} has not finished yet: run it first")


def _start(session: Session, course: Course, stage: str, **params: Any) -> CourseTask:
    clear_from(session, course, stage)
    job = enqueue(
        session, JOB_KINDS[stage], user_id=course.user_id, course_id=str(course.id), **params
    )
    task = CourseTask(
        course_id=course.id,
        stage=stage,
        task_id=job.id,
        status="PENDING",
        current_step="Waiting for a worker",
    )
    session.add(task)
    course.repo_status = f"{stage}_running"
    course.status = CourseStatus.GENERATING
    course.job_id = job.id
    session.flush()
    emit_status(session, course, course.repo_status, f"{stage} queued", stage=stage,
                task_id=str(job.id))  # fmt: skip
    return task


def clear_from(session: Session, course: Course, stage: str) -> None:
    """Delete what `stage` and the stages after it produced (their tasks too)."""
    later = STAGES[STAGES.index(stage) :]
    done = STAGES.index(stage) - 1  # the stage whose results stay
    course.repo_status = f"{STAGES[done]}_complete" if done >= 0 else "draft"
    course.status = CourseStatus.QUEUED
    session.execute(
        delete(CourseTask).where(CourseTask.course_id == course.id, CourseTask.stage.in_(later))
    )
    tables: dict[str, list[Any]] = {
        "stage1": [RepositoryFile, Stage1Selection],
        "stage2": [AnalyzedDocument, Stage2Input],
        "stage3": [Pathway, Stage3Input, Stage3Selection],
        "stage4": [GeneratedCourse],
    }
    for name in later:
        for table in tables[name]:
            session.execute(delete(table).where(table.course_id == course.id))
    if "stage4" in later:
        session.execute(delete(Lesson).where(Lesson.course_id == course.id))
        course.num_lessons, course.generated_at = 0, None


def stage_status(session: Session, course: Course, stage: str) -> dict[str, Any]:
    """The specification's status of a stage: its job's state, progress and error."""
    task = session.get(CourseTask, (course.id, stage))
    if task is None:
        return {
            "stage": stage,
            "task_id": None,
            "status": "PENDING",
            "progress": 0,
            "current_step": "Not started",
            "error_message": None,
        }
    job = session.get(Job, task.task_id)
    status, progress, step, error = (
        task.status,
        task.progress_percentage,
        task.current_step,
        (task.error_message),
    )
    if job is not None:
        status = TASK_STATUS[job.status]
        if job.status is JobStatus.QUEUED and job.attempts > 0:
            status = "RETRY"
        progress = 100 if status == "SUCCESS" else job.progress
        step = job.current_step or step
        error = job.error if status in ("FAILURE", "RETRY") else None
    return {
        "stage": stage,
        "task_id": task.task_id,
        "status": status,
        "progress": progress,
        "current_step": step,
        "error_message": error,
    }


def save_stage1_selections(
    session: Session, course: Course, folders: list[str], overview: str | None
) -> None:
    """Record which folders' documents to use (and the overview document)."""
    _require(session, course, "stage1")
    found = session.get_one(CourseTask, (course.id, "stage1")).metadata_ or {}
    known_folders = set(found.get("folders") or [])
    docs = set(
        session.scalars(
            select(RepositoryFile.file_path).where(
                RepositoryFile.course_id == course.id, RepositoryFile.is_documentation.is_(True)
            )
        )
    )
    chosen = list(dict.fromkeys(f.strip().strip("/") or "." for f in folders))
    unknown = [f for f in chosen if f not in known_folders]
    if unknown:
        raise InvalidSelection(
            "Not documentation folders of this repository: " + ", ".join(unknown[:5]),
            details={"unknown": unknown[:50]},
        )
    if overview is not None and overview not in docs:
        raise InvalidSelection(f"Not a documentation file of this repository: {overview}")
    if not selected_paths(docs, chosen, overview):
        raise InvalidSelection("The chosen folders hold no documentation files")
    clear_from(session, course, "stage2")
    session.execute(delete(Stage1Selection).where(Stage1Selection.course_id == course.id))
    session.add(
        Stage1Selection(course_id=course.id, selected_folders=chosen, overview_document=overview)
    )
    session.flush()


def in_folder(path: str, folder: str) -> bool:
    """Whether a file is in `folder` or below it ("." is the whole repository)."""
    return folder == "." or path.startswith(folder.rstrip("/") + "/")


def selected_paths(
    docs: set[str] | list[str], folders: list[str], overview: str | None = None
) -> list[str]:
    """The documentation files in the chosen folders (and the overview document), in path
    order."""
    return sorted(p for p in docs if p == overview or any(in_folder(p, f) for f in folders))


def start_analysis(session: Session, course: Course, level: str, info: str | None) -> CourseTask:
    """Stage 2: analyse every selected document."""
    _require(session, course, "stage1")
    if session.get(Stage1Selection, course.id) is None:
        raise StageNotReady("Choose the folders to use first (stage1-selections)")
    task = _start(session, course, "stage2")
    session.add(Stage2Input(course_id=course.id, complexity_level=level, additional_info=info))
    return task


def start_pathways(session: Session, course: Course, info: str | None) -> CourseTask:
    """Stage 3: offer learning pathways through the analysed documents."""
    _require(session, course, "stage2")
    task = _start(session, course, "stage3")
    session.add(Stage3Input(course_id=course.id, additional_info=info))
    return task


def select_pathway(session: Session, course: Course, pathway_id: uuid.UUID) -> None:
    """Record the chosen pathway (one of this course's)."""
    _require(session, course, "stage3")
    pathway = session.get(Pathway, pathway_id)
    if pathway is None or pathway.course_id != course.id:
        raise InvalidSelection("Not one of this course's pathways")
    clear_from(session, course, "stage4")
    session.execute(delete(Stage3Selection).where(Stage3Selection.course_id == course.id))
    session.add(Stage3Selection(course_id=course.id, selected_pathway_id=pathway_id))
    session.flush()


def start_course(session: Session, course: Course) -> CourseTask:
    """Stage 4: write the chosen pathway's modules."""
    _require(session, course, "stage3")
    chosen = session.get(Stage3Selection, course.id)
    if chosen is None or chosen.selected_pathway_id is None:
        raise StageNotReady("Choose a pathway first (stage3-selections)")
    pathway_id = chosen.selected_pathway_id
    task = _start(session, course, "stage4", pathway_id=str(pathway_id))
    session.add(GeneratedCourse(course_id=course.id, pathway_id=pathway_id, status="generating"))
    return task
