"""Tables of the project generator: projects (the proj.v1 document) and run events.

`spec_json` is JSON on SQLite and JSONB on PostgreSQL. `(user_id, project_id, chat_id)` is
unique, which makes `POST /start` idempotent; events carry a sequence id for SSE replay.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
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


class ProjectEvent(Base):
    """One SSE event of a run, in order (`id` is the SSE id)."""

    __tablename__ = "project_events"
    __table_args__ = (Index("ix_project_events_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[uuid.UUID] = mapped_column()
    event: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
