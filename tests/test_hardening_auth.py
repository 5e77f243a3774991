"""Hardening of auth: a deleted user's token is refused at once; sign-in is throttled."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, delete, select, update

from studyforge.app import create_app
from studyforge.auth.models import User
from studyforge.auth.service import create_user, issue_token
from studyforge.auth.throttle import SignInThrottle, ThrottlePolicy
from studyforge.config import Settings
from studyforge.platform import Platform, build_platform
from studyforge.web.pages import COOKIE_NAME
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"


def _user(platform: Platform, username: str | None = None) -> tuple[uuid.UUID, dict[str, str]]:
    with platform.sessions.begin() as session:
        user = create_user(session, username or f"u{uuid.uuid4().hex[:8]}", PASSWORD)
        token = issue_token(user, platform.settings.secret_key(), 60)
        return user.id, {"Authorization": f"Bearer {token}"}


def _client(app: FastAPI, address: str = "203.0.113.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


# --- a deleted or deactivated user's token -------------------------------------------------


def _delete_elsewhere(db_url: str, user_id: uuid.UUID) -> None:
    """Delete the user as another process would: its own engine, not the app's sessions."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(delete(User).where(User.id == user_id))
    finally:
        engine.dispose()


async def test_a_deleted_users_token_gets_401_on_writes_at_once(
    client: httpx.AsyncClient, platform: Platform
):
    """The token was cached by a read a moment ago (30 s cache); the write must not hit the FK."""
    user_id, headers = _user(platform)
    assert (await client.get("/auth/me", headers=headers)).status_code == 200
    _delete_elsewhere(platform.settings.sqlalchemy_url, user_id)
    resp = await client.post("/api/courses", json={"topic": "Photosynthesis"}, headers=headers)
    assert resp.status_code == 401, resp.text
    assert resp.json()["code"] == "INVALID_TOKEN"
    assert set(resp.json()) == {"error", "code", "timestamp"}
    # The refused write also forgot the user's cached tokens, so reads are refused from now on.
    me = await client.get("/auth/me", headers=headers)
    assert me.status_code == 401 and me.json()["code"] == "INVALID_TOKEN"


async def test_a_deleted_users_cookie_is_refused_on_page_writes(
    client: httpx.AsyncClient, platform: Platform
):
    """Web forms identify through the same path: the cookie of a deleted user signs nobody in."""
    user_id, headers = _user(platform)
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set(COOKIE_NAME, token)
    assert (await client.get("/auth/me")).status_code == 200
    _delete_elsewhere(platform.settings.sqlalchemy_url, user_id)
    resp = await client.post(
        "/api/courses", json={"topic": "Photosynthesis"}, headers={"Origin": "http://testserver"}
    )
    assert resp.status_code == 401 and resp.json()["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize("how", ["orm_delete", "orm_deactivate", "bulk_deactivate", "bulk_delete"])
async def test_a_user_changed_in_this_process_is_refused_at_once_even_for_reads(
    client: httpx.AsyncClient, platform: Platform, how: str
):
    user_id, headers = _user(platform)
    _, other_headers = _user(platform)
    assert platform.settings.auth_cache_seconds == 30
    for h in (headers, other_headers):
        assert (await client.get("/auth/me", headers=h)).status_code == 200
    with platform.sessions.begin() as session:
        if how == "orm_delete":
            session.delete(session.get(User, user_id))
        elif how == "orm_deactivate":
            session.get_one(User, user_id).is_active = False
        elif how == "bulk_deactivate":
            session.execute(update(User).where(User.id == user_id).values(is_active=False))
        else:
            session.execute(delete(User).where(User.id == user_id))
    resp = await client.get("/auth/me", headers=headers)
    assert resp.status_code == 401 and resp.json()["code"] == "INVALID_TOKEN"
    assert (await client.get("/auth/me", headers=other_headers)).status_code == 200
    # A search is a POST served from the token cache like a read: refused all the same.
    search = await client.post("/api/search", json={"query": "cells"}, headers=headers)
    assert search.status_code == 401 and search.json()["code"] == "INVALID_TOKEN"
    other = await client.post("/api/search", json={"query": "cells"}, headers=other_headers)
    assert other.status_code == 200


async def test_a_rolled_back_deactivation_changes_nothing(
    client: httpx.AsyncClient, platform: Platform
):
    user_id, headers = _user(platform)
    assert (await client.get("/auth/me", headers=headers)).status_code == 200
    with platform.sessions() as session:
        session.get_one(User, user_id).is_active = False
        session.flush()
        session.rollback()
    assert (await client.get("/auth/me", headers=headers)).status_code == 200
    with platform.sessions() as session:
        assert session.scalar(select(User.is_active).where(User.id == user_id)) is True


# --- sign-in throttling --------------------------------------------------------------------


@pytest.fixture
def throttled(tmp_path: Path, db_url: str) -> Iterator[tuple[Platform, FastAPI]]:
    """A platform with small sign-in limits: 3 per account+address, 5 per address, 0.5 s lock."""
    settings = make_settings(
        tmp_path / "home",
        db_url,
        signin_max_failures=3,
        signin_max_address_failures=5,
        signin_lockout_seconds=0.5,
    )
    platform = build_platform(settings)
    yield platform, create_app(platform=platform)
    platform.close()


async def _token(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password})


