"""tsvector kept in the passage row on PostgreSQL

Revision ID: 9d4e5f6a7b8c
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-21 23:40:00

Ranking a full-text match reads its tsvector. Stored out of line (TOAST), as about half of
them were, that costs two more page reads per match, so the column's storage becomes MAIN:
compressed in the row, moved out only when nothing else can make the row fit. The large
`embedding` and `vec` values go out of line first. New and rewritten rows take the new storage.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9d4e5f6a7b8c"
down_revision: str | None = "7c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE passages ALTER COLUMN tsv SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE passages ALTER COLUMN tsv SET STORAGE EXTENDED")
