"""transcription_jobs: uploaded audio and its transcription

Revision ID: 0a1b2c3d4e5f
Revises: f6a7b8c9d0e2
Create Date: 2026-12-02 14:00:00

The specification's columns (`job_id` ... `completed_at`), plus the audio's media type and
size, the detected language, the timed segments (JSON), a status message (e.g. no speech),
the error of a failed transcription, whether the transcript goes to the library and the
document it became, and the runner's job id.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0a1b2c3d4e5f"
down_revision: str | None = "f6a7b8c9d0e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = sa.Enum(
    "processing", "completed", "failed", name="transcriptionstatus", native_enum=False, length=50
)


def upgrade() -> None:
    op.create_table(
        "transcription_jobs",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("s3_key", sa.String(length=500), nullable=False),
        sa.Column("aws_job_name", sa.String(length=255), nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("duration", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("language_code", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("media_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=True),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("add_to_library", sa.Boolean(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_transcription_jobs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_transcription_jobs")),
    )
    with op.batch_alter_table("transcription_jobs") as batch:
        batch.create_index("ix_transcription_jobs_user_submitted", ["user_id", "submitted_at"])


def downgrade() -> None:
    op.drop_table("transcription_jobs")
