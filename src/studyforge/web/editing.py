"""Editing a course before publishing it, on the Courses pages: the lesson editor, "Regenerate
this lesson" (with a confirmation when it has edits), the lesson's history with "Restore this
version", and the course's lesson list to reorder.

Every write is a form POST that passes the API's same-origin check (`CurrentUser`) and
redirects (Post/Redirect/Get); the lesson page shows what happened from its address
(`?notice=saved`, `?regenerating=<job id>`), through the template globals registered here.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session, object_session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.courses import editing, service
from studyforge.courses.models import Course, Lesson
from studyforge.db import SessionDep
from studyforge.errors import Conflict
from studyforge.jobs.models import TERMINAL, Job
from studyforge.web.courses import STUDIO, lesson_sections, not_yours, owned_course, source_refs
from studyforge.web.lesson_form import lesson_form, parse_edit, posted_fields, read_form
from studyforge.web.pages import PageRoute, PageUser, render, templates

router = APIRouter(include_in_schema=False, route_class=PageRoute)
LESSON = f"{STUDIO}/{{course_id}}/lessons/{{number:int}}"
FormDep = Annotated[dict[str, str], Depends(posted_fields)]
NOTICES = {
    "saved": "Saved.",
    "unchanged": "Nothing was changed, so nothing was saved.",
    "regenerated": "Rewritten from the course's sources. The version it replaced is in the "
    "lesson's history.",
    "kept": "This lesson was edited while it was being rewritten, so your edits were kept.",
}
REASONS = {"edited": "your edit", "regenerated": "regenerating", "restored": "a restore"}
CHANGED = (
    "This lesson changed while you were editing it (it was edited, regenerated or restored "
    "elsewhere), so your changes were not saved. Here it is as it is now; your text is below "
    "the form to copy from."
)


# --- what the lesson page shows (template globals) ------------------------------------------


def edit_notice(request: Request) -> str | None:
    """The lesson page's notice after a save, a restore or a regeneration, from its address."""
    notice = request.query_params.get("notice", "")
    if notice == "restored":
        version = request.query_params.get("version", "")
        shown = f"Version {version}" if version.isdigit() and len(version) < 10 else "The version"
        return f"{shown} restored. The version it replaced is in the lesson's history."
    return NOTICES.get(notice)


def regeneration(request: Request, lesson: Lesson) -> Job | None:
    """The regeneration of this lesson named in the page's address (`?regenerating=`), if any."""
    try:
        job_id = uuid.UUID(request.query_params.get("regenerating", ""))
    except ValueError:
        return None
    session = object_session(lesson)
    job = session.get(Job, job_id) if session is not None else None
    if job is None or job.kind != editing.REGENERATE_JOB:
        return None
    return job if job.params.get("lesson_id") == str(lesson.id) else None


def content_marks(content: dict[str, Any] | None) -> list[list[str | None]]:
    """Per section and paragraph of a lesson's text: "own" (the teacher's text, no source),
    "edited" (a cited paragraph the teacher changed) or None, as `lesson_sections` orders them."""
    marks: list[list[str | None]] = []
    for section in (content or {}).get("sections") or []:
        row: list[str | None] = []
        for para in section.get("paragraphs") or []:
            own = para.get("author") == editing.TEACHER
            row.append("own" if own else "edited" if para.get("edited") else None)
        marks.append(row)
    return marks


def paragraph_marks(lesson: Lesson) -> list[list[str | None]]:
    """`content_marks` of the lesson's text."""
    return content_marks(lesson.content_json)


def edit_notice_for(code: str) -> str:
    """One of the notices by its code."""
    return NOTICES[code]


templates.env.globals.update(
    edit_notice=edit_notice,
    edit_notice_for=edit_notice_for,
    regeneration=regeneration,
    paragraph_marks=paragraph_marks,
)


# --- helpers ----------------------------------------------------------------------------------


def _found(
    session: Session, user: Principal, course_id: str, number: int
) -> tuple[Course, Lesson] | None:
    course = owned_course(session, user, course_id)
    if course is None:
        return None
    try:
        return course, editing.lesson_of(course, number)
    except editing.LessonNotFound:
        return None


def _missing(request: Request, user: Principal, what: str = "lesson") -> Response:
    return not_yours(request, user, what)


