"""Chat use cases: post a message (and get the grounded reply), history, sessions, rename,
re-scope, delete, and dropping cached answers when a document changes.

Each message is written with its position in the session and announced as a `chat.message`
event through the outbox (Kafka topic `chat.message` when a broker is configured). Replies
and the evidence behind them are cached (`cache`) per user, scope, data version and
rewritten question, so a repeated question costs one cache read.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from studyforge.ai.registry import AIProviders
from studyforge.auth.deps import check_user_id
from studyforge.chat.cache import ChatCache, known_cache, make_key
from studyforge.chat.compose import Answer
from studyforge.chat.followup import rewrite
from studyforge.chat.grounding import Evidence, gather, outline
from studyforge.chat.models import ChatMessage, ChatSession, Role
from studyforge.chat.reply import make_reply
from studyforge.chat.schemas import ChatRequest, SessionUpdate
from studyforge.db import utcnow
from studyforge.documents import index
from studyforge.documents.service import DocumentNotFound, existing_ids, get_document
from studyforge.errors import Conflict, NotFound
from studyforge.events.service import emit

MESSAGE_EVENT = "chat.message"
HISTORY_TURNS = 6  # earlier messages an LLM sees
TITLE_LENGTH = 80


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"


class SessionScopeSet(Conflict):
    code = "SESSION_SCOPE_SET"


class RequestInProgress(Conflict):
    code = "REQUEST_IN_PROGRESS"


@dataclass
class Posted:
    """A question and its reply, as stored."""

    chat: ChatSession
    question: ChatMessage
    reply: ChatMessage


def get_session(session: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> ChatSession:
    """The caller's chat session, or 404 (also for another user's)."""
    chat = session.get(ChatSession, session_id)
    if chat is None or chat.user_id != user_id:
        raise SessionNotFound("Chat session not found")
    return chat


def check_documents(session: Session, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
    """404 unless every id is one of the caller's documents."""
    unknown = sorted(set(ids) - existing_ids(session, user_id, ids), key=str)
    if unknown:
        raise DocumentNotFound("Not your documents: " + ", ".join(map(str, unknown[:5])),
                               details={"unknown": [str(u) for u in unknown[:50]]})  # fmt: skip


def session_scope(chat: ChatSession | None, user_id: uuid.UUID, req: ChatRequest) -> index.Scope:
    """Where this message's answer may come from: the context document, else the session's
    scope (or the new session's, from the request)."""
    context = req.document_context
    if context is not None and context.document_id is not None:
        return index.Scope(user_id, None, (context.document_id,))
    if chat is not None:
        ids = chat.document_ids
        chosen = tuple(uuid.UUID(i) for i in ids) if ids is not None else None
        return index.Scope(user_id, chat.source_filter, chosen)
    ids_asked = tuple(req.document_ids) if req.document_ids is not None else None
    return index.Scope(user_id, req.source_filter, ids_asked)


@dataclass
class Asked:
    """A message checked and ready to answer: its session (None: a new one), the search query
    it became in context, where the answer may come from, and the turns before it."""

    user_id: uuid.UUID
    req: ChatRequest
    chat: ChatSession | None
    query: str
    scope: index.Scope
    turns: list[ChatMessage]

    def history(self) -> list[dict[str, str]]:
        """The turns a model sees."""
        return [{"role": m.role.value, "content": m.content} for m in self.turns[-HISTORY_TURNS:]]


@dataclass
class Found:
    """What the cache and the search hold for an `Asked`: a cached reply, or the evidence."""

    answer_key: str
    answer: Answer | None = None
    evidence: Evidence | None = None


def post_message(session: Session, ai: AIProviders, cache: ChatCache, user_id: uuid.UUID,
                 req: ChatRequest) -> Posted:  # fmt: skip
    """Answer a message from the caller's material and store both (the same `request_id`
    again returns the stored pair)."""
    asked = accept(session, user_id, req)
    if isinstance(asked, Posted):
        return asked
    found = lookup(session, ai, cache, asked)
    return store(session, asked, found.answer or reply_now(session, ai, cache, asked, found))


def accept(session: Session, user_id: uuid.UUID, req: ChatRequest) -> Asked | Posted:
    """The message checked (ownership, scope) and put in context; or, for a `request_id`
    already answered, the stored pair."""
    check_user_id(req.user_id, user_id)
    if req.request_id is not None:
        earlier = find_by_request(session, user_id, req.request_id)
        if earlier is not None:
            return earlier
    chat = get_session(session, req.session_id, user_id) if req.session_id else None
    _check_scope_request(session, user_id, req, chat)
    context = req.document_context
    if context is not None and context.document_id is not None:
        get_document(session, context.document_id, user_id)
    turns = recent_messages(session, chat.id) if chat is not None else []
    previous = next((m for m in reversed(turns) if m.role is Role.USER), None)
    query = rewrite(req.message, (previous.meta or {}).get("query") if previous else None)
    return Asked(user_id, req, chat, query, session_scope(chat, user_id, req), turns)


