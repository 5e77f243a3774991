"""Every error has the shared shape; no traceback or secret reaches a client or a log."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import UserMaker

pytestmark = pytest.mark.anyio


def assert_shape(body: dict[str, object], code: str) -> None:
    assert set(body) <= {"error", "code", "timestamp", "details"}
    assert body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    assert "T" in str(body["timestamp"])


async def test_unknown_route_is_404(client: httpx.AsyncClient):
    resp = await client.get("/no/such/route")
    assert resp.status_code == 404
    assert_shape(resp.json(), "NOT_FOUND")


async def test_wrong_method_is_405(client: httpx.AsyncClient):
    resp = await client.delete("/auth/token")
    assert resp.status_code == 405
    assert_shape(resp.json(), "METHOD_NOT_ALLOWED")


async def test_declared_too_large_body_is_413(client: httpx.AsyncClient):
    resp = await client.post("/auth/token", content=b"x" * (1024 * 1024 + 1))
    assert resp.status_code == 413
    assert_shape(resp.json(), "PAYLOAD_TOO_LARGE")


async def test_streamed_too_large_body_is_413(client: httpx.AsyncClient):
    async def chunks():
        for _ in range(40):
            yield b"y" * 65536

    resp = await client.post(
        "/auth/token",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 413
    assert_shape(resp.json(), "PAYLOAD_TOO_LARGE")


async def test_bad_content_length_is_rejected(client: httpx.AsyncClient):
    resp = await client.post("/auth/token", content=b"a=b", headers={"content-length": "-5"})
    assert resp.status_code in {400, 413}


async def test_validation_error_has_details(client: httpx.AsyncClient, make_user: UserMaker):
    _, headers = make_user()
    resp = await client.get("/api/jobs/not-a-uuid", headers=headers)
    assert resp.status_code == 422
    body = resp.json()
    assert_shape(body, "VALIDATION_ERROR")
    assert body["details"][0]["loc"] == ["path", "job_id"]


async def test_500_has_no_traceback(app: FastAPI, client: httpx.AsyncClient, caplog):
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter22 mail bob@example.com")

    app.add_api_route("/boom", boom)
    with caplog.at_level(logging.ERROR):
        resp = await client.get("/boom")
    assert resp.status_code == 500
    assert_shape(resp.json(), "INTERNAL_ERROR")
    assert "secret internals" not in resp.text
    assert "Traceback" not in resp.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert "hunter22" not in logged and "bob@example.com" not in logged


async def test_login_never_logs_password_or_token(
    client: httpx.AsyncClient, make_user: UserMaker, caplog
):
    make_user("carol", "very-secret-pw-1")
    with caplog.at_level(logging.DEBUG):
        ok = await client.post(
            "/auth/token", data={"username": "carol", "password": "very-secret-pw-1"}
        )
        await client.post("/auth/token", data={"username": "carol", "password": "wrong-pw-22"})
    token = ok.json()["access_token"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "very-secret-pw-1" not in logged
    assert "wrong-pw-22" not in logged
    assert token not in logged
