"""Server-rendered pages: sign-in/out, the signed-in shell (home, jobs) and the jobs partial.

Pages use the session cookie only; a missing or invalid one redirects to `/login?next=...`
instead of answering the API's JSON 401. Later features add their pages to `NAV` and render
with `render()` and the `PageUser` dependency.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studyforge import __version__
from studyforge.auth.deps import COOKIE_NAME, identify
from studyforge.auth.service import Principal, issue_token
from studyforge.auth.throttle import TooManyAttempts, request_sign_in
from studyforge.config import Settings
from studyforge.courses.models import Course
from studyforge.db import SessionDep, utcnow
from studyforge.documents.models import Document
from studyforge.errors import Unauthorized
from studyforge.jobs.models import Job
from studyforge.jobs.service import list_jobs_stmt

WEB_DIR = Path(__file__).parent
HTMX_PATH = WEB_DIR / "static" / "vendor" / "htmx.min.js"
HOME_JOBS = 8
ALL_JOBS = 100
MAX_ECHOED_USERNAME = 150


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    label: str
    path: str
    also: tuple[str, ...] = ()  # other sections of the site this entry stands for

    def is_active(self, current: str) -> bool:
        """Whether `current` (a request path) belongs to this entry."""
        if self.path == "/":
            return current == "/"
        return any(
            current == path or current.startswith(path.rstrip("/") + "/")
            for path in (self.path, *self.also)
        )


# The main navigation, in order; features add theirs, e.g. NavItem("Courses", "/courses").
NAV: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Documents", "/library"),
    NavItem("Courses", "/studio", also=("/courses",)),
    NavItem("Quizzes", "/practice"),
    NavItem("Tutor", "/tutor"),
    NavItem("Speech", "/speech"),
    NavItem("Projects", "/projects"),
    NavItem("Jobs", "/jobs"),
]


def ago(value: datetime | None) -> str:
    """A short relative time such as `12 s ago`, `3 min ago` or a UTC date for older values."""
    if value is None:
        return "never"
    seconds = int((utcnow() - value).total_seconds())
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def code_spans(text: object) -> Markup:
    """The text, escaped, with its `inline code` spans (as extracted passages mark them) shown
    as <code>."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(str(text)))))


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.filters["ago"] = ago
templates.env.filters["code_spans"] = code_spans


def safe_next(value: str | None) -> str:
    """`value` if it is a local absolute path on this site, else `/` (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    # Browsers treat `\` like `/` and drop tabs/newlines, so `/\evil.com` means `//evil.com`.
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return value


def login_url(next_path: str) -> str:
    """The sign-in page URL that returns to `next_path` afterwards."""
    return "/login?next=" + quote(safe_next(next_path), safe="/")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a template with the shell's context (navigation, user, htmx); never cached."""
    full = {
        "nav": NAV,
        "user": user,
        "current_path": request.url.path,
        "htmx": HTMX_PATH.is_file(),
        "version": __version__,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def not_found_page(
    request: Request, user: Principal, message: str, back: str, label: str
) -> Response:
    """The HTML 404 page for a missing (or someone else's) resource."""
    context = {"title": "Not found", "message": message, "back": back, "back_label": label}
    return render(request, "error.html", context, user=user, status_code=404)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.platform.settings
    return settings


async def cookie_user(request: Request) -> Principal | None:
    """The signed-in visitor of a page, from the session cookie (None if absent or invalid)."""
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    try:
        return await identify(request, token)
    except Unauthorized:
        return None


class LoginRequired(Exception):
    """Raised by `PageUser` when the visitor is not signed in; becomes a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _requested_path(request: Request) -> str:
    # An htmx partial should send the visitor back to the page it was polled from.
    current = request.headers.get("HX-Current-URL") if request.headers.get("HX-Request") else None
    if current:
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _page_user(request: Request) -> Principal:
    user = await cookie_user(request)
    if user is None:
        raise LoginRequired(_requested_path(request))
    return user


PageUser = Annotated[Principal, Depends(_page_user)]


def _login_redirect(request: Request, exc: LoginRequired) -> Response:
    url = login_url(exc.next_path)
    response: Response
    if request.headers.get("HX-Request"):
        # A plain redirect would swap the sign-in page into the polled fragment.
        response = Response(status_code=401, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if COOKIE_NAME in request.cookies:
        _clear_cookie(response)
    return response


class PageRoute(APIRoute):
    """A route whose `LoginRequired` turns into a redirect to the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler to catch `LoginRequired`."""
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return _login_redirect(request, exc)

        return route_handler


router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _set_cookie(response: Response, request: Request, token: str, ttl_minutes: int) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=ttl_minutes * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")


@router.get("/login")
async def login_page(
    request: Request, next_path: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    """The sign-in form; a visitor who is already signed in goes straight on."""
    target = safe_next(next_path)
    if await cookie_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", {"next": target, "username": ""})


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the credentials, set the session cookie and go to `next` (a local path)."""
    target = safe_next(next_path)
    username = username.strip()
    try:
        if not username or not password:
            raise Unauthorized("Enter your username and password", code="MISSING_CREDENTIALS")
        user = request_sign_in(request, session, username, password)
    except (Unauthorized, TooManyAttempts) as exc:
        # The password is never sent back; the username is, so it need not be typed again.
        context = {"next": target, "username": username[:MAX_ECHOED_USERNAME], "error": exc.message}
        page = render(request, "login.html", context, status_code=exc.status)
        if isinstance(exc, TooManyAttempts):
            page.headers.update(exc.headers or {})
        return page
    settings = _settings(request)
    token = issue_token(user, settings.secret_key(), settings.jwt_ttl_minutes)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, token, settings.jwt_ttl_minutes)
    return response


