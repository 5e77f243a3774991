"""fts vocabulary: document frequencies of indexed words (SQLite)

Revision ID: 7c1d2e3f4a5b
Revises: 361653e03996
Create Date: 2026-11-21 21:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1d2e3f4a5b"
down_revision: str | None = "361653e03996"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A read-only view of the FTS5 index: one row per stemmed word with its passage count.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE passages_fts_vocab USING fts5vocab('passages_fts', 'row')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS passages_fts_vocab")
