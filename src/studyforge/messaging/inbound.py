"""Shared steps of inbound message handlers: parse JSON, unwrap our own event envelopes,
validate with the feature's Pydantic schema. Each raises `BadMessage` with a reason a person
can act on (it becomes the dead letter's `error`)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class BadMessage(Exception):
    """A message that can never be processed; the text is the dead letter's reason."""


def parse_json(value: bytes) -> Any:
    """The message value as JSON; BadMessage if it is not UTF-8 JSON."""
    try:
        return json.loads(value.decode())
    except (ValueError, UnicodeDecodeError):
        raise BadMessage("malformed JSON: the message value is not a UTF-8 JSON document") from None


def unwrap(data: Any, event_type: str) -> tuple[str | None, Any]:
    """(event_id, payload): the `data` of an outbox envelope of `event_type` (what our own
    relay publishes), else (None, the message itself)."""
    if (
        isinstance(data, dict)
        and data.get("type") == event_type
        and isinstance(data.get("data"), dict)
        and isinstance(data.get("event_id"), str)
    ):
        return data["event_id"], data["data"]
    return None, data


def validated(schema: type[M], data: Any) -> M:
    """`data` validated by `schema`; BadMessage naming every problem (field: message)."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise BadMessage(f"invalid message: {problems}") from None
