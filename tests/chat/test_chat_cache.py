"""The chat cache on a real Redis: per user and data version, never another conversation's
follow-up, dropped when a document is processed, and answering on when Redis goes away."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_lib

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.chat import cache as chat_cache_module
from studyforge.chat import service
from studyforge.chat.models import ChatMessage
from studyforge.platform import Platform, build_platform
from tests.chat.conftest import ask, science
from tests.conftest import make_settings
from tests.documents import samples
from tests.documents.conftest import ingest

pytestmark = pytest.mark.anyio
VOLCANO = "What makes magma rise up and erupt from a volcano?"


@pytest.fixture
def cached_platform(tmp_path: Path, db_url: str, redis: Any) -> Iterator[Platform]:
    """The platform with `REDIS_URL` set to the test Redis."""
    built = build_platform(make_settings(tmp_path / "home", db_url, redis_url=redis.url))
    yield built
    built.close()


@pytest.fixture
async def rclient(cached_platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(platform=cached_platform),
                                    raise_app_exceptions=False)  # fmt: skip
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _user(platform: Platform) -> tuple[uuid.UUID, dict[str, str]]:
    with platform.sessions.begin() as session:
        user = create_user(session, f"u{uuid.uuid4().hex[:8]}", "correct horse battery")
        token = issue_token(user, platform.settings.secret_key(), 60)
        return user.id, {"Authorization": f"Bearer {token}"}


def _meta(platform: Platform, reply: dict[str, Any]) -> dict[str, Any]:
    with platform.sessions() as session:
        message = session.get_one(ChatMessage, uuid.UUID(reply["message_id"]))
        return dict(message.meta or {})


def _keys(redis: Any, kind: str, user_id: uuid.UUID) -> list[bytes]:
    client = redis_lib.Redis.from_url(redis.url)
    return list(client.scan_iter(f"studyforge:chat:{kind}:{user_id}:*"))


async def test_answers_are_cached_per_user_and_data_version(rclient, cached_platform, redis):
    alice, a_headers = _user(cached_platform)
    bob, b_headers = _user(cached_platform)
    await science(rclient, a_headers)
    await science(rclient, b_headers)
    first = await ask(rclient, a_headers, VOLCANO)
    assert not _meta(cached_platform, first).get("cached")
    assert len(_keys(redis, "answer", alice)) == 1 and len(_keys(redis, "evidence", alice)) == 1
    again = await ask(rclient, a_headers, VOLCANO)  # a new session, the same question
    assert _meta(cached_platform, again)["cached"] and again["response"] == first["response"]
    assert again["citations"] == first["citations"]
    # Bob's identical question on his identical PDF is his own entry, citing his document.
    his = await ask(rclient, b_headers, VOLCANO)
    assert not _meta(cached_platform, his).get("cached")
    assert his["citations"][0]["document_id"] != first["citations"][0]["document_id"]
    assert len(_keys(redis, "answer", bob)) == 1
    # A new document changes Alice's data version: the cached answer is not used.
    await ingest(rclient, a_headers, "optics.md", samples.MARKDOWN)
    after = await ask(rclient, a_headers, VOLCANO)
    assert not _meta(cached_platform, after).get("cached")
    assert len(_keys(redis, "answer", alice)) == 2


async def test_a_follow_up_is_never_another_conversations(rclient, cached_platform):
    _, headers = _user(cached_platform)
    await science(rclient, headers)
    one = await ask(rclient, headers, "What do B cells produce?")
    a = await ask(rclient, headers, "and what do they bind to?", session_id=one["session_id"])
    two = await ask(rclient, headers, "What does the Calvin cycle fix?")
    b = await ask(rclient, headers, "and what do they bind to?", session_id=two["session_id"])
    meta_a, meta_b = _meta(cached_platform, a), _meta(cached_platform, b)
    assert not meta_b.get("cached") and meta_a["query"] != meta_b["query"]
    assert a["citations"][0]["page"] == 3  # the immune system
    assert b["response"] != a["response"]
    # The same follow-up in the same kind of conversation is the cached one.
    three = await ask(rclient, headers, "What do B cells produce?")
    c = await ask(rclient, headers, "and what do they bind to?", session_id=three["session_id"])
    assert _meta(cached_platform, c)["cached"] and c["response"] == a["response"]


async def test_a_processed_document_drops_the_users_cached_answers(rclient, cached_platform):
    alice, headers = _user(cached_platform)
    doc = await science(rclient, headers)
    await ask(rclient, headers, VOLCANO)
    assert _meta(cached_platform, await ask(rclient, headers, VOLCANO))["cached"]
    with cached_platform.sessions() as session:
        service.on_document_processed(session, alice, uuid.UUID(doc["document_id"]))
    assert not _meta(cached_platform, await ask(rclient, headers, VOLCANO)).get("cached")


async def test_redis_stopped_midway_the_chat_answers_uncached(
    rclient, cached_platform, redis, caplog, monkeypatch
):
    monkeypatch.setattr(chat_cache_module, "RETRY_SECONDS", 0.0)
    alice, headers = _user(cached_platform)
    await science(rclient, headers)
    await ask(rclient, headers, VOLCANO)
    caplog.set_level(logging.WARNING, logger="studyforge.chat.cache")
    redis.stop()
    try:
        for _ in range(3):
            reply = await ask(rclient, headers, VOLCANO)
            assert reply["grounded"] and not _meta(cached_platform, reply).get("cached")
        down = await ask(rclient, headers, "How do vaccines train the immune system?")
        assert down["grounded"] and down["citations"][0]["page"] == 3
    finally:
        redis.start()
    warnings = [r for r in caplog.records if "Redis is unavailable" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    # Back: answers are cached again (the restarted Redis starts empty).
    await ask(rclient, headers, VOLCANO)
    assert _meta(cached_platform, await ask(rclient, headers, VOLCANO))["cached"]
    assert len(_keys(redis, "answer", alice)) == 1


async def test_without_redis_answers_are_cached_in_process(client, make_user, platform):
    user_id, headers = make_user()
    doc = await science(client, headers)
    await ask(client, headers, VOLCANO)
    assert _meta(platform, await ask(client, headers, VOLCANO))["cached"]
    with platform.sessions() as session:
        service.on_document_processed(session, user_id, uuid.UUID(doc["document_id"]))
    assert not _meta(platform, await ask(client, headers, VOLCANO)).get("cached")