def _assert_throttled(resp: httpx.Response) -> None:
    assert resp.status_code == 429, resp.text
    body = resp.json()
    assert set(body) == {"error", "code", "timestamp"}
    assert body["code"] == "TOO_MANY_ATTEMPTS"
    assert int(resp.headers["Retry-After"]) >= 1
    assert "try again" in body["error"]


async def test_repeated_wrong_passwords_lock_the_account_from_that_address_only(throttled):
    platform, app = throttled
    _user(platform, "victim")
    async with _client(app, "198.51.100.7") as attacker, _client(app, "192.0.2.20") as owner:
        for _ in range(3):
            assert (await _token(attacker, "victim", "wrong-password")).status_code == 401
        # Locked: even the right password is refused without being checked.
        _assert_throttled(await _token(attacker, "victim", PASSWORD))
        _assert_throttled(await _token(attacker, "victim", "wrong-password"))
        # The real user, elsewhere, is not locked out by the attacker.
        assert (await _token(owner, "victim", PASSWORD)).status_code == 200


async def test_the_lockout_lapses_and_then_grows(throttled):
    platform, app = throttled
    _user(platform, "bob")
    throttle: SignInThrottle = app.state.signin_throttle
    now = [1000.0]
    throttle.clock = lambda: now[0]
    async with _client(app) as client:
        for _ in range(3):
            assert (await _token(client, "bob", "nope-nope-nope")).status_code == 401
        first = await _token(client, "bob", PASSWORD)
        _assert_throttled(first)
        assert first.headers["Retry-After"] == "1"  # 0.5 s, rounded up
        now[0] += 0.6
        # A further failure after the lock doubles the next one.
        assert (await _token(client, "bob", "nope-nope-nope")).status_code == 401
        now[0] += 0.6
        _assert_throttled(await _token(client, "bob", PASSWORD))
        now[0] += 0.5
        assert (await _token(client, "bob", PASSWORD)).status_code == 200


