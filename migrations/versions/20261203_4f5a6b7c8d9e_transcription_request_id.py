"""transcription request id: `audio.transcription.requested` de-duplicated per user

Revision ID: 4f5a6b7c8d9e
Revises: 3e4f5a6b7c8d
Create Date: 2026-12-03 00:00:00

`transcription_jobs.request_id`, NULL for uploads over HTTP, unique per user otherwise: a
second delivery of the same Kafka request finds the first one's transcription. A unique index
(not a constraint) so SQLite needs no table rebuild; NULLs are distinct on both databases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f5a6b7c8d9e"
down_revision: str | None = "3e4f5a6b7c8d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transcription_jobs", sa.Column("request_id", sa.String(100), nullable=True))
    op.create_index(
        "uq_transcription_jobs_user_request_id",
        "transcription_jobs",
        ["user_id", "request_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_transcription_jobs_user_request_id", "transcription_jobs")
    with op.batch_alter_table("transcription_jobs") as batch:
        batch.drop_column("request_id")
