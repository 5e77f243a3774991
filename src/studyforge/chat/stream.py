"""A reply as Server-Sent Events: `token`s, then `citations`, then `done`.

Most replies are complete (and stored) before the first event: the offline engine composes
one at once, a cached one is read, and a model without streaming returns validated output.
Their tokens are the reply's words in order (joined, they give `response` exactly), and an
error is an ordinary JSON error answered before the stream starts.

On a model that streams (`StreamingLLM`), `live_events` sends the answer as the model writes
it (`chat.live`), then stores it: a `replace` event may then correct the text sent, and an
`error` event (the shared error shape) says the reply could not be stored.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from studyforge.ai.llm import StreamingLLM
from studyforge.ai.registry import AIProviders
from studyforge.chat import service
from studyforge.chat.cache import ChatCache
from studyforge.chat.grounding import outline
from studyforge.chat.live import LiveReply
from studyforge.chat.schemas import (
    StreamCitations,
    StreamDone,
    StreamError,
    StreamReplace,
    StreamToken,
)
from studyforge.db import unit_of_work
from studyforge.errors import AppError, error_body
from studyforge.openapi import REF

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\s*\S+")
EVENTS: dict[str, type[BaseModel]] = {
    "token": StreamToken,
    "replace": StreamReplace,
    "citations": StreamCitations,
    "done": StreamDone,
    "error": StreamError,
}


def item_schema() -> dict[str, Any]:
    """The OpenAPI `itemSchema` of a reply's events (one of `EVENTS` each)."""
    shapes = []
    for model in EVENTS.values():
        shape = model.model_json_schema(ref_template=REF + "{model}")
        shape.pop("$defs", None)  # ChatCitation is a component already (of ChatReply)
        shapes.append(shape)
    data = {"type": "string", "contentMediaType": "application/json",
            "contentSchema": {"anyOf": shapes}}  # fmt: skip
    return {
        "type": "object",
        "properties": {
            "event": {"type": "string", "enum": list(EVENTS)},
            "data": data,
            "retry": {"type": "integer", "minimum": 0},
        },
    }


def wants_events(accept: str | None) -> bool:
    """Whether `Accept` prefers an event stream to JSON."""
    accept = (accept or "").lower()
    events, json_at = accept.find("text/event-stream"), accept.find("application/json")
    return events >= 0 and (json_at < 0 or events < json_at)


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(jsonable_encoder(data))}\n\n"


def tokens(text: str) -> list[str]:
    """The reply cut into word tokens, each with the whitespace before it."""
    pieces = _TOKEN.findall(text)
    tail = text[sum(map(len, pieces)) :]
    return [*pieces, tail] if tail else pieces


def reply_fields(posted: service.Posted) -> dict[str, Any]:
    """A stored reply as `ChatReply`'s fields."""
    message = posted.reply
    return {
        "session_id": posted.chat.id, "message_id": message.id, "response": message.content,
        "timestamp": message.timestamp, "citations": message.citations,
        "grounded": bool(message.grounded), "mode": message.mode,
    }  # fmt: skip


def reply_events(reply: dict[str, Any]) -> Iterator[str]:
    """The events of one stored reply (the fields of `ChatReply`)."""
    yield "retry: 2000\n\n"
    for token in tokens(reply["response"]):
        yield _event("token", {"text": token})
    yield from _closing(reply)


def _closing(reply: dict[str, Any]) -> Iterator[str]:
    yield _event("citations", {"citations": reply["citations"], "grounded": reply["grounded"]})
    done = {k: reply[k] for k in ("message_id", "session_id", "timestamp", "mode")}
    yield _event("done", done)


def answer_events(sessions: sessionmaker[Session], ai: AIProviders, cache: ChatCache,
                  asked: service.Asked | service.Posted, found: service.Found | None,
                  session: Session) -> Iterator[str]:  # fmt: skip
    """The events for a message `accept`ed and looked up in `session` (the request's): live
    when a streaming model is to write the answer, else those of the reply stored now."""
    if isinstance(asked, service.Posted):
        return reply_events(reply_fields(asked))
    assert found is not None
    evidence = found.evidence
    if found.answer is None and evidence is not None and evidence.covered \
            and isinstance(ai.llm, StreamingLLM):  # fmt: skip
        return live_events(sessions, ai, ai.llm, cache, asked, found)
    reply = found.answer or service.reply_now(session, ai, cache, asked, found)
    return reply_events(reply_fields(service.store(session, asked, reply)))


def live_events(sessions: sessionmaker[Session], ai: AIProviders, llm: StreamingLLM,
                cache: ChatCache, asked: service.Asked,
                found: service.Found) -> Iterator[str]:  # fmt: skip
    """The reply as the model writes it, stored (in a session of its own: the request's has
    ended) once it is complete. A client that leaves early leaves nothing stored."""

    def covers() -> list[str]:
        with unit_of_work(sessions) as session:
            return outline(session, asked.scope)

    assert found.evidence is not None
    live = LiveReply(ai, llm, found.evidence, asked.req.message, asked.req.mode,
                     asked.history(), covers)  # fmt: skip
    yield "retry: 2000\n\n"
    for piece in live.pieces():
        yield _event(piece.kind, {"text": piece.text})
    assert live.answer is not None
    try:
        with unit_of_work(sessions) as session:
            fields = reply_fields(service.store(session, asked, live.answer))
    except AppError as exc:
        yield _event("error", error_body(exc.message, exc.code, exc.details))
        return
    except Exception:
        log.exception("a streamed chat reply could not be stored")
        yield _event("error", error_body("The reply could not be saved; please ask again",
                                         "INTERNAL_ERROR"))  # fmt: skip
        return
    service.remember(cache, found, live.answer)
    if fields["response"] != live.answer.text:  # the same request_id, answered first elsewhere
        yield _event("replace", {"text": fields["response"]})
    yield from _closing(fields)
