"""courses.request_id unique per user: (user_id, request_id) instead of request_id alone

Revision ID: 1eeff58e9704
Revises: b2c3d4e5f6a7
Create Date: 2026-12-01 21:30:00

A request id de-duplicates one user's requests; unique across all users, it let another user
learn that an id exists (409) and claim ids first. Existing rows satisfy the new constraint.
Downgrading fails if two users have since used the same id.

SQLite rebuilds the table to change a constraint. Its views name `courses`, and SQLite checks
every view when a table is renamed, so they are dropped first and created again from their
stored SQL. Foreign keys must be off during the rebuild (dropping the old table would
otherwise cascade to lessons); Alembic's own connection has them off, which is checked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1eeff58e9704"
down_revision: str | None = "b2c3d4e5f6a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("uq_courses_request_id", ["request_id"])
NEW = ("uq_courses_user_request_id", ["user_id", "request_id"])


def upgrade() -> None:
    _swap(OLD, NEW)


def downgrade() -> None:
    _swap(NEW, OLD)


def _swap(drop: tuple[str, list[str]], create: tuple[str, list[str]]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(drop[0], "courses", type_="unique")
        op.create_unique_constraint(create[0], "courses", create[1])
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("run this migration with SQLite foreign keys off (PRAGMA foreign_keys)")
    views = bind.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name")
    ).all()
    for name, _ in views:
        op.execute(f'DROP VIEW "{name}"')
    with op.batch_alter_table("courses", recreate="always") as batch:
        batch.drop_constraint(drop[0], type_="unique")
        batch.create_unique_constraint(create[0], create[1])
    for _, sql in views:
        op.execute(sql)
