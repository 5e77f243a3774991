"""audio retention: when a recording's or a synthesis's file was deleted

Revision ID: 2d3e4f5a6b7c
Revises: 1c2d3e4f5a6b
Create Date: 2026-12-02 00:00:00

`transcription_jobs.audio_expired_at` and `generated_audio.expired_at`: set by the retention
round (`speech/retention.py`) when it deletes the audio file; NULL while the file is kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d3e4f5a6b7c"
down_revision: str | None = "1c2d3e4f5a6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "transcription_jobs",
        sa.Column("audio_expired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "generated_audio", sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("generated_audio") as batch:
        batch.drop_column("expired_at")
    with op.batch_alter_table("transcription_jobs") as batch:
        batch.drop_column("audio_expired_at")
