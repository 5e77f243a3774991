"""courses.document_ids: the documents a course was asked to draw on

Revision ID: c3d4e5f6a7b9
Revises: 1eeff58e9704
Create Date: 2026-12-02 00:00:00

A course may be made from chosen documents (a list of ids, JSON) instead of, or within, a
path prefix. NULL: every document (within `source_filter`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d4e5f6a7b9"
down_revision: str | None = "1eeff58e9704"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("courses", sa.Column("document_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("document_ids")
