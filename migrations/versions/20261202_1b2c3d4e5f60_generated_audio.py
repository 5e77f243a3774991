"""generated_audio: text-to-speech results

Revision ID: 1b2c3d4e5f60
Revises: 0a1b2c3d4e5f
Create Date: 2026-12-02 20:00:00

One row per synthesis: text, voice, language, format, the blob key, duration, size, the
owner-scoped cache key and when it was generated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1b2c3d4e5f60"
down_revision: str | None = "0a1b2c3d4e5f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "generated_audio",
        sa.Column("audio_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("voice_id", sa.String(length=64), nullable=False),
        sa.Column("language_code", sa.String(length=10), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("s3_key", sa.String(length=500), nullable=False),
        sa.Column("duration", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_generated_audio_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audio_id", name=op.f("pk_generated_audio")),
    )
    with op.batch_alter_table("generated_audio") as batch:
        batch.create_index("ix_generated_audio_user_generated", ["user_id", "generated_at"])
        batch.create_index(op.f("ix_generated_audio_cache_key"), ["cache_key"])


def downgrade() -> None:
    op.drop_table("generated_audio")
