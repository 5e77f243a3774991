"""lesson_versions, lessons.plan and lessons.edited_at: editing a course before publishing it

Revision ID: d4e5f6a7b8c0
Revises: c3d4e5f6a7b9
Create Date: 2026-12-02 12:00:00

- `lesson_versions`: every edit, regeneration or restore of a lesson keeps the version it
  replaced (title, objectives, text, sources and checks as JSON), numbered 1..n per lesson.
- `lessons.plan`: the outline entry a lesson was written from, so one lesson can be written
  again after its title was edited or it was moved. Existing lessons get theirs from their
  course's outline (lesson n is entry n: no lesson was moved before this revision).
- `lessons.edited_at`: when the teacher last changed the lesson (NULL: as generated).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4e5f6a7b8c0"
down_revision: str | None = "c3d4e5f6a7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lessons", sa.Column("plan", sa.JSON(), nullable=True))
    op.add_column("lessons", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "lesson_versions",
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_versions_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_versions")),
        sa.UniqueConstraint("lesson_id", "number", name="uq_lesson_versions_number"),
    )
    _backfill_plans()
    _compress_snapshots()


def _backfill_plans() -> None:
    bind = op.get_bind()
    courses = sa.table("courses", sa.column("id", sa.Uuid()), sa.column("outline", sa.JSON()))
    lessons = sa.table(
        "lessons",
        sa.column("id", sa.Uuid()),
        sa.column("course_id", sa.Uuid()),
        sa.column("lesson_number", sa.Integer()),
        sa.column("plan", sa.JSON()),
    )
    plans = {
        course_id: entries
        for course_id, outline in bind.execute(sa.select(courses.c.id, courses.c.outline))
        if isinstance(outline, dict) and isinstance(entries := outline.get("lessons"), list)
    }
    rows = bind.execute(sa.select(lessons.c.id, lessons.c.course_id, lessons.c.lesson_number))
    for lesson_id, course_id, number in rows.all():
        entries = plans.get(course_id) or []
        if 1 <= number <= len(entries) and isinstance(entries[number - 1], dict):
            bind.execute(
                sa.update(lessons).where(lessons.c.id == lesson_id).values(plan=entries[number - 1])
            )


def _compress_snapshots() -> None:
    """LZ4 for the snapshots on PostgreSQL 14+ built with lz4 (else the default)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(
            sa.text("ALTER TABLE lesson_versions ALTER COLUMN snapshot SET COMPRESSION lz4")
        )
    except sa.exc.DBAPIError:
        savepoint.rollback()  # server built without lz4: keep pglz
        return
    savepoint.commit()


def downgrade() -> None:
    op.drop_table("lesson_versions")
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of `lessons` would trip over the
    # views that read it.
    op.drop_column("lessons", "edited_at")
    op.drop_column("lessons", "plan")