def _refused(request: Request, user: Principal, exc: Conflict, back: str, label: str) -> Response:
    context = {"title": "Not done", "message": exc.message, "back": back, "back_label": label}
    return render(request, "error.html", context, user=user, status_code=exc.status)


def lesson_url(course: Course, lesson: Lesson, query: str = "") -> str:
    """The lesson page's address, with an optional query string."""
    return f"{STUDIO}/{course.id}/lessons/{lesson.lesson_number}" + (f"?{query}" if query else "")


def _back(lesson: Lesson) -> str:
    return f"lesson {lesson.lesson_number}"


# --- the lesson editor ------------------------------------------------------------------------


def _editor(
    request: Request,
    session: Session,
    user: Principal,
    found: tuple[Course, Lesson],
    sent: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    course, lesson = found
    refs = source_refs(lesson.sources, service.removed_documents(session, course))
    form = lesson_form(lesson, refs)
    if sent is not None and alert is None:
        form = read_form(form, sent)
        parse_edit(form)  # fills `form.errors`
    lost = sorted(v for k, v in (sent or {}).items() if alert and k[:1] in "sn" and v.strip())
    context = {"course": course, "lesson": lesson, "form": form, "alert": alert, "lost": lost}
    return render(request, "lesson_edit.html", context, user=user, status_code=status_code)


@router.get(f"{LESSON}/edit")
def edit_page(
    request: Request, session: SessionDep, user: PageUser, course_id: str, number: int
) -> Response:
    """The lesson editor: title, description, objectives, text and summary."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    return _editor(request, session, user, found)


@router.post(f"{LESSON}/edit")
def save_edit(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    number: int,
    sent: FormDep,
) -> Response:
    """Save the edit and go back to the lesson; a refused field shows the form again."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    course, lesson = found
    refs = source_refs(lesson.sources, service.removed_documents(session, course))
    form = read_form(lesson_form(lesson, refs), sent)
    edit = parse_edit(form)
    if edit is None:
        return _editor(request, session, user, found, sent, status_code=422)
    before = editing.revision(lesson)
    try:
        editing.edit_lesson(session, course, lesson, edit)
    except editing.LessonChanged:
        return _editor(request, session, user, found, sent, CHANGED, status_code=409)
    except Conflict as exc:
        return _editor(request, session, user, found, sent, exc.message, status_code=409)
    notice = "saved" if editing.revision(lesson) != before else "unchanged"
    return RedirectResponse(lesson_url(course, lesson, f"notice={notice}"), status_code=303)


# --- regenerate ---------------------------------------------------------------------------------


@router.get(f"{LESSON}/regenerate")
def regenerate_page(
    request: Request, session: SessionDep, user: PageUser, course_id: str, number: int
) -> Response:
    """Ask before regenerating (and say that edits are replaced, and kept in the history)."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    course, lesson = found
    context = {"course": course, "lesson": lesson, "has_edits": editing.HAS_EDITS}
    return render(request, "lesson_regenerate.html", context, user=user)


@router.post(f"{LESSON}/regenerate")
def regenerate(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    number: int,
    replace_edits: Annotated[str, Form()] = "",
) -> Response:
    """Queue the lesson's regeneration and show it being written; a lesson with edits goes to
    the confirmation first."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    course, lesson = found
    if lesson.edited_at is not None and replace_edits != "yes":
        return RedirectResponse(lesson_url(course, lesson) + "/regenerate", status_code=303)
    try:
        job = editing.request_regeneration(session, course, lesson, replace_edits == "yes")
    except Conflict as exc:
        return _refused(request, user, exc, lesson_url(course, lesson), _back(lesson))
    return RedirectResponse(lesson_url(course, lesson, f"regenerating={job.id}"), status_code=303)


@router.get(f"/ui{STUDIO}/{{course_id}}/regenerating/{{job_id}}")
def regenerating(
    request: Request, session: SessionDep, user: PageUser, course_id: str, job_id: str
) -> Response:
    """The lesson page's "being rewritten" box, polled by htmx; once the job has ended the
    page reloads (at the lesson's current number) to show the new text or what went wrong."""
    course = owned_course(session, user, course_id)
    try:
        job = session.get(Job, uuid.UUID(job_id)) if course is not None else None
    except ValueError:
        job = None
    lesson = None
    if course is not None and job is not None and job.user_id == user.id:
        wanted = str(job.params.get("lesson_id"))
        lesson = next((item for item in course.lessons if str(item.id) == wanted), None)
    if course is None or job is None or lesson is None:
        return Response(headers={"HX-Refresh": "true", "Cache-Control": "no-store"})
    if job.status in TERMINAL:
        url = lesson_url(course, lesson, f"regenerating={job.id}")
        return Response(headers={"HX-Redirect": url, "Cache-Control": "no-store"})
    context = {"course": course, "job": job}
    return render(request, "_regenerating.html", context, user=user)


# --- history ------------------------------------------------------------------------------------


@router.get(f"{LESSON}/history")
def history_page(
    request: Request, session: SessionDep, user: PageUser, course_id: str, number: int
) -> Response:
    """The lesson's kept versions, newest first, each with when and why it was replaced."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    course, lesson = found
    context = {
        "course": course,
        "lesson": lesson,
        "versions": editing.versions(session, lesson),
        "reasons": REASONS,
        "origin": editing.origin,
    }
    return render(request, "lesson_history.html", context, user=user)


@router.get(f"{LESSON}/history/{{version:int}}")
def version_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    course_id: str,
    number: int,
    version: int,
) -> Response:
    """One kept version as it read, with "Restore this version"."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    course, lesson = found
    try:
        kept = editing.version_of(session, lesson, version)
    except editing.VersionNotFound:
        return _missing(request, user, "version")
    snap = kept.snapshot
    refs = source_refs(snap.get("sources") or [], service.removed_documents(session, course))
    context: dict[str, Any] = {
        "course": course,
        "lesson": lesson,
        "kept": kept,
        "snap": snap,
        "sections": lesson_sections(snap.get("content"), refs),
        "marks": content_marks(snap.get("content")),
        "origin": editing.origin(snap),
        "reasons": REASONS,
    }
    return render(request, "lesson_version.html", context, user=user)


@router.post(f"{LESSON}/history/{{version:int}}/restore")
def restore(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    number: int,
    version: int,
) -> Response:
    """Put the version back (the current one is kept) and show the lesson."""
    found = _found(session, user, course_id, number)
    if found is None:
        return _missing(request, user)
    course, lesson = found
    try:
        editing.restore(session, course, lesson, version)
    except editing.VersionNotFound:
        return _missing(request, user, "version")
    except Conflict as exc:
        return _refused(request, user, exc, lesson_url(course, lesson), _back(lesson))
    query = f"notice=restored&version={version}"
    return RedirectResponse(lesson_url(course, lesson, query), status_code=303)


# --- the course's lessons, to reorder -------------------------------------------------------------


@router.get(f"{STUDIO}/{{course_id}}/lessons")
def course_edit_page(
    request: Request, session: SessionDep, user: PageUser, course_id: str
) -> Response:
    """Edit course: its lessons in order, each with Move up / Move down and an Edit link."""
    course = owned_course(session, user, course_id)
    if course is None:
        return _missing(request, user, "course")
    moved = request.query_params.get("moved", "")
    shown = next((item for item in course.lessons if str(item.id) == moved), None)
    context = {"course": course, "moved": shown, "building": course.status in editing.BUILDING}
    return render(request, "course_edit.html", context, user=user)


@router.post(f"{STUDIO}/{{course_id}}/move")
def move_lesson(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    lesson: Annotated[str, Form()] = "",
    direction: Annotated[str, Form()] = "",
) -> Response:
    """Move a lesson one place up or down, and show the list again with it in focus."""
    course = owned_course(session, user, course_id)
    if course is None:
        return _missing(request, user, "course")
    item = next((x for x in course.lessons if str(x.id) == lesson.strip().lower()), None)
    if item is None or direction not in ("up", "down"):
        return _missing(request, user)
    back = f"{STUDIO}/{course.id}/lessons"
    try:
        editing.move(session, course, item, -1 if direction == "up" else 1)
    except Conflict as exc:
        return _refused(request, user, exc, back, "the course's lessons")
    return RedirectResponse(f"{back}?moved={item.id}#lesson-{item.id}", status_code=303)
