"""A stored reply as Server-Sent Events: `token`s, then `citations`, then `done`.

The reply is complete (and stored) before the first event: the offline engine composes it at
once, and the LLM interface returns validated output, not a token stream. So the tokens are
the reply's words in order (joined, they give `response` exactly), and an error is always an
ordinary JSON error answered before the stream starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from studyforge.chat.schemas import StreamCitations, StreamDone, StreamToken
from studyforge.openapi import REF

_TOKEN = re.compile(r"\s*\S+")
EVENTS: dict[str, type[BaseModel]] = {
    "token": StreamToken,
    "citations": StreamCitations,
    "done": StreamDone,
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


def reply_events(reply: dict[str, Any]) -> Iterator[str]:
    """The events of one reply (the fields of `ChatReply`)."""
    yield "retry: 2000\n\n"
    for token in tokens(reply["response"]):
        yield _event("token", {"text": token})
    yield _event("citations", {"citations": reply["citations"], "grounded": reply["grounded"]})
    done = {k: reply[k] for k in ("message_id", "session_id", "timestamp", "mode")}
    yield _event("done", done)