def _check_scope_request(session: Session, user_id: uuid.UUID, req: ChatRequest,
                         chat: ChatSession | None) -> None:  # fmt: skip
    asked = req.document_ids is not None or req.source_filter is not None
    if chat is None:
        if req.document_ids:
            check_documents(session, user_id, req.document_ids)
        return
    now = (chat.document_ids, chat.source_filter)
    wanted = ([str(i) for i in req.document_ids] if req.document_ids is not None else None,
              req.source_filter)  # fmt: skip
    if asked and wanted != now:
        raise SessionScopeSet(
            "This session already has its scope: change it with "
            "PATCH /chat/sessions/{session_id}, or start a new session"
        )


def _digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text else None


def _scope_key(scope: index.Scope) -> list[Any]:
    ids = sorted(map(str, scope.document_ids)) if scope.document_ids is not None else None
    return [scope.source_filter, ids]


def lookup(session: Session, ai: AIProviders, cache: ChatCache, asked: Asked) -> Found:
    """The cached reply to the same question on the same sources, else the evidence (cached
    too: a new mode or model reuses the search)."""
    req, scope = asked.req, asked.scope
    context = req.document_context
    relevant = context.relevant_text if context is not None else None
    context_doc = context.document_id if context is not None else None
    user_id = scope.user_id
    version = [cache.generation(user_id), list(index.user_stamp(session, user_id)),
               _scope_key(scope), asked.query, _digest(relevant)]  # fmt: skip
    answer_key = make_key("answer", user_id, *version, req.mode, ai.llm.name, ai.llm.model)
    cached = cache.get(answer_key)
    if cached is not None:
        return Found(answer_key, Answer(**{**cached, "meta": {**cached["meta"], "cached": True}}))
    evidence_key = make_key("evidence", user_id, *version, ai.embedder.name)
    stored = cache.get(evidence_key)
    if stored is not None:
        return Found(answer_key, evidence=Evidence.from_dict(stored))
    evidence = gather(session, ai.embedder, scope, asked.query, relevant, context_doc)
    cache.put(evidence_key, evidence.as_dict())
    return Found(answer_key, evidence=evidence)


def reply_now(session: Session, ai: AIProviders, cache: ChatCache, asked: Asked,
           found: Found) -> Answer:  # fmt: skip
    """The reply made now from the evidence (and remembered)."""
    assert found.evidence is not None
    reply = make_reply(ai, found.evidence, asked.req.message, asked.req.mode, asked.history(),
                       lambda: outline(session, asked.scope))  # fmt: skip
    remember(cache, found, reply)
    return reply


def remember(cache: ChatCache, found: Found, reply: Answer) -> None:
    """Cache a reply made now (not one that fell back: a provider blip is not worth it)."""
    if "fallback" not in reply.meta:
        cache.put(found.answer_key, reply.as_dict())


def store(session: Session, asked: Asked, answer: Answer) -> Posted:
    """Write the question and its reply (a new session first, if it is one) and announce
    both; a `request_id` sent twice at once returns the pair stored first."""
    user_id, req, chat, query = asked.user_id, asked.req, asked.chat, asked.query
    if chat is None:
        ids = [str(i) for i in req.document_ids] if req.document_ids is not None else None
        chat = ChatSession(user_id=user_id, title=title_for(req.message), document_ids=ids,
                           source_filter=req.source_filter)  # fmt: skip
        session.add(chat)
        session.flush()
        position = 0
    else:
        # Taking the session row first serialises concurrent messages of one session.
        session.execute(update(ChatSession).where(ChatSession.id == chat.id)
                        .values(updated_at=utcnow()))  # fmt: skip
        last = session.scalar(select(func.max(ChatMessage.position))
                              .where(ChatMessage.session_id == chat.id))  # fmt: skip
        position = 0 if last is None else last + 1
    question = ChatMessage(session_id=chat.id, user_id=user_id, position=position, role=Role.USER,
                           content=req.message, mode=req.mode, request_id=req.request_id,
                           meta={"query": query, "follow_up": query != " ".join(
                               req.message.split())})  # fmt: skip
    reply = ChatMessage(session_id=chat.id, user_id=user_id, position=position + 1,
                        role=Role.ASSISTANT, content=answer.text, citations=answer.citations,
                        grounded=answer.grounded, mode=req.mode,
                        meta={**answer.meta, "query": query})  # fmt: skip
    session.add_all([question, reply])
    try:
        session.flush()
    except IntegrityError:  # the same request_id, sent twice at once
        session.rollback()
        earlier = find_by_request(session, user_id, req.request_id or "")
        if earlier is None:
            raise RequestInProgress("This request is being answered; try again") from None
        return earlier
    for message in (question, reply):
        emit(session, MESSAGE_EVENT, message_payload(message), stream_id=chat.id,
             user_id=user_id)  # fmt: skip
    return Posted(chat, question, reply)


