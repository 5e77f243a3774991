"""Migration d4e5f6a7b8c0 (lesson_versions, lessons.plan, lessons.edited_at) on SQLite and
PostgreSQL: down to c3d4e5f6a7b9 and up again, existing lessons getting their plan from their
course's outline; deleting a lesson deletes its versions."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from alembic import command

from studyforge.migrate import alembic_config, upgrade

PLANS = [{"title": "Plan one", "sources": [0, 1]}, {"title": "Plan two", "sources": [2]}]


def _id(engine: sa.Engine, value: uuid.UUID) -> str:
    return value.hex if engine.dialect.name == "sqlite" else str(value)


def test_upgrade_backfills_plans_and_downgrade_drops_it_all(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "c3d4e5f6a7b9")
    engine = sa.create_engine(db_url)
    user, course = uuid.uuid4(), uuid.uuid4()
    lessons = [uuid.uuid4() for _ in range(3)]
    stamp = "2026-12-01 10:00:00"
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, username, password_hash, is_active, created_at, "
                    "updated_at) VALUES (:id, 'mig', 'x', true, :t, :t)"
                ),
                {"id": _id(engine, user), "t": stamp},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO courses (id, user_id, request_id, topic, grade_level, "
                    "num_lessons, status, outline, prompt_tokens, completion_tokens, cost_usd, "
                    "allow_ungrounded, created_at, updated_at) VALUES (:id, :user, 'r', 't', "
                    "'Grade 8', 3, 'READY', :outline, 0, 0, 0, false, :t, :t)"
                ),
                {
                    "id": _id(engine, course),
                    "user": _id(engine, user),
                    "t": stamp,
                    "outline": json.dumps({"lessons": PLANS}),
                },
            )
            for number, lesson in enumerate(lessons, start=1):  # lesson 3 has no outline entry
                conn.execute(
                    sa.text(
                        "INSERT INTO lessons (id, course_id, lesson_number, title, description, "
                        "key_concepts, learning_objectives, sources, created_at, updated_at) "
                        "VALUES (:id, :course, :n, 'T', '', '[]', '[]', '[]', :t, :t)"
                    ),
                    {
                        "id": _id(engine, lesson),
                        "course": _id(engine, course),
                        "n": number,
                        "t": stamp,
                    },
                )
        upgrade(db_url)
        with engine.begin() as conn:
            rows = conn.execute(
                sa.text("SELECT lesson_number, plan, edited_at FROM lessons ORDER BY lesson_number")
            ).all()
            plans = [json.loads(p) if isinstance(p, str) else p for _, p, _ in rows]
            assert plans == [*PLANS, None]
            assert all(edited is None for *_, edited in rows)
            conn.execute(
                sa.text(
                    "INSERT INTO lesson_versions (id, lesson_id, number, created_at, reason, "
                    "snapshot) VALUES (:id, :lesson, 1, :t, 'edited', '{}')"
                ),
                {"id": _id(engine, uuid.uuid4()), "lesson": _id(engine, lessons[0]), "t": stamp},
            )
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(sa.text("PRAGMA foreign_keys=ON"))
            conn.execute(
                sa.text("DELETE FROM lessons WHERE id = :id"), {"id": _id(engine, lessons[0])}
            )
            assert conn.execute(sa.text("SELECT count(*) FROM lesson_versions")).scalar() == 0
        command.downgrade(alembic_config(db_url), "c3d4e5f6a7b9")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("lessons")}
        assert not columns & {"plan", "edited_at"}
        assert "lesson_versions" not in sa.inspect(engine).get_table_names()
        upgrade(db_url)
        assert "lesson_versions" in sa.inspect(sa.create_engine(db_url)).get_table_names()
    finally:
        engine.dispose()
