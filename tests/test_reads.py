"""The request read path: the cache of verified tokens and SQLite reads made on the event loop."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from studyforge.app import create_app
from studyforge.auth.models import User
from studyforge.auth.service import Principal, TokenCache, create_user, issue_token
from studyforge.db import LoopReader, make_engine
from studyforge.jobs.models import Job, JobStatus
from studyforge.migrate import upgrade
from studyforge.platform import Platform, build_platform
from tests.conftest import UserMaker, make_settings

pytestmark = pytest.mark.anyio
ALICE = Principal(uuid.uuid4(), "alice", None, datetime.now(UTC))


def test_token_cache_trusts_a_token_until_its_ttl_or_expiry_whichever_is_first():
    cache = TokenCache(ttl=0.3)
    cache.put("long-lived", ALICE, expires=time.time() + 3600)
    cache.put("expiring", ALICE, expires=time.time() + 0.1)
    assert cache.get("long-lived") == ALICE
    assert cache.get("expiring") == ALICE
    assert cache.get("never-verified") is None
    time.sleep(0.15)
    assert cache.get("expiring") is None  # the token's own expiry came first
    assert cache.get("long-lived") == ALICE
    time.sleep(0.2)
    assert cache.get("long-lived") is None  # then the cache's ttl


def test_token_cache_with_zero_ttl_keeps_nothing_and_is_bounded():
    off = TokenCache(ttl=0)
    off.put("t", ALICE, expires=time.time() + 60)
    assert off.get("t") is None
    small = TokenCache(ttl=60, max_entries=2)
    for token in ("a", "b", "c"):
        small.put(token, ALICE, expires=time.time() + 60)
    assert [small.get(t) is not None for t in ("a", "b", "c")] == [False, True, True]


@pytest.fixture
async def short_cache(
    tmp_path: Path, db_url: str
) -> AsyncIterator[tuple[Platform, httpx.AsyncClient]]:
    """A platform whose verified tokens are trusted for 0.3 s, with a client for its app."""
    platform = build_platform(make_settings(tmp_path / "home", db_url, auth_cache_seconds=0.3))
    transport = httpx.ASGITransport(app=create_app(platform=platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield platform, client
    platform.close()


async def test_a_deactivated_user_is_refused_once_the_cache_lapses(short_cache):
    platform, client = short_cache
    with platform.sessions.begin() as session:
        user = create_user(session, "carol", "correct horse battery")
        headers = {
            "Authorization": f"Bearer {issue_token(user, platform.settings.secret_key(), 5)}"
        }
        user_id = user.id
    assert (await client.get("/auth/me", headers=headers)).json()["username"] == "carol"
    with platform.sessions.begin() as session:
        session.execute(update(User).where(User.id == user_id).values(is_active=False))
    time.sleep(0.35)
    resp = await client.get("/auth/me", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["code"] == "INVALID_TOKEN"


async def test_a_token_is_refused_once_expired_even_if_nothing_changed(short_cache):
    """Neither cache may outlive the token: the expiry is checked whenever the cache misses."""
    platform, client = short_cache
    with platform.sessions.begin() as session:
        user_id = create_user(session, "erin", "correct horse battery").id
    claims = {"sub": str(user_id), "exp": int(time.time()) + 2}
    token = jwt.encode(claims, platform.settings.secret_key(), algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # served from the caches after the first
        assert (await client.get("/auth/me", headers=headers)).status_code == 200
    time.sleep(claims["exp"] - time.time() + 0.5)
    resp = await client.get("/auth/me", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["code"] == "TOKEN_EXPIRED"


def _finished_job(session: Session, user_id: uuid.UUID) -> uuid.UUID:
    """A job row no runner will touch again, so only the test changes it."""
    job = Job(kind="system.noop", user_id=user_id, params={}, status=JobStatus.SUCCEEDED)
    session.add(job)
    session.flush()
    return job.id


async def test_job_reads_see_commits_made_elsewhere_at_once(
    platform: Platform, client: httpx.AsyncClient, make_user: UserMaker
):
    """Reads may be memoised, but never past a commit by another connection."""
    user_id, headers = make_user()
    with platform.sessions.begin() as session:
        job_id = _finished_job(session, user_id)
    before = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
    assert before["id"] == str(job_id)
    with create_engine(platform.engine.url).begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(current_step="halfway, by hand"))
    after = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
    assert after["current_step"] == "halfway, by hand"
    _, other = make_user()
    assert (await client.get(f"/api/jobs/{job_id}", headers=other)).status_code == 404


async def test_sqlite_job_reads_see_a_commit_from_another_process(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    platform = build_platform(make_settings(tmp_path / "home", url, job_workers=1))
    try:
        assert platform.loop_reader is not None
        with platform.sessions.begin() as session:
            user = create_user(session, "dave", "correct horse battery")
            token = issue_token(user, platform.settings.secret_key(), 5)
            job_id = _finished_job(session, user.id)
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=create_app(platform=platform))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
            again = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
            assert first == again
            script = (
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                "c.execute(\"UPDATE jobs SET current_step = 'from another process' WHERE id = ?\","
                " (sys.argv[2],)); c.commit()"
            )
            subprocess.run(
                [sys.executable, "-c", script, str(tmp_path / "x.db"), job_id.hex], check=True
            )
            later = (await client.get(f"/api/jobs/{job_id}", headers=headers)).json()
        assert later["current_step"] == "from another process"
    finally:
        platform.close()


def test_loop_reader_memoises_until_a_commit_and_stays_bounded(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')"))
    reader = LoopReader(engine, max_entries=2)
    calls: list[int] = []

    def value(conn: Connection, key: int) -> str:
        calls.append(key)
        return str(conn.execute(text("SELECT v FROM t WHERE k = :k"), {"k": key}).scalar())

    try:
        assert [reader.read(value, 1), reader.read(value, 1)] == ["one", "one"]
        assert calls == [1]
        with engine.begin() as conn:
            conn.execute(text("UPDATE t SET v = 'uno' WHERE k = 1"))
        assert reader.read(value, 1) == "uno"
        assert calls == [1, 1]
        reader.read(value, 2)
        reader.read(value, 3)  # the memo holds two: key 1 goes
        reader.read(value, 1)
        assert calls == [1, 1, 2, 3, 1]
    finally:
        reader.close()
        engine.dispose()


def test_loop_reader_cannot_write(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER)"))
    reader = LoopReader(engine)

    def write(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t VALUES (1)"))

    try:
        with pytest.raises(OperationalError, match="readonly"):
            reader.read(write)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        reader.close()
        engine.dispose()


def test_loop_reads_only_for_a_sqlite_file():
    assert not LoopReader.supports(create_engine("sqlite://"))
    assert not LoopReader.supports(create_engine("sqlite:///:memory:"))
    assert not LoopReader.supports(create_engine("postgresql+psycopg://u@127.0.0.1/db"))
    assert LoopReader.supports(create_engine("sqlite:///var/studyforge.db"))
