"""The outbox table: one row per domain event, in commit order for SSE consumers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from studyforge.db import Base, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL wants a bigint identity.
EventIdType = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    """A domain event; `published_at` is set once every configured broker has it."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_stream", "stream_id", "seq"),
        Index("ix_outbox_events_pending", "published_at", "seq"),
    )

    seq: Mapped[int] = mapped_column(EventIdType, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, unique=True)
    type: Mapped[str] = mapped_column(String(100))
    stream_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    publish_attempts: Mapped[int] = mapped_column(default=0)
