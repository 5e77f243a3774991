"""The chat's cache of retrieval results and whole answers: Redis when `REDIS_URL` is set,
in-process otherwise.

Keys are built by the caller from the user id, the user's cache generation (bumped by
`ChatCache.forget_user`, e.g. when one of their documents was processed), the user's data
version (`documents.index.user_stamp`), the scope and the (rewritten) question, so one user
never reads another's entry and a changed document makes earlier entries unreachable.

Redis is an optimisation, never a dependency: every call has a short timeout, a failure is
logged once as a warning (no traceback) and the chat answers uncached until Redis is back
(it is tried again every `RETRY_SECONDS`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
PREFIX = "studyforge:chat:"
TTL_SECONDS = 3600
TIMEOUT_SECONDS = 0.25
RETRY_SECONDS = 5.0


class ChatCache(Protocol):
    """Where cached chat results live."""

    def get(self, key: str) -> Any | None:
        """The JSON value stored under `key`, if any."""
        ...

    def put(self, key: str, value: Any) -> None:
        """Store a JSON value (for `TTL_SECONDS`)."""
        ...

    def generation(self, user_id: uuid.UUID) -> int:
        """The user's cache generation (part of every key of theirs)."""
        ...

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Make every entry of the user unreachable."""
        ...


def make_key(kind: str, user_id: uuid.UUID, *parts: Any) -> str:
    """A cache key: the kind and user in clear (for inspection), the rest hashed."""
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:40]
    return f"{PREFIX}{kind}:{user_id}:{digest}"


class MemoryCache:
    """A bounded, thread-safe LRU with expiry, for one process."""

    def __init__(self, max_entries: int = 2000) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._generations: dict[uuid.UUID, int] = {}

    def get(self, key: str) -> Any | None:
        """The value under `key`, unless it expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._entries.pop(key, None)
                return None
            self._entries.move_to_end(key)
        return json.loads(entry[1])  # a fresh copy: callers may change it

    def put(self, key: str, value: Any) -> None:
        """Store `value` (as JSON) under `key`."""
        with self._lock:
            self._entries[key] = (time.monotonic() + TTL_SECONDS, json.dumps(value))
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def generation(self, user_id: uuid.UUID) -> int:
        """The user's generation."""
        with self._lock:
            return self._generations.get(user_id, 0)

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Bump the user's generation."""
        with self._lock:
            self._generations[user_id] = self._generations.get(user_id, 0) + 1


class RedisCache:
    """The same over Redis, shared by every process; silent (uncached) while Redis is down."""

    def __init__(self, url: str) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )  # fmt: skip
        self._down_until = 0.0
        self._warned = False
        self._lock = threading.Lock()

    def _call(self, what: str, *args: Any) -> Any:
        if time.monotonic() < self._down_until:
            return None
        try:
            result = getattr(self._client, what)(*args)
        except self._errors as exc:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_SECONDS
                warn, self._warned = not self._warned, True
            if warn:
                log.warning("chat cache: Redis is unavailable (%s); answering uncached", exc)
            return None
        if self._warned:
            with self._lock:
                self._warned = False
            log.info("chat cache: Redis is back")
        return result

    def get(self, key: str) -> Any | None:
        """The value under `key` (None also when Redis is down)."""
        raw = self._call("get", key)
        return json.loads(raw) if raw is not None else None

    def put(self, key: str, value: Any) -> None:
        """Store `value` under `key` with the TTL (nothing when Redis is down)."""
        self._call("set", key, json.dumps(value), TTL_SECONDS)

    def generation(self, user_id: uuid.UUID) -> int:
        """The user's generation (0 when Redis is down: nothing is read from it then)."""
        raw = self._call("get", f"{PREFIX}generation:{user_id}")
        return int(raw) if raw is not None else 0

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Bump the user's generation."""
        self._call("incr", f"{PREFIX}generation:{user_id}")


_LOCK = threading.Lock()
_REDIS: dict[str, RedisCache] = {}
_MEMORY: weakref.WeakKeyDictionary[Engine, MemoryCache] = weakref.WeakKeyDictionary()
_LAST: weakref.WeakKeyDictionary[Engine, ChatCache] = weakref.WeakKeyDictionary()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def chat_cache(session: Session, redis_url: str | None) -> ChatCache:
    """The cache to use: one Redis client per URL per process, or one in-process cache per
    database."""
    engine = _engine(session)
    with _LOCK:
        cache: ChatCache
        if redis_url:
            if redis_url not in _REDIS:
                _REDIS[redis_url] = RedisCache(redis_url)
            cache = _REDIS[redis_url]
        else:
            if engine not in _MEMORY:
                _MEMORY[engine] = MemoryCache()
            cache = _MEMORY[engine]
        _LAST[engine] = cache
        return cache


def known_cache(session: Session) -> ChatCache | None:
    """The cache this process last used for the session's database, if any."""
    with _LOCK:
        return _LAST.get(_engine(session))
