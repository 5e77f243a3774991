"""Security headers: pages get a CSP that allows only their own scripts, and refuse framing."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import UserMaker

pytestmark = pytest.mark.anyio


def _csp(resp: httpx.Response) -> dict[str, list[str]]:
    policy = resp.headers["Content-Security-Policy"]
    directives = [part.split() for part in policy.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def _assert_common(resp: httpx.Response) -> None:
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


async def test_the_sign_in_page_has_a_csp_and_refuses_framing(client: httpx.AsyncClient):
    resp = await client.get("/login")
    assert resp.status_code == 200
    _assert_common(resp)
    csp = _csp(resp)
    assert csp["script-src"] == ["'self'"]  # no inline scripts, no eval, no other origin
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]


async def test_signed_in_pages_and_error_pages_have_the_headers(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set("studyforge_token", token)
    for path in ("/", "/jobs", "/library", "/studio", "/ui/jobs", "/speech", "/ui/speech"):
        resp = await client.get(path)
        assert resp.status_code == 200, path
        _assert_common(resp)
        assert "script-src" in _csp(resp), path
    failed = await client.post("/login", data={"username": "nobody", "password": "whatever-1"})
    assert failed.status_code == 401
    _assert_common(failed)
    assert "script-src" in _csp(failed)


async def test_the_pages_scripts_all_come_from_static(
    client: httpx.AsyncClient, make_user: UserMaker
):
    """What the CSP allows is what the pages use: every <script> has a /static source."""
    _, headers = make_user()
    client.cookies.set("studyforge_token", headers["Authorization"].removeprefix("Bearer "))
    for path in ("/login", "/", "/jobs", "/library", "/studio", "/speech"):
        html = (await client.get(path)).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert re.search(r'src="/static/', tag), (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers


async def test_api_responses_get_nosniff_but_no_page_policy(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    resp = await client.get("/api/jobs", headers=headers)
    assert resp.status_code == 200
    _assert_common(resp)
    assert "Content-Security-Policy" not in resp.headers
    unauthorized = await client.get("/api/jobs")
    assert unauthorized.status_code == 401
    assert unauthorized.headers["X-Content-Type-Options"] == "nosniff"
    static = await client.get("/static/app.css")
    assert static.status_code == 200
    assert static.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_openapi_docs_keep_working(client: httpx.AsyncClient):
    """The docs page loads Swagger UI from a CDN with an inline script: no CSP there."""
    resp = await client.get("/docs")
    assert resp.status_code == 200
    assert "Content-Security-Policy" not in resp.headers
    assert resp.headers["X-Frame-Options"] == "DENY"
