"""chat_sessions, chat_messages: tutor conversations grounded in the user's documents

Revision ID: a7b8c9d0e1f3
Revises: e5f6a7b8c9d1
Create Date: 2026-12-03 10:00:00

- `chat_sessions`: one row per conversation (owner, title, scope: `document_ids` as JSON and
  a `source_filter` folder; neither means all the owner's documents).
- `chat_messages`: the turns in order (`position`), each the learner's question or the
  tutor's reply with its citations (JSON), whether the material held the answer
  (`grounded`), the mode, an optional `request_id` (unique per user) and how it was made
  (`meta`).

Document and passage ids inside citations are plain JSON: a conversation outlives a deleted
or re-processed source.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7b8c9d0e1f3"
down_revision: str | None = "e5f6a7b8c9d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = sa.Enum("user", "assistant", name="role", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=True),
        sa.Column("source_filter", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_chat_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    with op.batch_alter_table("chat_sessions") as batch:
        batch.create_index("ix_chat_sessions_user_updated", ["user_id", "updated_at"])

    op.create_table(
        "chat_messages",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("grounded", sa.Boolean(), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("session_id", "position", name="uq_chat_messages_position"),
        sa.UniqueConstraint("user_id", "request_id", name="uq_chat_messages_user_request_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_messages")
    with op.batch_alter_table("chat_sessions") as batch:
        batch.drop_index("ix_chat_sessions_user_updated")
    op.drop_table("chat_sessions")
