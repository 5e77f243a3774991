"""The course-from-a-repository wizard: name a repository (or upload an archive of it), then
walk its four stages on one page: choose the documentation folders, review the analyses,
choose a learning pathway, open the written course.

Pages live under `/courses/from-repository`, apart from the Courses pages' `/studio/{id}`.
Each form is a plain POST that calls the pipeline's services and redirects back (PRG); a form
that cannot be used is shown again with the reason (422, or 409 while a stage runs). While a
stage runs the page follows its job's events (`/api/jobs/{id}/events`, repo_wizard.js) and,
without JavaScript, refreshes itself.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.courses.models import Course
from studyforge.db import SessionDep
from studyforge.errors import AppError
from studyforge.repo_courses import service
from studyforge.repo_courses.models import Stage2Input, Stage3Input
from studyforge.web.courses import not_yours
from studyforge.web.pages import PageRoute, PageUser, render
from studyforge.web.repo_wizard_view import (
    FAILED,
    LEVELS,
    MESSAGES,
    RUNNING,
    FolderChoice,
    Posted,
    Source,
    Wizard,
    first_line,
    from_archive,
    parse_folders,
    parse_notes,
    parse_pathway,
    parse_source,
    posted_form,
    view_context,
    wizard_state,
)

WIZARD = "/courses/from-repository"
AGAIN = "again"  # query flag: the start form was sent again and landed on its course

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FormDep = Annotated[Posted, Depends(posted_form)]


def wizard_url(course_id: uuid.UUID) -> str:
    """The wizard page of a repository course."""
    return f"{WIZARD}/{course_id}"


def _start_page(
    request: Request, user: Principal, form: dict[str, str], errors: dict[str, str]
) -> Response:
    context = {"form": form, "errors": errors, "course_id": str(uuid.uuid4())}
    return render(request, "repo_wizard_start.html", context, user=user,
                  status_code=422 if errors else 200)  # fmt: skip


def _owned(session: Session, user: Principal, course_id: str) -> Course | None:
    try:
        return service.get_course(session, uuid.UUID(course_id), user.id)
    except (ValueError, service.RepoCourseNotFound, service.NotARepositoryCourse):
        return None


def _start(session: Session, request: Request, user: Principal, course_id: uuid.UUID,
           source: Source) -> None:  # fmt: skip
    """Stage 1 from a URL, or from an uploaded archive (kept in the blob store)."""
    key = None
    if source.archive is not None:
        blobs = request.app.state.platform.blobs
        key = service.keep_archive(blobs, user.id, course_id, source.archive)
    service.start_repository(session, user.id, course_id, source.url, key)


@router.get(WIZARD)
def start_page(request: Request, user: PageUser) -> Response:
    """The form that names the repository (a URL, or an archive upload)."""
    return _start_page(request, user, {"repo_url": ""}, {})


@router.post(WIZARD)
def start(
    request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser, posted: FormDep
) -> Response:
    """Start stage 1 on a new course and go to its wizard page. The form carries the course
    id made when it was shown, so the same form sent again lands on the course it started."""
    try:
        course_id = uuid.UUID(posted.get("course_id").strip())
    except ValueError:
        course_id = uuid.uuid4()
    existing = session.get(Course, course_id)
    if existing is not None:
        if existing.user_id != user.id or not existing.from_repository:
            course_id = uuid.uuid4()
        else:
            return RedirectResponse(f"{wizard_url(course_id)}?{AGAIN}=1", status_code=303)
    source = parse_source(posted)
    if not isinstance(source, Source):
        return _start_page(request, user, {"repo_url": posted.get("repo_url")}, source)
    _start(session, request, user, course_id, source)
    return RedirectResponse(wizard_url(course_id), status_code=303)


def _page(
    request: Request,
    session: Session,
    user: Principal,
    course: Course,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    template: str = "repo_wizard.html",
    **extra: Any,
) -> Response:
    wizard = wizard_state(session, course)
    archive = from_archive(session, wizard)
    context = {
        "wizard": wizard,
        "course": course,
        "errors": errors or {},
        "running_title": RUNNING,
        "failed_title": FAILED,
        "levels": LEVELS,
        "choice": FolderChoice(),
        "notes": "",
        "first_line": first_line,
        "failure": first_line(wizard.status.get("error_message"), 600),
        "from_archive": archive is not None,
        "again": request.query_params.get(AGAIN) == "1",
        "start_form": {"repo_url": "" if archive else course.repo_url or ""},
        "course_id": str(course.id),
        **view_context(session, wizard),
        **extra,
    }
    return render(request, template, context, user=user, status_code=status)


@router.get(f"{WIZARD}/{{course_id}}")
def wizard_page(request: Request, session: SessionDep, user: PageUser, course_id: str) -> Response:
    """The course's wizard: the step it is at, live progress, or the form of the next step."""
    course = _owned(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    return _page(request, session, user, course)


@router.get(f"/ui{WIZARD}/{{course_id}}")
def wizard_live(request: Request, session: SessionDep, user: PageUser, course_id: str) -> Response:
    """The page's live part, fetched by repo_wizard.js when a stage's job ends."""
    course = _owned(session, user, course_id)
    if course is None:  # deleted meanwhile: reload into the not-found page
        return Response(headers={"HX-Refresh": "true", "Cache-Control": "no-store"})
    return _page(request, session, user, course, template="_repo_wizard_live.html")


def _refused(
    request: Request, session: Session, user: Principal, course: Course, exc: AppError,
    **extra: Any,
) -> Response:  # fmt: skip
    """The page again after a service refused the form; nothing of the request is kept."""
    session.rollback()
    errors = dict(extra.pop("errors", None) or {})
    if isinstance(exc, service.StageRunning):
        errors["page"] = MESSAGES["running"]
    elif isinstance(exc, service.StageNotReady):
        errors["page"] = MESSAGES["not_ready"]
    elif "field" in extra:
        errors[extra.pop("field")] = exc.message
    else:
        errors["page"] = exc.message
    return _page(request, session, user, course, errors=errors, status=exc.status, **extra)


@router.post(f"{WIZARD}/{{course_id}}/folders")
def choose_folders(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    posted: FormDep,
) -> Response:
    """Save the chosen folders and overview document, and start analysing the documents."""
    course = _owned(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    choice, errors = parse_folders(posted)
    if errors:
        return _page(request, session, user, course, errors=errors, status=422, choice=choice)
    try:
        service.save_stage1_selections(session, course, choice.folders, choice.overview)
        notes = choice.notes.strip() or None
        service.start_analysis(session, course, choice.level, notes)
    except service.InvalidSelection as exc:
        named = choice.overview is not None and choice.overview in exc.message
        field = "overview" if named else "folders"
        return _refused(request, session, user, course, exc, field=field, choice=choice)
    except AppError as exc:
        return _refused(request, session, user, course, exc, choice=choice)
    return RedirectResponse(wizard_url(course.id), status_code=303)


@router.post(f"{WIZARD}/{{course_id}}/pathways")
def plan_pathways(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    posted: FormDep,
) -> Response:
    """Start planning the learning pathways through the analysed documents."""
    course = _owned(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    notes, errors = parse_notes(posted)
    if errors:
        return _page(request, session, user, course, errors=errors, status=422, notes=notes)
    try:
        service.start_pathways(session, course, notes.strip() or None)
    except AppError as exc:
        return _refused(request, session, user, course, exc, notes=notes)
    return RedirectResponse(wizard_url(course.id), status_code=303)


@router.post(f"{WIZARD}/{{course_id}}/pathway")
def choose_pathway(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    posted: FormDep,
) -> Response:
    """Save the chosen pathway and start writing the course."""
    course = _owned(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    pathway_id = parse_pathway(posted)
    if pathway_id is None:
        errors = {"pathway": MESSAGES["pathway"]}
        return _page(request, session, user, course, errors=errors, status=422)
    try:
        service.select_pathway(session, course, pathway_id)
        service.start_course(session, course)
    except service.InvalidSelection as exc:
        return _refused(request, session, user, course, exc, field="pathway")
    except AppError as exc:
        return _refused(request, session, user, course, exc)
    return RedirectResponse(wizard_url(course.id), status_code=303)


def _retry(session: Session, user: Principal, wizard: Wizard) -> None:
    """Run the failed stage again with the inputs it had."""
    course = wizard.course
    if wizard.stage == "stage1":
        key = from_archive(session, wizard)
        service.start_repository(session, user.id, course.id, course.repo_url or "", key)
    elif wizard.stage == "stage2":
        given = session.get(Stage2Input, course.id)
        level, info = (given.complexity_level, given.additional_info) if given else ("", None)
        service.start_analysis(session, course, level or "intermediate", info)
    elif wizard.stage == "stage3":
        asked = session.get(Stage3Input, course.id)
        service.start_pathways(session, course, asked.additional_info if asked else None)
    elif wizard.stage == "stage4":
        service.start_course(session, course)


@router.post(f"{WIZARD}/{{course_id}}/retry")
def try_again(
    request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser, course_id: str
) -> Response:
    """Run the failed stage again; a course whose stage did not fail just shows its page."""
    course = _owned(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    wizard = wizard_state(session, course)
    if wizard.view == "failed":
        try:
            _retry(session, user, wizard)
        except AppError as exc:
            return _refused(request, session, user, course, exc)
    return RedirectResponse(wizard_url(course.id), status_code=303)


@router.post(f"{WIZARD}/{{course_id}}/start-over")
def start_over(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    posted: FormDep,
) -> Response:
    """Read another repository (or the same one again) into this course, from step 1."""
    course = _owned(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    source = parse_source(posted)
    form = {"repo_url": posted.get("repo_url")}
    if not isinstance(source, Source):
        return _page(request, session, user, course, errors=source, status=422, start_form=form)
    try:
        _start(session, request, user, course.id, source)
    except AppError as exc:
        return _refused(request, session, user, course, exc, start_form=form)
    return RedirectResponse(wizard_url(course.id), status_code=303)