async def test_a_correct_password_clears_the_accounts_count(throttled):
    platform, app = throttled
    _user(platform, "heidi")
    async with _client(app) as client:
        for _ in range(2):
            assert (await _token(client, "heidi", "nope-nope-nope")).status_code == 401
        assert (await _token(client, "heidi", PASSWORD)).status_code == 200
        for _ in range(2):  # two more: 4 in all, but only 2 since the success
            assert (await _token(client, "heidi", "nope-nope-nope")).status_code == 401
        assert (await _token(client, "heidi", PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_throttled(throttled):
    platform, app = throttled
    _user(platform, "carol")
    async with _client(app, "198.51.100.9") as sprayer, _client(app, "192.0.2.30") as carol:
        for i in range(5):  # one guess per account stays under the per-account limit
            assert (await _token(sprayer, f"user{i}", "Winter2024!")).status_code == 401
        _assert_throttled(await _token(sprayer, "carol", PASSWORD))
        assert (await _token(carol, "carol", PASSWORD)).status_code == 200


async def test_the_sign_in_form_is_throttled_with_a_readable_message(throttled):
    platform, app = throttled
    _user(platform, "dave")
    form = {"username": "dave", "password": "wrong-password", "next": "/"}
    async with _client(app) as client:
        for _ in range(3):
            assert (await client.post("/login", data=form)).status_code == 401
        resp = await client.post("/login", data={**form, "password": PASSWORD})
    assert resp.status_code == 429
    assert resp.headers["content-type"].startswith("text/html")
    assert int(resp.headers["Retry-After"]) >= 1
    assert "Too many failed sign-in attempts" in resp.text
    assert "TOO_MANY_ATTEMPTS" not in resp.text
    assert 'value="dave"' in resp.text and PASSWORD not in resp.text
    assert COOKIE_NAME not in resp.headers.get("set-cookie", "")


async def test_the_form_and_the_api_share_one_count(throttled):
    platform, app = throttled
    _user(platform, "erin")
    async with _client(app) as client:
        for _ in range(2):
            await client.post("/login", data={"username": "erin", "password": "bad-bad-bad"})
        assert (await _token(client, "erin", "bad-bad-bad")).status_code == 401
        _assert_throttled(await _token(client, "erin", PASSWORD))


def test_throttle_memory_is_bounded():
    policy = ThrottlePolicy(max_failures=3, max_address_failures=1_000_000, max_entries=100)
    throttle = SignInThrottle(policy, clock=lambda: 0.0)
    for i in range(5_000):
        throttle.failed(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert throttle.size() <= 200
    throttle.failed("last", "10.9.9.9")
    throttle.failed("last", "10.9.9.9")
    throttle.failed("last", "10.9.9.9")
    with pytest.raises(Exception, match="Too many"):
        throttle.check("last", "10.9.9.9")


def test_failures_are_forgotten_after_the_window():
    now = [0.0]
    policy = ThrottlePolicy(max_failures=2, lockout_seconds=10, window_seconds=60)
    throttle = SignInThrottle(policy, clock=lambda: now[0])
    throttle.failed("frank", "10.0.0.1")
    now[0] += 61
    throttle.failed("frank", "10.0.0.1")  # the first one is too old to count
    throttle.check("frank", "10.0.0.1")
    throttle.failed("frank", "10.0.0.1")
    with pytest.raises(Exception, match="10 seconds"):
        throttle.check("frank", "10.0.0.1")


def test_the_limits_are_settings_with_env_names(monkeypatch: pytest.MonkeyPatch):
    env: dict[str, Any] = {
        "STUDYFORGE_SIGNIN_MAX_FAILURES": "7",
        "STUDYFORGE_SIGNIN_MAX_ADDRESS_FAILURES": "70",
        "STUDYFORGE_SIGNIN_LOCKOUT_SECONDS": "12",
        "STUDYFORGE_SIGNIN_MAX_LOCKOUT_SECONDS": "600",
        "STUDYFORGE_SIGNIN_WINDOW_SECONDS": "300",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    policy = ThrottlePolicy.from_settings(Settings())
    assert (policy.max_failures, policy.max_address_failures) == (7, 70)
    assert (policy.lockout_seconds, policy.max_lockout, policy.window_seconds) == (12, 600, 300)
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name in env:
        assert f"`{name}`" in readme


@pytest.fixture
async def default_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app) as client:
        yield client


async def test_defaults_allow_a_few_typos(default_client: httpx.AsyncClient, platform: Platform):
    _user(platform, "grace")
    for _ in range(4):
        assert (await _token(default_client, "grace", "typo-typo")).status_code == 401
    assert (await _token(default_client, "grace", PASSWORD)).status_code == 200
