"""Server-rendered pages (Jinja2 + htmx): sign-in and the signed-in shell."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def mount_web(app: FastAPI) -> None:
    """Add the page routes and the static files to `app`."""
    from studyforge.web.chat import router as chat_router
    from studyforge.web.checks import router as checks_router
    from studyforge.web.courses import router as courses_router
    from studyforge.web.documents import router as documents_router
    from studyforge.web.editing import router as editing_router
    from studyforge.web.errors import error_page
    from studyforge.web.pages import router
    from studyforge.web.projects import first as projects_first
    from studyforge.web.projects import router as projects_router
    from studyforge.web.quiz_take import router as quiz_take_router
    from studyforge.web.quizzes import router as quizzes_router
    from studyforge.web.repo_wizard import router as repo_wizard_router
    from studyforge.web.speech import router as speech_router

    app.include_router(router)
    app.include_router(documents_router)
    app.include_router(repo_wizard_router)  # before the courses pages' `/studio/{course_id}`
    app.include_router(courses_router)
    app.include_router(checks_router)
    app.include_router(editing_router)
    app.include_router(quizzes_router)
    app.include_router(quiz_take_router)
    app.include_router(chat_router)
    app.include_router(speech_router)
    app.include_router(projects_router)
    # The /projects page answers browser navigations ahead of the API's JSON list there.
    count = len(app.router.routes)
    app.include_router(projects_first)
    added = app.router.routes[count:]
    del app.router.routes[count:]
    app.router.routes[0:0] = added
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.error_page = error_page  # HTML errors for browsers (see `errors.wants_html`)
