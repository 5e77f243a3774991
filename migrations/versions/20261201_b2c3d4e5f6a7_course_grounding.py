"""courses.allow_ungrounded and courses.grounded

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f6
Create Date: 2026-12-01 20:55:00

A course request may allow an LLM to write on a topic the documents do not cover; the course
then records that it is not grounded. Earlier courses keep NULL (not recorded).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2c3d4e5f6a7"
down_revision: str | None = "a1b2c3d4e5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "courses",
        sa.Column("allow_ungrounded", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("courses", sa.Column("grounded", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("grounded")
        batch.drop_column("allow_ungrounded")
