"""`create_app()`: builds the platform's clients in the lifespan and mounts every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studyforge import __version__
from studyforge.auth.api import router as auth_router
from studyforge.auth.throttle import SignInThrottle, ThrottlePolicy
from studyforge.chat.api import router as chat_router
from studyforge.config import Settings, get_settings
from studyforge.courses.api import router as courses_router
from studyforge.courses.editing_api import router as lesson_editing_router
from studyforge.documents.api import router as documents_router
from studyforge.errors import install_error_handlers
from studyforge.jobs.api import router as jobs_router
from studyforge.kit.limits import BodySizeLimit
from studyforge.kit.redact import configure_logging, install_redaction
from studyforge.openapi import install_api_description
from studyforge.platform import Platform, build_platform
from studyforge.projects.api import router as projects_router
from studyforge.quizzes.api import router as quizzes_router
from studyforge.repo_courses.api import router as repo_courses_router
from studyforge.speech.api import router as speech_router
from studyforge.speech.listen_api import router as listen_router
from studyforge.speech.tts_api import router as tts_router
from studyforge.storage import s3_origin
from studyforge.system.health import router as health_router
from studyforge.web import mount_web


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> FastAPI:
    """The ASGI app; pass `platform` to share clients (tests), else one is built on startup."""
    settings = settings or (platform.settings if platform else get_settings())
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        if owned:
            app.state.platform = build_platform(settings)
            app.state.platform.tokens.watch(app.state.platform.sessions)
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
        platform.tokens.watch(platform.sessions)
    app.state.signin_throttle = SignInThrottle(ThrottlePolicy.from_settings(settings))
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)  # after the middleware that can fail: it must wrap them
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    media = s3_origin(settings.s3_endpoint_url) if settings.s3_bucket else ""
    policy = content_security_policy(media)
    app.add_middleware(SecurityHeaders, exempt=docs, policy=policy)  # outermost: 500s get them too
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(jobs_router)
    app.include_router(documents_router)
    app.include_router(courses_router)
    app.include_router(quizzes_router)
    app.include_router(projects_router)
    app.include_router(chat_router)
    app.include_router(lesson_editing_router)
    app.include_router(repo_courses_router)
    app.include_router(speech_router)
    app.include_router(tts_router)
    app.include_router(listen_router)
    mount_web(app)
    install_api_description(app)  # after the routes: HEAD, OPTIONS, Allow, error docs
    return app


# Scripts, styles and htmx come from /static only. Inline <style> blocks in some templates
# (and htmx's indicator style) need 'unsafe-inline' for styles; scripts get no such leeway.
def content_security_policy(media: str = "") -> str:
    """The pages' policy; `media` is another origin audio may play from (S3's presigned URLs)."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"media-src 'self' {media}".strip(),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()
_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """`nosniff`, a referrer policy and `X-Frame-Options: DENY` on every response, and a
    Content-Security-Policy on HTML pages (except the OpenAPI docs, which load from a CDN)."""

    def __init__(
        self,
        app: ASGIApp,
        exempt: tuple[str | None, ...] = (),
        policy: str = CONTENT_SECURITY_POLICY,
    ) -> None:
        self.app = app
        self.exempt = {path for path in exempt if path}
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = scope.get("path") not in self.exempt

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                if with_csp and headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", self.policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def main_app() -> FastAPI:
    """Factory for `uvicorn --factory studyforge.app:main_app`."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
