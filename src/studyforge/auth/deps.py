"""`CurrentUser`: the caller, from a bearer token or the web session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from studyforge.auth.models import User
from studyforge.auth.service import user_from_token
from studyforge.db import SessionDep
from studyforge.errors import Unauthorized

COOKIE_NAME = "studyforge_token"
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def _current_user(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    token = bearer or request.cookies.get(COOKIE_NAME)
    if not token:
        raise Unauthorized()
    return user_from_token(session, token, request.app.state.platform.settings.secret_key())


CurrentUser = Annotated[User, Depends(_current_user)]
