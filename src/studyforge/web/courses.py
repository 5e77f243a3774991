"""Course pages: request a course, watch it build live, read its lessons with cited sources.

Paths live under `/studio` so they never clash with the API's `/api/courses`. Everything is
rendered from the courses service with the page's session; writes are plain form POSTs that
pass the API's same-origin check (`CurrentUser`), like the Documents page's delete.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.courses import service
from studyforge.courses.models import Course, CourseStatus, Lesson
from studyforge.courses.render import Numbering, code_lang
from studyforge.courses.schemas import CourseRequest
from studyforge.db import SessionDep
from studyforge.jobs.models import Job
from studyforge.jobs.service import jobs_by_id
from studyforge.web.course_form import (
    GRADES,
    GRADES_MORE,
    FormState,
    PostedForm,
    parse,
    posted_form,
)
from studyforge.web.pages import PageRoute, PageUser, not_found_page, render
from studyforge.web.sources import chosen_sources, load_picker, path_folders

STUDIO = "/studio"
LIBRARY = "/library"
LIST_LIMIT = 100
ACTIVE = frozenset({CourseStatus.QUEUED, CourseStatus.GENERATING})
AGAIN = "again"  # query flag: a form sent again landed on the course it had already made

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FormDep = Annotated[PostedForm, Depends(posted_form)]


@dataclass(frozen=True)
class CourseRow:
    """A course of the list with its job while it builds and its number of finished lessons."""

    course: Course
    job: Job | None
    written: int


@dataclass(frozen=True)
class SourceRef:
    """A numbered source of a lesson (1..n, as in the exports) and where its citations link.

    A source whose document was deleted links to its entry in the lesson's source list, which
    says so, instead of to a page that no longer exists.
    """

    number: int
    href: str
    source: dict[str, Any]
    removed: bool = False


@dataclass
class Paragraph:
    """A paragraph of lesson text (or a code example) with the sources it cites."""

    text: str
    cites: list[SourceRef] = field(default_factory=list)
    kind: str = "prose"
    lang: str | None = None


@dataclass
class Section:
    """A section of a lesson; an empty heading gets no heading element."""

    heading: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def passage_href(source: dict[str, Any]) -> str:
    """The Documents page URL at a source's page (or its passage, for page-less documents)."""
    page = source.get("page")
    anchor = f"page-{page}" if page is not None else f"passage-{source.get('start') or 0}"
    return f"{LIBRARY}/{source.get('document_id')}#{anchor}"


def source_refs(
    sources: Sequence[dict[str, Any]], removed: Collection[str] = ()
) -> dict[int, SourceRef]:
    """The lesson's sources by their course-wide index, numbered 1..n as in the exports."""
    refs: dict[int, SourceRef] = {}
    for entry in Numbering(sources, removed).entries:
        source = entry.source
        if not source.get("document_id"):
            continue
        href = f"#source-{entry.number}" if entry.removed else passage_href(source)
        refs[source["index"]] = SourceRef(entry.number, href, source, entry.removed)
    return refs


def lesson_sections(content: dict[str, Any] | None, refs: dict[int, SourceRef]) -> list[Section]:
    """The lesson's sections with each citation resolved to its source (unknown ones dropped)."""
    sections: list[Section] = []
    for raw in (content or {}).get("sections") or []:
        section = Section(str(raw.get("heading") or "").strip())
        for para in raw.get("paragraphs") or []:
            cited = dict.fromkeys(i for i in para.get("citations") or [] if i in refs)
            kind = para.get("kind") if para.get("kind") in ("code", "list") else "prose"
            lang = code_lang(para.get("lang")) or None
            text = str(para.get("text") or "")
            section.paragraphs.append(Paragraph(text, [refs[i] for i in cited], kind, lang))
        sections.append(section)
    return sections


def _jobs(session: Session, user: Principal, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Job]:
    return jobs_by_id(session, user.id, ids)


def building(course: Course) -> bool:
    """Whether a job writes the course now (a repository course between stages waits for you)."""
    if course.from_repository:
        return (course.repo_status or "").endswith("_running")
    return course.status in ACTIVE


def wizard_redirect(course: Course) -> Response | None:
    """A repository course not written yet is at its wizard page, not at an empty course."""
    if course.from_repository and course.repo_status != "stage4_complete":
        return RedirectResponse(f"/courses/from-repository/{course.id}", status_code=303)
    return None


