"""The project generator's table: projects (the proj.v1 document of each run).

`spec_json` is JSON on SQLite and JSONB on PostgreSQL. `(user_id, project_id, chat_id)` is
unique, which makes `POST /start` idempotent. A run's events are outbox rows (`stream_id` =
`run_id`), which the SSE stream replays.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from studyforge.db import Base, IdMixin, TimestampMixin

SpecJSON = JSON().with_variant(JSONB(), "postgresql")


class Project(IdMixin, TimestampMixin, Base):
    """One requested project and its current proj.v1 document."""

    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("user_id", "project_id", "chat_id", name="uq_projects_user_project_chat"),
        Index("ix_projects_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(200))
    chat_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="planning")
    spec_json: Mapped[dict[str, Any]] = mapped_column(SpecJSON, default=dict)
