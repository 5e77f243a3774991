"""Chat endpoints, named as in the specification: `POST /chat`, `GET /chat/history/<id>`,
`GET /chat/sessions`, plus renaming, re-scoping and deleting a session, and the reply as
Server-Sent Events (`POST /chat/stream`, or `POST /chat` with `Accept: text/event-stream`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from studyforge.auth.deps import CurrentUser, check_user_id
from studyforge.chat import service
from studyforge.chat.cache import ChatCache, chat_cache
from studyforge.chat.models import ChatSession
from studyforge.chat.schemas import (
    ChatHistory,
    ChatReply,
    ChatRequest,
    SessionDeleted,
    SessionList,
    SessionOut,
    SessionUpdate,
)
from studyforge.chat.stream import answer_events, item_schema, reply_fields, wants_events
from studyforge.db import SessionDep
from studyforge.kit.limits import Text
from studyforge.kit.pagination import PageDep, paginate
from studyforge.openapi import EventStream, errors

router = APIRouter(tags=["chat"])


def _chat(session_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> ChatSession:
    return service.get_session(session, session_id, user.id)


def _cache(request: Request, session: SessionDep) -> ChatCache:
    return chat_cache(session, request.app.state.platform.settings.redis_url)


ChatDep = Annotated[ChatSession, Depends(_chat)]
CacheDep = Annotated[ChatCache, Depends(_cache)]
POST_ERRORS = errors({
    403: "`user_id` is not your own id",
    404: "the session, or a document named in the request, is not yours",
    409: "the session already has another scope (change it with PATCH), or the same "
         "`request_id` is being answered",
})  # fmt: skip
EVENTS_DOC = (
    'Server-Sent Events: `token` ({"text"}) as the reply is written, then one `citations` '
    '({"citations", "grounded"}), then `done` ({"message_id", "session_id", "timestamp"}). '
    "On a model that streams, the tokens come as it writes, and the reply is stored after "
    'them: a `replace` ({"text"}) may then correct the text sent (an invented citation '
    "dropped, the engine's answer instead of a failed model's), and an `error` (the shared "
    "error shape) instead of `citations` means it could not be stored"
)


def _post(request: Request, body: ChatRequest, session: SessionDep, user: CurrentUser,
          cache: ChatCache) -> service.Posted:  # fmt: skip
    return service.post_message(session, request.app.state.platform.ai, cache, user.id, body)


def _events(request: Request, body: ChatRequest, session: SessionDep, user: CurrentUser,
            cache: ChatCache) -> StreamingResponse:  # fmt: skip
    """The reply as an event stream (checks and lookups first: their errors are JSON)."""
    platform = request.app.state.platform
    asked = service.accept(session, user.id, body)
    found = None if isinstance(asked, service.Posted) else service.lookup(
        session, platform.ai, cache, asked)  # fmt: skip
    events = answer_events(platform.sessions, platform.ai, cache, asked, found, session)
    return EventStream(events, headers={"Cache-Control": "no-cache"})


@router.post(
    "/chat",
    response_model=ChatReply,
    responses={200: {"content": {EventStream.media_type: {"itemSchema": item_schema()}},
               "description": f"The reply (JSON), or with `Accept: text/event-stream` as "
               f"{EVENTS_DOC}"}, **POST_ERRORS},
)  # fmt: skip
def chat(
    request: Request, body: ChatRequest, session: SessionDep, user: CurrentUser, cache: CacheDep
) -> Any:
    """Ask a question about your material; the reply cites the passages it rests on ([1],
    [2] in `response`, in the order of `citations`).

    Without `session_id` a new session starts (narrowed by `document_ids` or `source_filter`,
    if given). A follow-up ("and what about its finally clause?") is searched together with
    the question before it. When your material does not hold the answer, `grounded` is false
    and the reply says so and names what the material covers. `mode: "tutor"` answers with a
    guiding question that points at the passage instead.
    """
    if wants_events(request.headers.get("accept")):
        return _events(request, body, session, user, cache)
    return reply_fields(_post(request, body, session, user, cache))


@router.post("/chat/stream", response_class=EventStream, responses={
    200: {"description": EVENTS_DOC,
          "content": {EventStream.media_type: {"itemSchema": item_schema()}}},
    **POST_ERRORS})  # fmt: skip
def chat_stream(
    request: Request, body: ChatRequest, session: SessionDep, user: CurrentUser, cache: CacheDep
) -> StreamingResponse:
    """`POST /chat` as Server-Sent Events (errors are still JSON, before the stream starts)."""
    return _events(request, body, session, user, cache)


@router.get("/chat/history/{session_id:uuid}", response_model=ChatHistory)
def history(chat: ChatDep, session: SessionDep, page: PageDep) -> dict[str, object]:
    """A session's messages, oldest first, each reply with its citations."""
    result = paginate(session, service.history_stmt(chat.id), page)
    result["messages"] = result.pop("items")
    return {"session_id": chat.id, "title": chat.title, **result}


@router.get("/chat/sessions", response_model=SessionList, responses=errors({
    403: "`user_id` is not your own id"}))  # fmt: skip
def sessions(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    user_id: Annotated[Annotated[str, Text(100, blank=True)] | None, Query()] = None,
) -> dict[str, object]:
    """Your chat sessions, most recently active first: title, scope, message count and
    when the last message was written."""
    check_user_id(user_id, user.id)
    result = paginate(session, service.list_sessions_stmt(user.id), page)
    chats: list[ChatSession] = result.pop("items")  # type: ignore[assignment]
    result["sessions"] = service.summaries(session, chats)
    return result


@router.patch("/chat/sessions/{session_id:uuid}", response_model=SessionOut, responses=errors({
    404: "the session, or a document of the new scope, is not yours"}))  # fmt: skip
def update_session(chat: ChatDep, body: SessionUpdate, session: SessionDep) -> dict[str, Any]:
    """Rename a session and/or change its scope (`document_ids`, `source_filter`); later
    answers draw on the new scope."""
    return service.update_session(session, chat, body)


@router.delete("/chat/sessions/{session_id:uuid}", response_model=SessionDeleted)
def delete_session(chat: ChatDep, session: SessionDep) -> SessionDeleted:
    """Delete a session and all its messages (your documents stay)."""
    return SessionDeleted(session_id=chat.id, messages=service.delete_session(session, chat))
