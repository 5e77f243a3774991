"""drop project_events: a run's SSE stream reads the outbox

Revision ID: 3e4f5a6b7c8d
Revises: 2d3e4f5a6b7c
Create Date: 2026-12-03 00:00:00

The project generator announces its runs through the outbox (`stream_id = run_id`), which the
SSE stream replays with `Last-Event-ID` and the relay publishes to the brokers; the table made
for the same events in 1c2d3e4f5a6b was never written.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e4f5a6b7c8d"
down_revision: str | None = "2d3e4f5a6b7c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_project_events_run", table_name="project_events")
    op.drop_table("project_events")


def downgrade() -> None:
    op.create_table(
        "project_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_events")),
    )
    op.create_index("ix_project_events_run", "project_events", ["run_id", "id"])
