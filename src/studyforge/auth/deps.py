"""`CurrentUser`: the caller, from a bearer token or the web session cookie."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from studyforge.auth.models import User
from studyforge.auth.service import user_from_token
from studyforge.db import SessionDep
from studyforge.errors import AppError, Unauthorized

COOKIE_NAME = "studyforge_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def _current_user(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    token = bearer or request.cookies.get(COOKIE_NAME)
    if not token:
        raise Unauthorized()
    if bearer is None and request.method not in SAFE_METHODS and not _same_origin(request):
        # A cookie rides along on cross-site requests; state changes need our own origin.
        raise AppError("Cross-site request refused", code="CSRF_REJECTED", status=403)
    return user_from_token(session, token, request.app.state.platform.settings.secret_key())


CurrentUser = Annotated[User, Depends(_current_user)]


def _same_origin(request: Request) -> bool:
    """True when the Origin (or Referer) header names this server."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    return urlsplit(source).netloc == request.headers.get("host", "")
