"""passages.kind and passages.lang: prose, code or table, and a code passage's language

Revision ID: a1b2c3d4e5f6
Revises: 9d4e5f6a7b8c
Create Date: 2026-12-01 20:40:00

Passages extracted before this revision are prose by default. Their text was flattened (code
on one line, headings inside paragraphs): `studyforge documents reprocess --all` extracts them
again with the structure-keeping extractors.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1b2c3d4e5f6"
down_revision: str | None = "9d4e5f6a7b8c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "passages", sa.Column("kind", sa.String(10), nullable=False, server_default="prose")
    )
    op.add_column("passages", sa.Column("lang", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("passages") as batch:
        batch.drop_column("lang")
        batch.drop_column("kind")