def title_for(message: str) -> str:
    """A session's default title: the first message's first line, cut at a word."""
    line = " ".join(message.strip().splitlines()[0].split()) if message.strip() else "Chat"
    if len(line) <= TITLE_LENGTH:
        return line
    return line[:TITLE_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def message_payload(message: ChatMessage) -> dict[str, Any]:
    """The `chat.message` event body."""
    return {
        "session_id": str(message.session_id), "message_id": str(message.id),
        "user_id": str(message.user_id), "role": message.role.value,
        "timestamp": message.timestamp.isoformat(), "mode": message.mode,
        "grounded": message.grounded, "content": message.content,
    }  # fmt: skip


def find_by_request(session: Session, user_id: uuid.UUID, request_id: str) -> Posted | None:
    """The question sent with `request_id` by the caller and its reply, if stored."""
    question = session.scalar(select(ChatMessage).where(
        ChatMessage.user_id == user_id, ChatMessage.request_id == request_id))  # fmt: skip
    if question is None:
        return None
    reply = session.scalar(select(ChatMessage).where(
        ChatMessage.session_id == question.session_id,
        ChatMessage.position == question.position + 1))  # fmt: skip
    if reply is None:
        return None
    return Posted(session.get_one(ChatSession, question.session_id), question, reply)


def recent_messages(session: Session, session_id: uuid.UUID) -> list[ChatMessage]:
    """The session's last few messages, oldest first."""
    stmt = (select(ChatMessage).where(ChatMessage.session_id == session_id)
            .order_by(ChatMessage.position.desc()).limit(HISTORY_TURNS))  # fmt: skip
    return list(reversed(session.scalars(stmt).all()))


def history_stmt(session_id: uuid.UUID) -> Select[Any]:
    """A session's messages, oldest first."""
    stmt = select(ChatMessage).where(ChatMessage.session_id == session_id)
    return stmt.order_by(ChatMessage.position)


def list_sessions_stmt(user_id: uuid.UUID) -> Select[Any]:
    """The caller's sessions, most recently active first."""
    stmt = select(ChatSession).where(ChatSession.user_id == user_id)
    return stmt.order_by(ChatSession.updated_at.desc(), ChatSession.id)


def summaries(session: Session, chats: Sequence[ChatSession]) -> list[dict[str, Any]]:
    """Each session as `GET /chat/sessions` lists it (one grouped query for the page)."""
    ids = [chat.id for chat in chats]
    stats: dict[uuid.UUID, tuple[int, Any]] = {}
    if ids:
        of_page = ChatMessage.session_id.in_(ids)
        stmt = select(ChatMessage.session_id, func.count(), func.max(ChatMessage.timestamp))
        stmt = stmt.where(of_page).group_by(ChatMessage.session_id)
        stats = {sid: (n, last) for sid, n, last in session.execute(stmt)}
    return [summary(chat, *stats.get(chat.id, (0, None))) for chat in chats]


def summary(chat: ChatSession, count: int, last: Any) -> dict[str, Any]:
    """One session's row."""
    return {
        "session_id": chat.id, "title": chat.title, "created_at": chat.created_at,
        "updated_at": chat.updated_at, "last_message": last, "message_count": count,
        "document_ids": chat.document_ids, "source_filter": chat.source_filter,
    }  # fmt: skip


def update_session(session: Session, chat: ChatSession, change: SessionUpdate) -> dict[str, Any]:
    """Rename the session and/or change its scope; returns its row."""
    fields = change.model_fields_set
    if "title" in fields and change.title:
        chat.title = change.title
    if "document_ids" in fields:
        if change.document_ids:
            check_documents(session, chat.user_id, change.document_ids)
        ids = change.document_ids
        chat.document_ids = [str(i) for i in dict.fromkeys(ids)] if ids is not None else None
    if "source_filter" in fields:
        chat.source_filter = change.source_filter or None
    chat.updated_at = utcnow()
    session.flush()
    return summaries(session, [chat])[0]


def delete_session(session: Session, chat: ChatSession) -> int:
    """Delete the session and its messages; returns how many messages went."""
    gone = session.execute(delete(ChatMessage).where(ChatMessage.session_id == chat.id))
    session.delete(chat)
    session.flush()
    return int(getattr(gone, "rowcount", 0) or 0)


def on_document_processed(session: Session, user_id: uuid.UUID, document_id: uuid.UUID, *,
                          cache: ChatCache | None = None) -> None:  # fmt: skip
    """A document of the user was (re-)processed: drop their cached chat answers and evidence.

    For the `document.processed` Kafka handler. Entries are keyed by the user's data version
    too, so none could be served stale anyway; this drops them at once (every entry of the
    user: answers drawn on several documents cannot be told apart cheaply). `cache`: the
    consumer's `chat_cache(session, settings.redis_url)`; by default, the cache this process
    last used for the database (nothing to drop if it used none).
    """
    target = cache if cache is not None else known_cache(session)
    if target is not None:
        target.forget_user(user_id)
