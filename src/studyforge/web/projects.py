"""Classroom project pages: the form that starts a project and follows its run live, your
projects, the teacher's view of one, and a printable handout per seat.

`GET /projects` is the API's JSON list; a browser navigation to it gets this page instead
(`HtmlOnlyRoute`, placed before the API's routes). The page's script posts the form to the API's
`POST /start` and follows `GET /events/stream`; each written section is fetched as HTML from
`/projects/{id}/sections/{section_id}`. Without JavaScript the form posts to `/projects/new`
(Post/Redirect/Get). The teacher's view is `/projects/{id}/teacher`: page paths never add a
method to an API path (`/projects/{id}` is the API's DELETE), so `Allow` stays the API's.
Everything is rendered from the stored proj.v1 document through `projects.service`; another
user's project is the HTML 404.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import Scope

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.db import SessionDep
from studyforge.errors import wants_html
from studyforge.projects import service
from studyforge.projects.models import Project
from studyforge.projects.runlog import remove_runs
from studyforge.projects.schemas import StartRequest
from studyforge.projects.spec import Part, PlanSection, ProjectSpec, SectionBody
from studyforge.projects.themes import MAX_GROUP
from studyforge.web.pages import PageRoute, PageUser, not_found_page, render
from studyforge.web.quizzes import Cited, cited

PROJECTS = "/projects"
WEB_CHAT = "web"  # the chat_id of projects started on these pages
LIST_LIMIT = 100
FIELDS = ("title", "topic", "life_skill", "group_size", "duration_min")
DEFAULTS = {"group_size": "4", "duration_min": "45"}


class HtmlOnlyRoute(PageRoute):
    """A page route that answers browser navigations only (`errors.wants_html`), so an API
    route at the same path keeps answering everything else."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match unless the request is a browser navigation."""
        if scope["type"] == "http" and not wants_html(scope["method"], Headers(scope=scope)):
            return Match.NONE, {}
        return super().matches(scope)


first = APIRouter(include_in_schema=False, route_class=HtmlOnlyRoute)  # before the API's
router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _owned(session: Session, user: Principal, project_id: str) -> Project | None:
    try:
        return service.get_project(session, user.id, project_id)
    except service.ProjectNotFound:
        return None


def _not_yours(request: Request, user: Principal) -> Response:
    message = "This project does not exist, or it is not yours."
    return not_found_page(request, user, message, PROJECTS, "your projects")


def _ordered(spec: ProjectSpec) -> list[tuple[PlanSection, SectionBody]]:
    """The written sections in plan order."""
    return [(s, spec.sections[s.id]) for s in spec.plan.sections if s.id in spec.sections]


def _citations(
    session: Session, user: Principal, sections: list[tuple[PlanSection, SectionBody]]
) -> list[Cited]:
    """Every passage the project cites, once each, as links to the document pages."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for _, body in sections:
        for part in [body.teacher, body.shared, *body.seats.values()]:
            reading = part.data.get("reading")
            more = [reading["citation"]] if isinstance(reading, dict) else []
            for c in [*part.extras.get("citations", []), *more]:
                if isinstance(c, dict):
                    found.setdefault((c.get("document_id"), c.get("page"), c.get("start")), c)
    return cited(session, user, list(found.values())) if found else []


def _project_context(session: Session, user: Principal, project: Project) -> dict[str, Any]:
    spec = ProjectSpec.model_validate(project.spec_json)
    sections = _ordered(spec)
    return {
        "project": project,
        "spec": spec,
        "sections": sections,
        "final": project.status in service.FINAL,
        "seats": range(1, spec.meta.group_size + 1),
        "citations": _citations(session, user, sections),
    }


def _list_context(session: Session, user: Principal) -> dict[str, Any]:
    rows = session.scalars(service.list_stmt(user.id).limit(LIST_LIMIT)).all()
    return {"rows": rows, "limit": LIST_LIMIT, "final": service.FINAL}


def _form_page(
    request: Request,
    session: SessionDep,
    user: Principal,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    follow: Project | None = None,
) -> Response:
    context = {
        **_list_context(session, user),
        "form": form or DEFAULTS,
        "errors": errors or {},
        "new_id": uuid.uuid4(),
        "chat_id": WEB_CHAT,
        "max_group": MAX_GROUP,
        "follow": follow,
    }
    return render(request, "projects.html", context, user=user, status_code=422 if errors else 200)


@first.get(PROJECTS)
def projects_page(request: Request, session: SessionDep, user: PageUser, run: str = "") -> Response:
    """The form and your projects; `?run=` follows that run of yours live (after Again)."""
    try:
        follow = service.get_run(session, user.id, uuid.UUID(run)) if run else None
    except (ValueError, service.ProjectNotFound):
        follow = None
    return _form_page(request, session, user, follow=follow)


@router.get("/ui/projects")
def projects_partial(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The projects table alone (the page refreshes it when a run ends)."""
    return render(request, "_projects_list.html", _list_context(session, user), user=user)