def _rows(session: Session, user: Principal) -> list[CourseRow]:
    stmt = service.list_courses_stmt(user.id, None).limit(LIST_LIMIT)
    courses = session.scalars(stmt).all()
    active = [c.job_id for c in courses if building(c) and c.job_id]
    jobs = _jobs(session, user, active)
    counts: dict[uuid.UUID, int] = {}
    if courses:
        count_stmt = (
            select(Lesson.course_id, func.count())
            .where(Lesson.course_id.in_([c.id for c in courses]))
            .group_by(Lesson.course_id)
        )
        counts = {course_id: n for course_id, n in session.execute(count_stmt).tuples()}
    return [
        CourseRow(c, jobs.get(c.job_id) if c.job_id else None, counts.get(c.id, 0)) for c in courses
    ]


def _list_context(session: Session, user: Principal) -> dict[str, Any]:
    rows = _rows(session, user)
    active = any(building(row.course) for row in rows)
    return {"rows": rows, "building": active, "limit": LIST_LIMIT}


def _studio(
    request: Request,
    session: Session,
    user: Principal,
    state: FormState | None = None,
    editing: Course | None = None,
) -> Response:
    """The course form with the list of courses, or the form that edits a FAILED course;
    a form shown with errors answers 422."""
    state = state or (FormState.of_course(editing) if editing else FormState())
    context = {
        **({} if editing else _list_context(session, user)),
        "form": state.form,
        "errors": state.errors,
        "request_id": str(uuid.uuid4()),
        "folders": path_folders(session, user.id),
        "picker": load_picker(session, user.id, state.chosen),
        "grades": GRADES + GRADES_MORE,
        "editing": editing,
    }
    status = 422 if state.errors else 200
    return render(request, "courses.html", context, user=user, status_code=status)


def owned_course(session: Session, user: Principal, course_id: str) -> Course | None:
    """The user's course, or None for a malformed id or a course that is not theirs."""
    try:
        return service.get_course(session, uuid.UUID(course_id), user.id)
    except (ValueError, service.CourseNotFound):
        return None


def not_yours(request: Request, user: Principal, what: str = "course") -> Response:
    """The HTML 404 for a course (or its lesson, version...) that is missing or someone else's."""
    message = f"This {what} does not exist, or it is not yours."
    return not_found_page(request, user, message, STUDIO, "your courses")


def _course_context(session: Session, user: Principal, course: Course) -> dict[str, Any]:
    job = None
    if course.status in ACTIVE and course.job_id:
        job = _jobs(session, user, [course.job_id]).get(course.job_id)
    by_number = {lesson.lesson_number: lesson for lesson in course.lessons}
    total = max(course.num_lessons, *by_number) if by_number else course.num_lessons
    slots = [(n, by_number.get(n)) for n in range(1, total + 1)]
    return {
        "course": course,
        "job": job,
        "active": course.status in ACTIVE,
        "slots": slots,
        "written": len(by_number),
        "chosen": chosen_sources(session, user.id, course.document_ids),
    }


@router.get(STUDIO)
def studio_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The user's courses with live status, and the form that requests a new one."""
    return _studio(request, session, user)


@router.post(STUDIO)
def request_course(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,  # the API's check: a cookie-carrying write must come from this site
    posted: FormDep,
) -> Response:
    """Queue a course from the form and go to its page; invalid input re-renders the form.

    The form carries a `request_id` made when it was shown, so the same form sent again (Back,
    then Create) lands on the course it already made, with a notice, and makes no other. A
    form changed before it is sent again asks for another course: it gets a new request id.
    """
    req = parse(session, user.id, posted, request_id=posted.get("request_id").strip() or None)
    if isinstance(req, FormState):
        return _studio(request, session, user, req)
    existing = service.find_by_request(session, user.id, req.request_id or "")
    if existing is not None and service.same_request(existing, req):
        return RedirectResponse(f"{STUDIO}/{existing.id}?{AGAIN}=1", status_code=303)
    if existing is not None:
        req = req.model_copy(update={"request_id": None})
    try:
        course = service.request_course(session, user.id, req, check_documents=True)
    except service.UnknownDocuments as exc:
        return _studio(request, session, user, _state(posted, req).unknown(exc.ids))
    return RedirectResponse(f"{STUDIO}/{course.id}", status_code=303)


def _state(posted: PostedForm, req: CourseRequest) -> FormState:
    return posted.state([str(i) for i in req.document_ids or ()])


