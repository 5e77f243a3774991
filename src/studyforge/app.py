"""`create_app()`: builds the platform's clients in the lifespan and mounts every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from studyforge import __version__
from studyforge.auth.api import router as auth_router
from studyforge.config import Settings, get_settings
from studyforge.courses.api import router as courses_router
from studyforge.documents.api import router as documents_router
from studyforge.errors import install_error_handlers
from studyforge.jobs.api import router as jobs_router
from studyforge.kit.limits import BodySizeLimit
from studyforge.kit.redact import configure_logging, install_redaction
from studyforge.platform import Platform, build_platform
from studyforge.system.health import router as health_router
from studyforge.web import mount_web


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> FastAPI:
    """The ASGI app; pass `platform` to share clients (tests), else one is built on startup."""
    settings = settings or (platform.settings if platform else get_settings())
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        app.state.platform = platform or build_platform(settings)
        try:
            yield
        finally:
            if owned:
                app.state.platform.close()

    app = FastAPI(
        title="studyforge",
        version=__version__,
        lifespan=lifespan,
        description="Courses, quizzes, projects, a grounded tutor and audio from your sources.",
    )
    if platform is not None:
        app.state.platform = platform
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(jobs_router)
    app.include_router(documents_router)
    app.include_router(courses_router)
    mount_web(app)
    return app


def main_app() -> FastAPI:
    """Factory for `uvicorn --factory studyforge.app:main_app`."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