@router.post(PROJECTS + "/new")
def start_from_form(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,  # the API's check: a cookie-carrying write must come from this site
    project_id: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
    life_skill: Annotated[str, Form()] = "",
    group_size: Annotated[str, Form()] = "",
    duration_min: Annotated[str, Form()] = "",
) -> Response:
    """The form without JavaScript: start the project and go to its page (Post/Redirect/Get);
    invalid input re-renders the form saying what is wrong."""
    form = dict(zip(FIELDS, (title, topic, life_skill, group_size, duration_min), strict=True))
    try:
        body = StartRequest(project_id=project_id or str(uuid.uuid4()), chat_id=WEB_CHAT, **form)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors() if e["loc"]}
        return _form_page(request, session, user, form, errors)
    project, _ = service.start(session, user.id, body)
    return RedirectResponse(f"{PROJECTS}/{project.project_id}/teacher", status_code=303)


@router.post(PROJECTS + "/{project_id}/delete")
def delete_project(
    request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser, project_id: str
) -> Response:
    """Delete the project and its run logs (after the browser's confirmation)."""
    try:
        runs = service.delete_projects(session, user.id, project_id)
    except service.ProjectNotFound:
        return _not_yours(request, user)
    remove_runs(request.app.state.platform.settings, runs)
    return RedirectResponse(PROJECTS, status_code=303)


@router.post(PROJECTS + "/{project_id}/generate-again")
def generate_again(
    request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser, project_id: str
) -> Response:
    """Write the project again as a new run, followed live on the projects page (a run still
    generating is followed as it is)."""
    project = _owned(session, user, project_id)
    if project is None:
        return _not_yours(request, user)
    with contextlib.suppress(service.StillRunning):
        service.regenerate(session, request.app.state.platform.settings, project)
    return RedirectResponse(f"{PROJECTS}?run={project.run_id}", status_code=303)


def _show(
    request: Request,
    session: Session,
    user: Principal,
    project_id: str,
    template: str,
    more: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Response:
    """Render `template` with the project's context (plus `more(context)`), or the 404 when
    the project is not the user's or `more` finds nothing."""
    project = _owned(session, user, project_id)
    context = _project_context(session, user, project) if project else None
    extra = more(context) if context is not None and more is not None else {}
    if context is None or extra is None:
        return _not_yours(request, user)
    return render(request, template, {**context, **extra}, user=user)


@router.get(PROJECTS + "/{project_id}/teacher")
def project_page(
    request: Request, session: SessionDep, user: PageUser, project_id: str
) -> Response:
    """The teacher's view: the plan, each section's teacher notes and shared part, the
    validator's findings, the citations and the run log."""
    return _show(request, session, user, project_id, "project.html")


@router.get(PROJECTS + "/{project_id}/summary")
def summary_partial(
    request: Request, session: SessionDep, user: PageUser, project_id: str
) -> Response:
    """The finished run's links (teacher's view, each seat's handout, the run log)."""
    return _show(request, session, user, project_id, "_project_summary.html")


@router.get(PROJECTS + "/{project_id}/sections/{section_id}")
def section_partial(
    request: Request, session: SessionDep, user: PageUser, project_id: str, section_id: str
) -> Response:
    """One written section as the live page shows it."""

    def one(context: dict[str, Any]) -> dict[str, Any] | None:
        found = [(s, b) for s, b in context["sections"] if s.id == section_id]
        return {"section": found[0][0], "body": found[0][1]} if found else None

    return _show(request, session, user, project_id, "_project_section.html", one)


@router.get(PROJECTS + "/{project_id}/seats/{seat}")
def seat_page(
    request: Request, session: SessionDep, user: PageUser, project_id: str, seat: int
) -> Response:
    """Seat `seat`'s handout, one page to print: its part of every section."""

    def mine(context: dict[str, Any]) -> dict[str, Any] | None:
        if seat not in context["seats"]:
            return None
        parts: list[tuple[PlanSection, SectionBody, Part | None]] = [
            (s, b, b.seats.get(str(seat))) for s, b in context["sections"]
        ]
        role = next((p.data.get("role") for *_, p in parts if p and p.data.get("role")), None)
        return {"seat": seat, "parts": parts, "role": role}

    return _show(request, session, user, project_id, "project_seat.html", mine)
