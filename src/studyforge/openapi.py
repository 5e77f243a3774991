"""What the API says about itself: the OpenAPI description, `HEAD`, `OPTIONS` and `Allow`.

`install_api_description(app)` is the one place that:

- documents the shared error body (`errors.error_body`) for every status each operation can
  give, derived from what FastAPI derived from the route's dependencies: a security scheme
  (`CurrentUser`) gives 401, and 403 on writes (a cookie without our origin); a path id gives
  404; parameters or a body give 422; a body gives 413, and 400 when it cannot be parsed.
  Statuses only a feature knows (409, 415, 429...) come from the route's `responses=`, built
  with `errors()` below;
- documents event streams as one Server-Sent Event per item (`itemSchema`);
- adds a `HEAD` operation beside every `GET` and answers `HEAD` like `GET`, without a body;
- answers `OPTIONS` with 204 and an `Allow` that lists every method of the path, and puts the
  same list in the `Allow` of every 405.

Content types other than JSON are declared on the routes (`response_class=EventStream`,
`responses=content(...)`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Responses = dict[int | str, dict[str, Any]]
REF = "#/components/schemas/"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": "The body of every error response.",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "what went wrong, for a person"},
        "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$", "examples": ["NOT_FOUND"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "details": {"description": "more about the error, when there is more"},
    },
    "required": ["error", "code", "timestamp"],
    "additionalProperties": False,
}
VALIDATION_ISSUE_SCHEMA: dict[str, Any] = {
    "title": "ValidationIssue",
    "type": "object",
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
    "required": ["loc", "msg", "type"],
}
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    **ERROR_SCHEMA,
    "title": "ValidationError",
    "description": "A request that does not match its schema (code `VALIDATION_ERROR`), or "
    "a value a feature refuses (its own code, e.g. `INVALID_UPLOAD`).",
    "properties": {
        **ERROR_SCHEMA["properties"],
        "details": {"type": "array", "items": {"$ref": REF + "ValidationIssue"}},
    },
}
EVENT_SCHEMA: dict[str, Any] = {
    "title": "Event",
    "description": "A domain event, as SSE clients and the message brokers receive it.",
    "type": "object",
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "examples": ["job.progress"]},
        "seq": {"type": "integer", "description": "resume after it with `Last-Event-ID`"},
        "stream_id": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
        "user_id": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "data": {"type": "object"},
    },
    "required": ["event_id", "type", "seq", "occurred_at", "data"],
}
# One Server-Sent Event (OpenAPI 3.2's `itemSchema`, as FastAPI writes it for its own SSE).
SSE_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "the event's `seq`"},
        "event": {"type": "string", "description": "the event's `type`"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": REF + "Event"},
        },
        "retry": {"type": "integer", "minimum": 0},
    },
}
# FastAPI's own 422 description, replaced by the shared error shape.
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    405: {"Allow": {"schema": {"type": "string"}, "description": "the methods of the path"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
}
_DERIVED = {
    400: "The body could not be parsed (malformed JSON or form, not UTF-8)",
    401: "Not signed in, or the token is invalid or expired",
    403: "Refused (a cookie-authenticated write from another site, or another user's id)",
    404: "No such resource, or it belongs to someone else",
    413: "The request body is too large",
    422: "The request does not match its schema",
}


class EventStream(StreamingResponse):
    """A Server-Sent Events stream (`response_class=` of routes that return one)."""

    media_type = "text/event-stream"


def errors(described: Mapping[int, str]) -> Responses:
    """`responses=` for statuses only the route knows; each gets the shared error body."""
    return {status: {"description": text} for status, text in described.items()}


def content(media_types: Mapping[str, dict[str, Any]], description: str = "OK") -> Responses:
    """`responses=` for a 200 whose body is not (only) JSON: media type -> schema."""
    body = {media: {"schema": schema} for media, schema in media_types.items()}
    return {200: {"description": description, "content": body}}


TEXT: dict[str, Any] = {"type": "string"}
BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def install_api_description(app: FastAPI) -> None:
    """Describe `app`'s API truthfully and answer HEAD/OPTIONS; call once routes are added."""
    generate = app.openapi  # FastAPI's own, which caches per version of the routes
    described: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not described or described[0] is not schema:
            describe(schema)
            described[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    # Innermost of the middleware: its answers still get the security headers and the
    # error handling around it, and it sees the 405s the router raises.
    app.user_middleware.append(Middleware(HttpMethods, routes=lambda: app.routes))


def describe(schema: dict[str, Any]) -> None:
    """Rewrite FastAPI's generated schema in place (see the module docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_422:
        components.pop(name, None)
    shared = {
        "Error": ERROR_SCHEMA,
        "ValidationIssue": VALIDATION_ISSUE_SCHEMA,
        "ValidationError": VALIDATION_ERROR_SCHEMA,
        "Event": EVENT_SCHEMA,
    }
    components.update(copy.deepcopy(shared))  # a copy: consumers may edit their schema
    for component in components.values():  # an uploaded file may not be empty (EMPTY_FILE)
        for prop in (component.get("properties") or {}).values():
            if prop.get("format") == "binary" or prop.get("contentMediaType"):
                prop.setdefault("minLength", 1)
    for methods in schema.get("paths", {}).values():
        for method, operation in list(methods.items()):
            _document_errors(method, operation)
            _document_event_streams(operation)
        if "get" in methods and "head" not in methods:
            methods["head"] = _head_of(methods["get"])


def derived_statuses(method: str, operation: Mapping[str, Any]) -> set[int]:
    """The error statuses an operation can give because of what it takes."""
    statuses: set[int] = set()
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    if operation.get("security"):
        statuses.add(401)
        if method in WRITE_METHODS:
            statuses.add(403)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if parameters or body:
        statuses.add(422)
    if body:
        statuses |= {400, 413}
    return statuses


def _document_errors(method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in derived_statuses(method, operation):
        responses.setdefault(str(status), {"description": _DERIVED[status]})
    for key, response in responses.items():
        if not key.isdigit() or int(key) < 400:
            continue
        status = int(key)
        if _is_fastapi_422(response) or "content" not in response:
            ref = "ValidationError" if status == 422 else "Error"
            response["content"] = {"application/json": {"schema": {"$ref": REF + ref}}}
        if status in _HEADERS:
            response.setdefault("headers", {}).update(copy.deepcopy(_HEADERS[status]))
        if response.get("description") in (None, "", "Additional Response"):
            response["description"] = HTTPStatus(status).phrase


def _document_event_streams(operation: dict[str, Any]) -> None:
    for response in operation.get("responses", {}).values():
        stream = response.get("content", {}).get(EventStream.media_type)
        if stream is not None:
            stream.pop("schema", None)
            stream.setdefault("itemSchema", copy.deepcopy(SSE_ITEM_SCHEMA))  # a route's own


def _is_fastapi_422(response: Mapping[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _head_of(get: Mapping[str, Any]) -> dict[str, Any]:
    head = copy.deepcopy(dict(get))
    if "operationId" in head:
        head["operationId"] = re.sub(r"(_get)?$", "_head", head["operationId"], count=1)
    head["summary"] = f"{get.get('summary', '')} (headers only)".strip()
    head["description"] = "The headers `GET` would answer, without a body."
    for response in head.get("responses", {}).values():
        response.pop("content", None)
    return head


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route accepts on this path (with HEAD for GET, and OPTIONS)."""
    path = get_route_path(scope)
    methods: set[str] = set()
    for route in iter_route_contexts(routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    known = [m for m in METHOD_ORDER if m in methods]
    return known + sorted(methods - set(METHOD_ORDER))


class HttpMethods:
    """`HEAD` answered as `GET` without a body; `OPTIONS` and 405 with a complete `Allow`."""

    def __init__(self, app: ASGIApp, routes: Callable[[], list[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            allow = allowed_methods(self.routes(), scope)
            if allow:
                await _send_options(send, allow)
                return
        send = self._complete_allow(scope, send)
        if method == "HEAD":
            scope = {**scope, "method": "GET"}
            receive, send = _headers_only(receive, send)
        await self.app(scope, receive, send)

    def _complete_allow(self, scope: Scope, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allow = allowed_methods(self.routes(), scope)
                if allow:
                    MutableHeaders(scope=message)["Allow"] = ", ".join(allow)
            await send(message)

        return sending


async def _send_options(send: Send, allow: list[str]) -> None:
    headers = [(b"allow", ", ".join(allow).encode())]  # a 204 has no Content-Length
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _headers_only(receive: Receive, send: Send) -> tuple[Receive, Send]:
    """Pass the response's start, end it at its first body message and drop the rest.

    Once it has ended, `receive` reports a disconnect, so a stream (SSE) stops at once.
    """
    ended = False

    async def receiving() -> Message:
        if ended:
            return {"type": "http.disconnect"}
        return await receive()

    async def sending(message: Message) -> None:
        nonlocal ended
        if message["type"] == "http.response.start":
            await send(message)
        elif not ended:
            ended = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return receiving, sending