@router.get(f"{STUDIO}/{{course_id}}/edit")
def edit_page(request: Request, session: SessionDep, user: PageUser, course_id: str) -> Response:
    """The form prefilled with a FAILED course's request; any other course shows its page."""
    course = owned_course(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    if course.status is not CourseStatus.FAILED or course.from_repository:
        return RedirectResponse(f"{STUDIO}/{course.id}", status_code=303)
    return _studio(request, session, user, editing=course)


@router.post(f"{STUDIO}/{{course_id}}/edit")
def edit_course(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
    posted: FormDep,
) -> Response:
    """Change a FAILED course's request and generate it again, on the same course page.

    The course is updated in place rather than replaced by a new one: its link, its place in
    the list and its request id stay (see `service.resubmit`). Sent again once the course is
    no longer FAILED (Back, then send), nothing changes and its page says so.
    """
    course = owned_course(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    if course.status is not CourseStatus.FAILED or course.from_repository:
        return RedirectResponse(f"{STUDIO}/{course.id}?{AGAIN}=1", status_code=303)
    req = parse(session, user.id, posted, allow_ungrounded=course.allow_ungrounded)
    if isinstance(req, FormState):
        return _studio(request, session, user, req, editing=course)
    try:
        service.resubmit(session, course, req)
    except service.UnknownDocuments as exc:
        return _studio(request, session, user, _state(posted, req).unknown(exc.ids), course)
    return RedirectResponse(f"{STUDIO}/{course.id}", status_code=303)


@router.get(f"/ui{STUDIO}")
def courses_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The courses list fragment; htmx polls it while a course is building."""
    return render(request, "_courses_list.html", _list_context(session, user), user=user)


@router.get(f"{STUDIO}/{{course_id}}")
def course_page(request: Request, session: SessionDep, user: PageUser, course_id: str) -> Response:
    """One course: live build progress, its lessons, exports, retry and delete."""
    course = owned_course(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    if (to_wizard := wizard_redirect(course)) is not None:
        return to_wizard
    context = _course_context(session, user, course)
    context["again"] = request.query_params.get(AGAIN) == "1"
    return render(request, "course.html", context, user=user)


@router.get(f"/ui{STUDIO}/{{course_id}}/status")
def course_status(
    request: Request, session: SessionDep, user: PageUser, course_id: str
) -> Response:
    """The course's live fragment; it stops polling itself once the course is READY or FAILED."""
    course = owned_course(session, user, course_id)
    if course is None:  # deleted meanwhile: reload into the not-found page
        return Response(headers={"HX-Refresh": "true", "Cache-Control": "no-store"})
    context = _course_context(session, user, course)
    return render(request, "_course_status.html", context, user=user)


@router.get(f"{STUDIO}/{{course_id}}/lessons/{{number}}")
def lesson_page(
    request: Request, session: SessionDep, user: PageUser, course_id: str, number: int
) -> Response:
    """One lesson: objectives, cited text linking to the source passages, sources and checks."""
    course = owned_course(session, user, course_id)
    lessons = {lesson.lesson_number: lesson for lesson in course.lessons} if course else {}
    lesson = lessons.get(number)
    if course is None or lesson is None:
        return not_yours(request, user, "lesson")
    context = lesson_context(session, course, lesson, lessons)
    return render(request, "lesson.html", context, user=user)


def lesson_context(
    session: Session, course: Course, lesson: Lesson, lessons: dict[int, Lesson]
) -> dict[str, Any]:
    """What `lesson.html` shows: the cited text, its numbered sources, the lessons around it."""
    refs = source_refs(lesson.sources, service.removed_documents(session, course))
    return {
        "course": course,
        "lesson": lesson,
        "sections": lesson_sections(lesson.content_json, refs),
        "summary": str((lesson.content_json or {}).get("summary") or ""),
        "sources": sorted(refs.values(), key=lambda ref: ref.number),
        "refs": refs,
        "previous": lessons.get(lesson.lesson_number - 1),
        "next": lessons.get(lesson.lesson_number + 1),
    }


@router.post(f"{STUDIO}/{{course_id}}/retry")
def retry_course(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
) -> Response:
    """Generate a FAILED course again; any other course just shows its page."""
    course = owned_course(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    if course.status is CourseStatus.FAILED and not course.from_repository:
        service.retry(session, course)
    return RedirectResponse(f"{STUDIO}/{course.id}", status_code=303)


@router.post(f"{STUDIO}/{{course_id}}/delete")
def delete_course(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,
    course_id: str,
) -> Response:
    """Delete the course (after the browser's confirmation) and go back to the list."""
    course = owned_course(session, user, course_id)
    if course is None:
        return not_yours(request, user)
    service.delete_course(session, course)
    return RedirectResponse(STUDIO, status_code=303)
