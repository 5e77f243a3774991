"""User management, password hashing (argon2) and JWT issue/verification (HS256 only)."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


def user_from_token(session: Session, token: str, secret: str) -> User:
    """Verify a token (signature, expiry, algorithm) and load its active user."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        user_id = uuid.UUID(str(claims["sub"]))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token has expired", code="TOKEN_EXPIRED") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("Invalid token", code="INVALID_TOKEN") from exc
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Invalid token", code="INVALID_TOKEN")
    return user
