"""User management, password hashing (argon2) and JWT issue/verification (HS256 only)."""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, event, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from studyforge.auth.models import User
from studyforge.db import utcnow
from studyforge.errors import AppError, Conflict, Unauthorized

ALGORITHM = "HS256"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,150}$")
_hasher = PasswordHasher()
# Verifying against a dummy hash when the user is unknown keeps timing uniform.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class InvalidUsername(AppError):
    """Usernames are 1-150 letters, digits or . _ @ -."""

    code = "INVALID_USERNAME"
    status = 422


class WeakPassword(AppError):
    """Passwords must be at least 8 characters."""

    code = "WEAK_PASSWORD"
    status = 422


def create_user(session: Session, username: str, password: str, email: str | None = None) -> User:
    """Create a user with a hashed password; the username must be free."""
    if not USERNAME_RE.match(username):
        raise InvalidUsername("Username must be 1-150 letters, digits or . _ @ -")
    if len(password) < 8:
        raise WeakPassword("Password must be at least 8 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username!r} already exists", code="USER_EXISTS")
    user = User(username=username, password_hash=_hasher.hash(password), email=email)
    session.add(user)
    session.flush()
    return user


def count_users(session: Session) -> int:
    """How many users exist."""
    return session.scalar(select(func.count(User.id))) or 0


def authenticate(session: Session, username: str, password: str) -> User:
    """Return the user for valid credentials or raise Unauthorized."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.is_active:
        raise Unauthorized("Incorrect username or password", code="INVALID_CREDENTIALS")
    return user


def issue_token(user: User, secret: str, ttl_minutes: int) -> str:
    """A signed HS256 JWT whose subject is the user id."""
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=ttl_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class Principal:
    """The signed-in user as a request sees it: who, never the password hash."""

    id: uuid.UUID
    username: str
    email: str | None
    created_at: datetime


_PRINCIPAL_COLUMNS = select(User.id, User.username, User.email, User.created_at).where(
    User.id == bindparam("user_id"), User.is_active.is_(True)
)


def decode_token(token: str, secret: str) -> tuple[uuid.UUID, float]:
    """Verify a token's signature, algorithm and expiry; its user id and expiry (Unix time).

    Raises Unauthorized (TOKEN_EXPIRED or INVALID_TOKEN) otherwise.
    """
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return uuid.UUID(str(claims["sub"])), float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token has expired", code="TOKEN_EXPIRED") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized("Invalid token", code="INVALID_TOKEN") from exc


def active_principal(conn: Connection, user_id: uuid.UUID) -> Principal | None:
    """The user with this id if it exists and is active."""
    row = conn.execute(_PRINCIPAL_COLUMNS, {"user_id": user_id}).one_or_none()
    return None if row is None else Principal(row.id, row.username, row.email, row.created_at)


class TokenCache:
    """Tokens verified in the last `ttl` seconds, so a busy client's reads skip the check.

    A token is trusted from here until the earlier of its expiry and `ttl` seconds after it
    was verified. Writes never use the cache (see `auth.deps.identify`), and a user deleted or
    deactivated through this process's sessions is forgotten at commit (`watch`), so only a
    read after a change made elsewhere may still pass, for at most `ttl` seconds. Keyed by the
    whole token string, so only a token that passed the signature check is ever a hit.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self._watched: set[int] = set()

    def get(self, token: str) -> Principal | None:
        """The token's user if it was verified recently and is still within its expiry."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= time.time():
            self._entries.pop(token, None)
            return None
        return entry[0]

    def put(self, token: str, principal: Principal, expires: float) -> None:
        """Remember a verified token (forgetting the oldest entry when full)."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)), None)
            self._entries[token] = (principal, min(expires, time.time() + self.ttl))

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Drop every cached token of one user (it was deleted or deactivated)."""
        with self._lock:
            stale = [token for token, (who, _) in self._entries.items() if who.id == user_id]
            for token in stale:
                del self._entries[token]

    def clear(self) -> None:
        """Drop every cached token."""
        with self._lock:
            self._entries.clear()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Forget users deleted or deactivated through `sessions` once that change commits."""
        with self._lock:
            if id(sessions) in self._watched:
                return
            self._watched.add(id(sessions))
        event.listen(sessions, "after_flush", _note_user_changes)
        event.listen(sessions, "do_orm_execute", _note_bulk_user_changes)
        event.listen(sessions, "after_rollback", lambda s: s.info.pop(_CHANGED_USERS, None))

        def forget(session: Session) -> None:
            changed = session.info.pop(_CHANGED_USERS, None)
            if changed is None:
                return
            if _ALL_USERS in changed:
                self.clear()
            for user_id in changed - {_ALL_USERS}:
                self.forget_user(user_id)

        event.listen(sessions, "after_commit", forget)


_CHANGED_USERS = "auth.changed_users"
_ALL_USERS = uuid.UUID(int=0)  # marker: a bulk statement changed users we cannot name


def _note_user_changes(session: Session, _context: object) -> None:
    changed = {obj.id for obj in session.deleted if isinstance(obj, User)}
    for obj in session.dirty:
        if isinstance(obj, User) and inspect(obj).attrs.is_active.history.has_changes():
            changed.add(obj.id)
    if changed:
        session.info.setdefault(_CHANGED_USERS, set()).update(changed)


def _note_bulk_user_changes(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == "users":
        state.session.info.setdefault(_CHANGED_USERS, set()).add(_ALL_USERS)
