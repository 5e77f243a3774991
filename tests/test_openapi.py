"""The OpenAPI describes the API as it answers: error bodies, content types, HEAD and Allow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from tests.conftest import UserMaker
from tests.test_errors import assert_shape

pytestmark = pytest.mark.anyio
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
VALIDATION_REF = {"$ref": "#/components/schemas/ValidationError"}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def error_schema(operation: dict[str, Any], status: int) -> Any:
    response = operation["responses"][str(status)]
    return response["content"]["application/json"]["schema"]


async def test_every_operation_documents_the_errors_it_can_give(app: FastAPI):
    spec = app.openapi()
    assert "HTTPValidationError" not in str(spec)  # FastAPI's `{"detail": [...]}` is gone
    for method, path, operation in operations(spec):
        if method == "head":
            continue  # no bodies; checked below
        label = f"{method.upper()} {path}"
        if operation.get("security"):
            assert error_schema(operation, 401) == ERROR_REF, label
        if "{" in path:
            assert error_schema(operation, 404) == ERROR_REF, label
        if operation.get("parameters") or operation.get("requestBody"):
            assert error_schema(operation, 422) == VALIDATION_REF, label
        if operation.get("requestBody"):
            assert error_schema(operation, 413) == ERROR_REF, label
            assert error_schema(operation, 400) == ERROR_REF, label
        for status, response in operation["responses"].items():
            if (label, status) == ("GET /health", "503"):  # the health report, documented
                assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Health")
                continue
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] in (
                    ERROR_REF,
                    VALIDATION_REF,
                ), (label, status)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "code", "timestamp"]
    assert set(error["properties"]) == {"error", "code", "timestamp", "details"}


async def test_feature_statuses_are_documented(app: FastAPI):
    paths = app.openapi()["paths"]
    assert set(paths["/auth/token"]["post"]["responses"]) >= {"200", "400", "401", "422", "429"}
    assert "Retry-After" in paths["/auth/token"]["post"]["responses"]["429"]["headers"]
    assert set(paths["/upload"]["post"]["responses"]) >= {"200", "202", "403", "413", "415"}
    assert "409" in paths["/process/{document_id}"]["post"]["responses"]
    assert "409" in paths["/api/courses/{course_id}/retry"]["post"]["responses"]
    assert "403" in paths["/documents"]["get"]["responses"]


async def test_the_documented_error_shape_is_what_clients_get(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    assert_shape((await client.get("/api/courses")).json(), "UNAUTHORIZED")
    assert_shape(
        (await client.get(f"/api/jobs/{NO_SUCH_ID}", headers=headers)).json(), "JOB_NOT_FOUND"
    )
    invalid = (await client.get("/api/jobs/not-an-id", headers=headers)).json()
    assert_shape(invalid, "VALIDATION_ERROR")
    assert set(invalid["details"][0]) == {"loc", "msg", "type"}


async def test_streams_exports_and_downloads_have_their_real_content_types(app: FastAPI):
    paths = app.openapi()["paths"]

    def ok_types(path: str) -> set[str]:
        return set(paths[path]["get"]["responses"]["200"]["content"])

    for stream in ("/api/jobs/{job_id}/events", "/api/courses/{course_id}/events"):
        assert ok_types(stream) == {"text/event-stream"}
        item = paths[stream]["get"]["responses"]["200"]["content"]["text/event-stream"]
        assert item["itemSchema"]["properties"]["data"]["contentSchema"] == {
            "$ref": "#/components/schemas/Event"
        }
    assert ok_types("/api/courses/{course_id}/export") == {
        "application/json",
        "text/markdown",
        "text/html",
        "application/zip",
    }
    files = ok_types("/document/{document_id}/file")
    assert "application/json" not in files
    assert {"application/pdf", "text/plain", "image/png"} <= files


async def test_pages_are_not_in_the_schema(app: FastAPI):
    paths = app.openapi()["paths"]
    for page in ("/", "/login", "/logout", "/jobs", "/library", "/studio", "/ui/jobs"):
        assert page not in paths
    assert not [p for p in paths if p.startswith(("/library", "/studio", "/ui/"))]


async def test_every_get_has_a_head_without_bodies(app: FastAPI):
    paths = app.openapi()["paths"]
    ids = [op["operationId"] for _, _, op in operations(app.openapi())]
    assert len(ids) == len(set(ids))
    for path, methods in paths.items():
        if "get" in methods:
            head = methods["head"]
            assert set(head["responses"]) == set(methods["get"]["responses"]), path
            assert not [r for r in head["responses"].values() if "content" in r], path


async def test_head_answers_like_get_without_a_body(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    get = await client.get("/api/courses", headers=headers)
    head = await client.head("/api/courses", headers=headers)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]
    missing = await client.head(f"/api/jobs/{NO_SUCH_ID}/events", headers=headers)
    assert missing.status_code == 404 and missing.content == b""
    assert (await client.head("/api/courses")).status_code == 401
    assert (await client.head("/login")).status_code == 200


async def test_head_of_an_endless_stream_ends_at_once(app: FastAPI, client: httpx.AsyncClient):
    async def forever() -> AsyncIterator[str]:
        while True:
            yield "data: tick\n\n"
            await asyncio.sleep(0.01)

    def endless() -> StreamingResponse:
        return StreamingResponse(forever(), media_type="text/event-stream")

    app.add_api_route("/forever", endless)
    with anyio.fail_after(5):
        head = await client.head("/forever")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/event-stream")


async def test_options_and_405_list_every_method_of_the_path(client: httpx.AsyncClient):
    options = await client.options("/api/courses")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    one = await client.options(f"/api/courses/{NO_SUCH_ID}")
    assert one.headers["allow"] == "GET, HEAD, DELETE, OPTIONS"
    document = await client.options(f"/document/{NO_SUCH_ID}")
    assert document.headers["allow"] == "GET, HEAD, DELETE, OPTIONS"
    refused = await client.put("/api/courses")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert_shape(refused.json(), "METHOD_NOT_ALLOWED")
    token = await client.delete("/auth/token")
    assert token.status_code == 405 and token.headers["allow"] == "POST, OPTIONS"
    assert (await client.options("/no/such/route")).status_code == 404