@router.post("/logout")
def logout() -> Response:
    """Clear the session cookie and return to the sign-in page."""
    response = RedirectResponse("/login", status_code=303)
    _clear_cookie(response)
    return response


@dataclass(frozen=True)
class JobRow:
    """A job as the jobs list shows it: what it works on, in words, and where that is."""

    job: Job
    title: str
    href: str | None


KIND_VERBS = {
    "documents.process": "Reading",
    "courses.generate": "Writing the course",
    "courses.regenerate_lesson": "Rewriting a lesson of",
    "quizzes.generate": "Writing a quiz",
    "projects.generate": "Writing a classroom project",
    "repo_courses.clone": "Reading the repository of",
    "repo_courses.analyse": "Analysing the documents of",
    "repo_courses.pathways": "Planning the pathways of",
    "repo_courses.modules": "Writing the course",
}


def _jobs(session: Session, user: Principal, limit: int) -> list[JobRow]:
    """The user's newest jobs, each named after its document or course (one query each)."""
    jobs = session.scalars(list_jobs_stmt(user.id).limit(limit)).all()
    ids = {key: _param_ids(jobs, key) for key in ("document_id", "course_id")}
    docs = dict(
        session.execute(
            select(Document.id, Document.filename).where(
                Document.user_id == user.id, Document.id.in_(ids["document_id"])
            )
        ).all()
    )
    courses = {
        cid: title or topic
        for cid, title, topic in session.execute(
            select(Course.id, Course.title, Course.topic).where(
                Course.user_id == user.id, Course.id.in_(ids["course_id"])
            )
        ).all()
    }
    rows = []
    for job in jobs:
        verb = KIND_VERBS.get(job.kind, job.kind.replace(".", " ").replace("_", " ").capitalize())
        doc_id, course_id = _param_id(job, "document_id"), _param_id(job, "course_id")
        if doc_id in docs:
            rows.append(JobRow(job, f"{verb} {docs[doc_id]}", f"/library/{doc_id}"))
        elif course_id in courses:
            rows.append(JobRow(job, f"{verb} “{courses[course_id]}”", f"/studio/{course_id}"))
        elif doc_id or course_id:
            rows.append(JobRow(job, f"{verb} (deleted since)", None))
        else:
            rows.append(JobRow(job, verb, None))
    return rows


def _param_id(job: Job, key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str((job.params or {})[key]))
    except (KeyError, ValueError):
        return None


def _param_ids(jobs: Sequence[Job], key: str) -> list[uuid.UUID]:
    return [i for i in (_param_id(job, key) for job in jobs) if i is not None]


@router.get("/")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The signed-in home page: the next steps for this user and their recent jobs."""
    counts = {
        "documents": session.scalar(
            select(func.count(Document.id)).where(Document.user_id == user.id)
        ),
        "courses": session.scalar(select(func.count(Course.id)).where(Course.user_id == user.id)),
    }
    context = {"jobs": _jobs(session, user, HOME_JOBS), "limit": HOME_JOBS, "counts": counts}
    return render(request, "home.html", context, user=user)


@router.get("/jobs")
def jobs_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every job of the user, newest first."""
    context = {"jobs": _jobs(session, user, ALL_JOBS), "limit": ALL_JOBS}
    return render(request, "jobs.html", context, user=user)


@router.get("/ui/jobs")
def jobs_partial(
    request: Request,
    session: SessionDep,
    user: PageUser,
    limit: Annotated[int, Query(ge=1, le=ALL_JOBS)] = HOME_JOBS,
) -> Response:
    """The jobs list fragment that htmx polls."""
    return render(request, "_jobs.html", {"jobs": _jobs(session, user, limit)}, user=user)
