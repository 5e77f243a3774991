"""`CurrentUser`: the caller, from a bearer token or the web session cookie."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from studyforge.auth.service import Principal, active_principal, decode_token
from studyforge.errors import AppError, Unauthorized

COOKIE_NAME = "studyforge_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UserMismatch(AppError):
    status = 403
    code = "USER_MISMATCH"


def check_user_id(user_id: str | None, caller: uuid.UUID) -> None:
    """A `user_id` in a body or query (the specification's fields) is accepted only when it
    is the caller's own, or absent: the owner always comes from the token."""
    if user_id not in (None, "", str(caller)):
        raise UserMismatch("user_id must be your own id (or omitted)")


async def identify(request: Request, token: str, reads_only: bool = False) -> Principal:
    """The token's user: from the cache of recently verified tokens for reads, afresh for writes.

    `reads_only`: the route changes nothing even though its method may (a search is a POST
    for its body). Raises Unauthorized for a forged, expired or malformed token, or a deleted
    or inactive user.
    """
    platform = request.app.state.platform
    if reads_only or request.method in SAFE_METHODS:
        cached = platform.tokens.get(token)
        if cached is not None:
            return cached
    # A write always looks at the user row, so a user deleted since the token was cached gets
    # 401 rather than a write that breaks on its foreign key. The signature and expiry are
    # checked on every miss; the row is read through `platform.read` (memoised on SQLite
    # until the next commit anywhere, so a write costs a pragma when nothing changed).
    user_id, expires = decode_token(token, platform.settings.secret_key())
    principal = await platform.read(active_principal, user_id)
    if principal is None:
        platform.tokens.forget_user(user_id)  # its other tokens are refused for reads too
        raise Unauthorized("Invalid token", code="INVALID_TOKEN")
    platform.tokens.put(token, principal, expires)
    return principal


class _BearerOrCookie(OAuth2PasswordBearer):
    """The caller, from `Authorization: Bearer` or the web session cookie.

    One dependency rather than a token dependency under a user one: it is solved on every
    request, and it still shows in the OpenAPI docs as the password flow's security scheme.
    """

    def __init__(self, tokenUrl: str, reads_only: bool = False) -> None:
        super().__init__(tokenUrl=tokenUrl, auto_error=False)
        self.reads_only = reads_only

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        bearer = await super().__call__(request)
        token = bearer or request.cookies.get(COOKIE_NAME)
        if not token:
            raise Unauthorized()
        if bearer is None and request.method not in SAFE_METHODS and not _same_origin(request):
            # A cookie rides along on cross-site requests; state changes need our own origin.
            raise AppError("Cross-site request refused", code="CSRF_REJECTED", status=403)
        return await identify(request, token, self.reads_only)


CurrentUser = Annotated[Principal, Depends(_BearerOrCookie(tokenUrl="/auth/token"))]
# For POST routes that only read (search): the token cache serves them as it serves GETs.
CurrentReader = Annotated[
    Principal, Depends(_BearerOrCookie(tokenUrl="/auth/token", reads_only=True))
]


def _same_origin(request: Request) -> bool:
    """True when the Origin (or Referer) header names this server."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    return urlsplit(source).netloc == request.headers.get("host", "")
