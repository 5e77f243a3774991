"""Project use cases: start (idempotent), read, list, delete, regenerate; the run's events.

Every query is scoped to the owner: another user's project or run is `ProjectNotFound` (404).
A run's events go to the outbox with `stream_id = run_id` (brokers get them through the relay,
SSE clients read the same rows); `SSE_NAMES` maps their types to the SSE event names.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from studyforge.config import Settings
from studyforge.errors import Conflict, NotFound
from studyforge.events.service import emit
from studyforge.jobs import enqueue
from studyforge.projects.models import Project
from studyforge.projects.runlog import RunLog
from studyforge.projects.schemas import StartRequest
from studyforge.projects.spec import Meta, ProjectSpec

JOB = "projects.generate"
FINAL = ("complete", "error")
REDACTED_EMAIL = "redacted@example.com"
SSE_NAMES = {
    "project.started": "run_started",
    "project.section_started": "section_started",
    "project.section_completed": "section_completed",
    "project.completed": "run_completed",
    "project.failed": "error",
}


class ProjectNotFound(NotFound):
    """No such project or run of yours."""

    code = "PROJECT_NOT_FOUND"


class StillRunning(Conflict):
    """Regenerate while the current run is still generating."""

    code = "PROJECT_RUNNING"


def logs_url(project_id: str, chat_id: str) -> str:
    """Where the owner downloads the current run's CSV log."""
    from urllib.parse import quote

    return f"/projects/{quote(project_id, safe='')}/logs.csv?chat_id={quote(chat_id, safe='')}"


def initial_spec(project: Project, meta: Meta) -> dict[str, Any]:
    """The proj.v1 document of a run that has just been queued (status planning)."""
    spec = ProjectSpec(run_id=str(project.run_id), chat_id=project.chat_id, meta=meta)
    spec.logs.csv_url = logs_url(project.project_id, project.chat_id)
    spec.logs.events_replayable = True
    return spec.model_dump(mode="json")


def announce(session: Session, project: Project, type: str, **data: Any) -> None:
    """Emit a run event (outbox, stream = run) carrying run_id and project_id."""
    payload = {
        "run_id": str(project.run_id),
        "project_id": project.project_id,
        "chat_id": project.chat_id,
        **data,
    }
    emit(session, type, payload, stream_id=project.run_id, user_id=project.user_id)


def _queue(session: Session, project: Project) -> None:
    announce(session, project, "project.started", status="planning")
    enqueue(
        session,
        JOB,
        user_id=project.user_id,
        project_pk=str(project.id),
        run_id=str(project.run_id),
    )


def _find(session: Session, user_id: uuid.UUID, project_id: str, chat_id: str) -> Project | None:
    return session.scalar(
        select(Project).where(
            Project.user_id == user_id, Project.project_id == project_id, Project.chat_id == chat_id
        )
    )


def start(session: Session, user_id: uuid.UUID, body: StartRequest) -> tuple[Project, bool]:
    """The project's run: `(project, True)` when queued now, `(existing, False)` when this
    (project_id, chat_id) was started before. Concurrent starts meet the unique constraint:
    the loser's insert fails and it reads the winner's row."""
    existing = _find(session, user_id, body.project_id, body.chat_id)
    if existing is not None:
        return existing, False
    meta = Meta(
        topic=body.topic,
        life_skill=body.life_skill,
        group_size=body.group_size,
        duration_min=body.duration_min,
        owner_email=REDACTED_EMAIL,
    )
    project = Project(
        user_id=user_id,
        project_id=body.project_id,
        chat_id=body.chat_id,
        run_id=uuid.uuid4(),
        title=body.title,
        status="planning",
    )
    project.spec_json = initial_spec(project, meta)
    try:
        with session.begin_nested():
            session.add(project)
            session.flush()
    except IntegrityError:
        winner = _find(session, user_id, body.project_id, body.chat_id)
        if winner is None:
            raise
        return winner, False
    _queue(session, project)
    return project, True


def regenerate(session: Session, settings: Settings, project: Project) -> Project:
    """A new run of the same request: new run_id, the document reset, a new job; the old run's
    logs are removed (`logs.csv_url` only ever serves the current run's). Raises StillRunning
    while the current run is generating."""
    if project.status not in FINAL:
        raise StillRunning("The current run is still generating")
    meta = Meta.model_validate(project.spec_json["meta"])
    RunLog(settings, project.run_id).remove()
    project.run_id, project.status = uuid.uuid4(), "planning"
    project.spec_json = initial_spec(project, meta)
    session.flush()
    _queue(session, project)
    return project


def owned(user_id: uuid.UUID, project_id: str, chat_id: str | None = None) -> Select[Any]:
    """The caller's rows of `project_id` (of one chat with `chat_id`), newest first."""
    stmt = select(Project).where(Project.user_id == user_id, Project.project_id == project_id)
    if chat_id is not None:
        stmt = stmt.where(Project.chat_id == chat_id)
    return stmt.order_by(Project.created_at.desc(), Project.id)


def get_project(
    session: Session, user_id: uuid.UUID, project_id: str, chat_id: str | None = None
) -> Project:
    """The caller's project (the newest chat's when `chat_id` is not given)."""
    project = session.scalars(owned(user_id, project_id, chat_id).limit(1)).first()
    if project is None:
        raise ProjectNotFound("No such project")
    return project


def get_run(session: Session, user_id: uuid.UUID, run_id: uuid.UUID) -> Project:
    """The caller's project whose current run is `run_id`."""
    project = session.scalar(
        select(Project).where(Project.run_id == run_id, Project.user_id == user_id)
    )
    if project is None:
        raise ProjectNotFound("No such run")
    return project


def list_stmt(user_id: uuid.UUID) -> Select[Any]:
    """The caller's projects, newest first."""
    return (
        select(Project)
        .where(Project.user_id == user_id)
        .order_by(Project.created_at.desc(), Project.id)
    )


def delete_projects(
    session: Session, user_id: uuid.UUID, project_id: str, chat_id: str | None = None
) -> list[uuid.UUID]:
    """Delete the caller's rows of `project_id`; returns their run ids (a running job finds
    its row gone and stops). Raises ProjectNotFound when there are none."""
    rows = list(session.scalars(owned(user_id, project_id, chat_id)))
    if not rows:
        raise ProjectNotFound("No such project")
    runs = [row.run_id for row in rows]
    session.execute(delete(Project).where(Project.id.in_([row.id for row in rows])))
    return runs
