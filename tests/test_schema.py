"""The migrations build the schema the models describe, on SQLite and PostgreSQL: a table,
column or index of a model with no migration (or one a migration makes that no model has)
fails here, not in production. Column types and server defaults are not compared (the
models' UTC datetime type and JSON columns differ in name only)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from studyforge.models import Base


def _differences(url: str, metadata: sa.MetaData = Base.metadata) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    return [_describe(d) for d in diff if not _dialect_extra(d)]


def _describe(diff: Any) -> str:
    return repr(diff)[:300]


def _dialect_extra(diff: Any) -> bool:
    """What the migrations add on purpose beyond the models: SQLite's FTS tables, and
    PostgreSQL's full-text and vector columns of `passages` with their indexes."""
    if not isinstance(diff, tuple):
        return False
    kind, *rest = diff
    if kind == "remove_table":
        return rest[0].name.startswith("passages_fts")  # SQLite's FTS5 tables
    if kind == "remove_index":
        return rest[0].table.name == "passages" and rest[0].name in PG_PASSAGE_INDEXES
    if kind == "remove_column":
        return rest[1] == "passages" and rest[2].name in PG_PASSAGE_COLUMNS
    return False


PG_PASSAGE_COLUMNS = {"tsv", "vec"}
PG_PASSAGE_INDEXES = {"ix_passages_tsv", "ix_passages_vec"}


@pytest.mark.filterwarnings("ignore:Did not recognize type 'vector'")
def test_the_migrated_schema_matches_the_models(db_url: str) -> None:
    assert _differences(db_url) == []


def test_a_model_change_without_a_migration_is_found(db_url: str) -> None:
    changed = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["repository_files"].append_column(sa.Column("not_migrated", sa.Integer()))
    found = _differences(db_url, changed)
    assert len(found) == 1 and "not_migrated" in found[0]
