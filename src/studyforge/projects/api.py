"""Project endpoints, paths as the specification names them: `POST /start`,
`GET /events/stream?run_id=`, `GET /status/{project_id}`; plus `GET /projects` (your list),
`DELETE /projects/{project_id}`, `POST /projects/{project_id}/regenerate` and the run log
`GET /projects/{project_id}/logs.csv`. Another user's project, run or log is 404."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.db import SessionDep
from studyforge.events.models import OutboxEvent
from studyforge.events.service import stream_after
from studyforge.events.sse import AfterQuery, LastEventIdHeader, sse_response, start_after
from studyforge.kit.limits import Text
from studyforge.kit.pagination import PageDep, paginate
from studyforge.openapi import TEXT, EventStream, content, errors
from studyforge.projects import service
from studyforge.projects.models import Project
from studyforge.projects.runlog import RunLog, remove_runs
from studyforge.projects.schemas import (
    ProjectDeleted,
    ProjectList,
    ProjectSummary,
    RunStarted,
    StartRequest,
)
from studyforge.projects.service import FINAL, SSE_NAMES

router = APIRouter(tags=["projects"])
ProjectIdPath = Annotated[str, Path(max_length=200, pattern=r"^[^/]+$")]
ChatQuery = Annotated[Annotated[str, Text(200)] | None, Query(description="one chat's project")]
NOT_YOURS = {404: "no such project of yours"}


@router.post(
    "/start",
    status_code=202,
    response_model=RunStarted,
    responses={200: {"model": RunStarted, "description": "started before: the same run_id"}},
)
def start(
    body: StartRequest, response: Response, session: SessionDep, user: CurrentUser
) -> RunStarted:
    """Queue the generation of a classroom project; 202 with its `run_id`, or 200 with the
    same `run_id` when this (project_id, chat_id) was started before (also under concurrent
    calls). Follow `GET /events/stream?run_id=`; read the result at `GET /status/{project_id}`.
    `owner_email` is stored redacted and never logged."""
    project, created = service.start(session, user.id, body)
    if not created:
        response.status_code = 200
    return RunStarted(run_id=project.run_id)


def _shape(item: dict[str, object]) -> tuple[str, dict[str, object]]:
    data = dict(item["data"]) if isinstance(item["data"], dict) else {}
    data["event_id"] = item["seq"]
    return SSE_NAMES.get(str(item["type"]), str(item["type"])), data


def _run_project(run_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> uuid.UUID:
    """The primary key of the caller's project on `run_id`. A sync dependency, so the query runs
    in the thread pool: on the event loop, a wait for a pooled connection (many subscribers)
    would stop the loop that releases them."""
    return service.get_run(session, user.id, run_id).id


@router.get("/events/stream", response_class=EventStream, responses=errors(NOT_YOURS))
async def stream(
    request: Request,
    pk: Annotated[uuid.UUID, Depends(_run_project)],
    run_id: uuid.UUID,
    last_event_id: LastEventIdHeader = None,
    after: AfterQuery = None,
) -> StreamingResponse:
    """The run's events as Server-Sent Events: `run_started`, `section_started` and
    `section_completed` (with `section_id`) per section, then `run_completed` or `error`, after
    which the stream ends. Each has an SSE `id`; reconnecting with `Last-Event-ID` sends only
    the events after it."""

    def fetch(s: Session, since: int) -> tuple[list[OutboxEvent], bool]:
        row = s.get(Project, pk)
        finished = row is None or row.run_id != run_id or row.status in FINAL
        return stream_after(s, [run_id], since), finished

    return sse_response(request, fetch, start_after(after, last_event_id), _shape)


@router.get("/status/{project_id}", responses=errors(NOT_YOURS))
def status(
    project_id: ProjectIdPath, session: SessionDep, user: CurrentUser, chat_id: ChatQuery = None
) -> dict[str, Any]:
    """The stored proj.v1 document (the newest chat's, unless `chat_id` names one); sections
    appear as they are written."""
    return service.get_project(session, user.id, project_id, chat_id).spec_json


@router.get("/projects", response_model=ProjectList)
def list_projects(session: SessionDep, user: CurrentUser, page: PageDep) -> dict[str, object]:
    """Your projects, newest first, with their current run and status."""
    result = paginate(session, service.list_stmt(user.id), page)
    items: list[Project] = result.pop("items")  # type: ignore[assignment]
    result["projects"] = [ProjectSummary.model_validate(p) for p in items]
    return result


@router.delete("/projects/{project_id}", response_model=ProjectDeleted, responses=errors(NOT_YOURS))
def delete_project(
    request: Request,
    project_id: ProjectIdPath,
    session: SessionDep,
    user: CurrentUser,
    chat_id: ChatQuery = None,
) -> ProjectDeleted:
    """Delete the project (every chat's, or one with `chat_id`) and its run logs; a run still
    generating stops at its next section."""
    runs = service.delete_projects(session, user.id, project_id, chat_id)
    remove_runs(request.app.state.platform.settings, runs)
    return ProjectDeleted(project_id=project_id, deleted=len(runs))


@router.post(
    "/projects/{project_id}/regenerate",
    status_code=202,
    response_model=RunStarted,
    responses=errors({**NOT_YOURS, 409: "the current run is still generating"}),
)
def regenerate(
    request: Request,
    project_id: ProjectIdPath,
    session: SessionDep,
    user: CurrentUser,
    chat_id: ChatQuery = None,
) -> RunStarted:
    """Generate the project again as a new run (a new `run_id` to stream); the old run's logs
    are removed (`logs.csv_url` only ever serves the current run's)."""
    project = service.get_project(session, user.id, project_id, chat_id)
    settings = request.app.state.platform.settings
    return RunStarted(run_id=service.regenerate(session, settings, project).run_id)


@router.get(
    "/projects/{project_id}/logs.csv",
    response_class=FileResponse,
    responses={**content({"text/csv": TEXT}), **errors(NOT_YOURS)},
)
def logs_csv(
    request: Request,
    project_id: ProjectIdPath,
    session: SessionDep,
    user: CurrentUser,
    chat_id: ChatQuery = None,
) -> FileResponse:
    """The current run's CSV log (redacted), for the owner only."""
    project = service.get_project(session, user.id, project_id, chat_id)
    path = RunLog(request.app.state.platform.settings, project.run_id).csv_path
    if not path.is_file():
        raise service.ProjectNotFound("This run has no log yet")
    return FileResponse(path, media_type="text/csv", filename=f"{project.run_id}.csv")
