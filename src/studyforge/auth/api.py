"""`POST /auth/token` (OAuth2 password form) and `GET /auth/me`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from studyforge.auth.deps import CurrentUser
from studyforge.auth.schemas import Token, UserOut
from studyforge.auth.service import Principal, issue_token
from studyforge.auth.throttle import request_sign_in
from studyforge.db import SessionDep
from studyforge.openapi import errors

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=Token,
    responses=errors(
        {401: "wrong username or password", 429: "too many failed sign-ins; see `Retry-After`"}
    ),
)
def login(
    request: Request,
    session: SessionDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange a username and password for a bearer token (throttled after failures)."""
    user = request_sign_in(request, session, form.username, form.password)
    settings = request.app.state.platform.settings
    token = issue_token(user, settings.secret_key(), settings.jwt_ttl_minutes)
    return Token(access_token=token, expires_in=settings.jwt_ttl_minutes * 60)


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> Principal:
    """The signed-in user."""
    return user
