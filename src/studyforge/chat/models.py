"""Chat as the specification stores it: `chat_sessions` and their `chat_messages`.

A session belongs to one user and may narrow what its answers draw on (`document_ids`, a
`source_filter` folder); none of them means all the user's documents. Each assistant message
keeps the citations of its answer (document, page, passage, character span, quote) and
whether the material held the answer (`grounded`). Document and passage ids inside citations
are plain JSON: a conversation outlives a deleted or re-processed source.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studyforge.db import Base, IdMixin, TimestampMixin, utcnow


class Role(enum.StrEnum):
    """Who wrote a message."""

    USER = "user"
    ASSISTANT = "assistant"


class ChatSession(IdMixin, TimestampMixin, Base):
    """A conversation: its owner, title and the scope its answers are drawn from."""

    __tablename__ = "chat_sessions"
    __table_args__ = (Index("ix_chat_sessions_user_updated", "user_id", "updated_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    document_ids: Mapped[list[str] | None] = mapped_column(default=None)
    source_filter: Mapped[str | None] = mapped_column(String(500), default=None)

    @property
    def session_id(self) -> uuid.UUID:
        """The specification's name for the id."""
        return self.id


class ChatMessage(IdMixin, Base):
    """One turn: the learner's question or the tutor's answer, in order (`position`)."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("session_id", "position", name="uq_chat_messages_position"),
        UniqueConstraint("user_id", "request_id", name="uq_chat_messages_user_request_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column()
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    content: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    grounded: Mapped[bool | None] = mapped_column(default=None)
    mode: Mapped[str] = mapped_column(String(10), default="answer")
    request_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # How the answer was made: provider, model, the search query, fallbacks, templated parts.
    meta: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    @property
    def message_id(self) -> uuid.UUID:
        """The specification's name for the id."""
        return self.id
