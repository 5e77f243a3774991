"""One error base and the single handler that renders every error in the shared shape.

Every error body is `{"error": "...", "code": "SNAKE_CODE", "timestamp": "ISO-8601"}` with an
optional `"details"`. Features subclass `AppError` (e.g. `class CourseNotFound(NotFound)`).

A browser navigating to a page (a GET whose `Accept` prefers HTML, not an htmx fetch) gets an
HTML error page instead, from the renderer the web pages register as `app.state.error_page`;
API clients keep the JSON.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from studyforge.kit.asgi import StartWatch

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error a client may see."""

    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
        self.headers = headers


class NotFound(AppError):
    """A resource that does not exist or belongs to someone else."""

    status = 404
    code = "NOT_FOUND"


class Unauthorized(AppError):
    """Missing, expired or invalid credentials."""

    status = 401
    code = "UNAUTHORIZED"

    def __init__(self, message: str = "Not authenticated", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class Conflict(AppError):
    """The request conflicts with the current state of a resource."""

    status = 409
    code = "CONFLICT"


class TransientError(Exception):
    """A failure worth retrying with backoff (network blip, rate limit, broker restart)."""


def error_body(message: str, code: str, details: Any = None) -> dict[str, Any]:
    """The shared error shape."""
    body: dict[str, Any] = {
        "error": message,
        "code": code,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return body


_CODE_NAMES = {413: "PAYLOAD_TOO_LARGE", 422: "VALIDATION_ERROR"}


def _status_code_name(status: int) -> str:
    if status in _CODE_NAMES:
        return _CODE_NAMES[status]
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "HTTP_ERROR"


def wants_html(method: str, headers: Any) -> bool:
    """Whether a request is a browser navigation: a GET or HEAD that prefers HTML to JSON
    (`Accept: text/html,...`), and not an htmx or script fetch of a fragment."""
    if method not in ("GET", "HEAD") or headers.get("hx-request"):
        return False
    accept = (headers.get("accept") or "").lower()
    html, json = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json < 0 or html < json)


async def _page_or_json(
    request: Request, status: int, message: str, body: dict[str, Any], headers: Any = None
) -> Response:
    renderer = getattr(request.app.state, "error_page", None)
    if renderer is not None and wants_html(request.method, request.headers):
        page: Response = await renderer(request, status, message)
        page.headers.update(headers or {})
        return page
    return JSONResponse(body, status, headers=headers)


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    body = error_body(exc.message, exc.code, exc.details)
    return await _page_or_json(request, exc.status, exc.message, body, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    body = error_body(message, _status_code_name(exc.status_code))
    return await _page_or_json(
        request, exc.status_code, message, body, getattr(exc, "headers", None)
    )


def _clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    # Echoing back the rejected input could leak a password; keep location and message only.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in errors
    ]


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _clean_validation_errors(exc.errors())
    body = error_body("Invalid request", "VALIDATION_ERROR", details)
    return await _page_or_json(request, 422, "Invalid request", body)


SERVER_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Something went wrong · studyforge</title></head>
<body><main><h1>Something went wrong</h1>
<p>studyforge could not show this page. Nothing you saved was lost. Try again in a moment;
if it keeps happening, tell whoever runs this server (the details are in its log).</p>
<p><a href="/">Go to the home page</a></p></main></body></html>
"""


class UnhandledErrors:
    """Outermost middleware: an exception nothing else handled becomes one logged 500.

    Registered as middleware rather than as Starlette's `Exception` handler, because that
    handler re-raises after responding, so the server logged each failure a second time and
    closed the keep-alive connection. Here the failure is logged once, with its traceback, and
    the connection stays usable. If the response had already started there is nothing to send,
    so the exception goes on to the server, which logs it (once) and closes the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = StartWatch(send)
        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if watch.started:
                raise
            log.error(
                "unhandled error on %s %s: %r",
                scope.get("method"),
                scope.get("path"),
                exc,
                exc_info=exc,
            )
            response: Response
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            if wants_html(scope.get("method", ""), headers):
                response = HTMLResponse(SERVER_ERROR_PAGE, 500)  # no template: it could fail too
            else:
                response = JSONResponse(error_body("Internal server error", "INTERNAL_ERROR"), 500)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Give every error the shared shape; call after adding middleware that may fail.

    `UnhandledErrors` is added here and must wrap such middleware (Starlette puts the last
    one added outermost); only middleware that cannot fail, like headers, may go outside it.
    """
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(UnhandledErrors)
