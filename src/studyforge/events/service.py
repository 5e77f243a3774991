"""Write events into the outbox (same transaction as the change) and read them back in order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.db import after_commit
from studyforge.events.models import OutboxEvent


def emit(
    session: Session,
    type: str,
    payload: dict[str, Any],
    *,
    stream_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> OutboxEvent:
    """Append an event to the outbox; it is published only if the session commits."""
    event = OutboxEvent(type=type, payload=payload, stream_id=stream_id, user_id=user_id)
    session.add(event)
    session.flush()
    wake = session.info.get("wake_relay")
    if wake is not None:
        after_commit(session, wake)
    return event


def stream_after(
    session: Session, stream_ids: Sequence[uuid.UUID], after_seq: int
) -> list[OutboxEvent]:
    """Events of some streams (a job, a course...) newer than `after_seq`, oldest first."""
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.stream_id.in_(list(stream_ids)), OutboxEvent.seq > after_seq)
        .order_by(OutboxEvent.seq)
        .limit(500)
    )
    return list(session.scalars(stmt))


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The JSON message brokers and SSE clients receive for an event."""
    return {
        "event_id": str(event.event_id),
        "type": event.type,
        "seq": event.seq,
        "stream_id": str(event.stream_id) if event.stream_id else None,
        "user_id": str(event.user_id) if event.user_id else None,
        "occurred_at": event.created_at.isoformat(),
        "data": event.payload,
    }
