"""Auth: the password flow, /auth/me, and every kind of bad token."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from tests.conftest import SECRET, UserMaker

pytestmark = pytest.mark.anyio


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_password_flow_returns_bearer_token(client: httpx.AsyncClient, make_user: UserMaker):
    user_id, _ = make_user("alice", "s3cret-password")
    resp = await client.post(
        "/auth/token", data={"username": "alice", "password": "s3cret-password"}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == str(user_id)
    assert me.json()["username"] == "alice"
    assert "password_hash" not in me.json()


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password"), ("nobody", "s3cret-password")]
)
async def test_bad_credentials_are_401_in_shared_shape(
    client: httpx.AsyncClient, make_user: UserMaker, username: str, password: str
):
    make_user("alice", "s3cret-password")
    resp = await client.post("/auth/token", data={"username": username, "password": password})
    assert resp.status_code == 401
    body = resp.json()
    assert set(body) == {"error", "code", "timestamp"}
    assert body["code"] == "INVALID_CREDENTIALS"


async def test_missing_form_fields_are_422_with_details(client: httpx.AsyncClient):
    resp = await client.post("/auth/token", data={"username": "alice"})
    assert resp.status_code == 422
    assert resp.json()["code"] == "VALIDATION_ERROR"
    assert any("password" in d["loc"] for d in resp.json()["details"])


def _forged_tokens(user_id: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": user_id, "exp": now + 600, "iat": now}
    return {
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "alg_none_upper": f"{_b64({'alg': 'NONE', 'typ': 'JWT'})}.{_b64(claims)}.",
        "wrong_key": jwt.encode(claims, "another-secret-" + "y" * 40, algorithm="HS256"),
        "hs512": jwt.encode(claims, SECRET, algorithm="HS512"),
        "expired": jwt.encode({**claims, "exp": now - 10}, SECRET, algorithm="HS256"),
        "no_exp": jwt.encode({"sub": user_id}, SECRET, algorithm="HS256"),
        "bad_sub": jwt.encode({**claims, "sub": "not-a-uuid"}, SECRET, algorithm="HS256"),
        "unknown_user": jwt.encode(
            {**claims, "sub": "00000000-0000-0000-0000-000000000000"}, SECRET, algorithm="HS256"
        ),
        "malformed": "not.a.jwt",
        "garbage": "%%%",
        "empty_parts": "..",
    }


@pytest.mark.parametrize("kind", sorted(_forged_tokens("x")))
async def test_bad_tokens_get_401(client: httpx.AsyncClient, make_user: UserMaker, kind: str):
    user_id, _ = make_user()
    token = _forged_tokens(str(user_id))[kind]
    resp = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401, kind
    assert resp.json()["code"] in {"INVALID_TOKEN", "TOKEN_EXPIRED"}
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_no_token_is_401(client: httpx.AsyncClient):
    resp = await client.get("/api/jobs")
    assert resp.status_code == 401
    assert resp.json()["code"] == "UNAUTHORIZED"


async def test_public_routes_need_no_token(client: httpx.AsyncClient):
    for path in ("/health", "/openapi.json", "/docs"):
        assert (await client.get(path)).status_code == 200, path


async def test_cookie_auth_refuses_cross_site_writes(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    token = headers["Authorization"].split()[1]
    client.cookies.set("studyforge_token", token)
    assert (await client.get("/auth/me")).status_code == 200
    job_url = "/api/jobs/00000000-0000-0000-0000-000000000000/cancel"
    evil = await client.post(job_url, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["code"] == "CSRF_REJECTED"
    same = await client.post(job_url, headers={"Origin": "http://testserver"})
    assert same.status_code == 404
