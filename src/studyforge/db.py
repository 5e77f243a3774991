"""Database engine, declarative Base and the per-request unit of work.

Services flush; the boundary (a request via `SessionDep`, or a job runner) commits. Work that
must happen only after a commit (sending a job to its runner) is registered with `after_commit`.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import SingletonThreadPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return (
            value.astimezone(UTC)
            if dialect.name != "sqlite"
            else value.astimezone(UTC).replace(tzinfo=None)
        )

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations get stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


class IdMixin:
    """UUID primary key, as the specification's messages use."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """created_at / updated_at maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout for many threads."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class LoopReader:
    """Short reads for requests, made on the event loop over a read-only SQLite connection.

    A WAL-mode SQLite read never waits for a writer and costs microseconds, while a hop to the
    thread pool costs a context switch and, under load, a fight for the GIL (measured on
    `GET /api/jobs/{id}`: 3.5 ms of CPU per request with four hops, 0.3 ms with none). So on
    SQLite the request reads right on the loop; networked databases keep the thread pool.

    Results are memoised until the database changes. `PRAGMA data_version`, asked on a
    connection that never writes, moves whenever any other connection in any process commits,
    so a poll that finds nothing new costs one pragma. A query must therefore depend only on
    the database and its arguments, and its result must not be mutated by the caller.
    """

    def __init__(self, engine: Engine, max_entries: int = 1024) -> None:
        self.engine = create_engine(
            engine.url,
            poolclass=SingletonThreadPool,
            connect_args={"check_same_thread": False, "timeout": 2},
        )
        event.listen(self.engine, "connect", _read_only)
        self._changes = sqlite3.connect(engine.url.database or "", check_same_thread=False)
        self._version = -1
        self._results: dict[tuple[Any, ...], Any] = {}
        self.max_entries = max_entries

    @staticmethod
    def supports(engine: Engine) -> bool:
        """True for a SQLite file (an in-memory database is invisible to other connections)."""
        url = engine.url
        return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")

    def read(self, query: Callable[..., T], *args: Any) -> T:
        """`query(connection, *args)`, from the memo when nothing was committed since."""
        version = self._changes.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._results = {}
            self._version = version
        key = (query, *args)
        if key in self._results:
            result: T = self._results[key]
            return result
        with self.engine.connect() as conn:
            result = query(conn, *args)
        if len(self._results) >= self.max_entries:
            self._results.pop(next(iter(self._results)))
        self._results[key] = result
        return result

    def close(self) -> None:
        """Close both connections."""
        self._changes.close()
        self.engine.dispose()


def _read_only(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA query_only=ON")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory whose sessions run `after_commit` callbacks once committed."""
    factory = sessionmaker(engine, expire_on_commit=False)

    @event.listens_for(factory, "after_commit")
    def _run_callbacks(session: Session) -> None:
        callbacks = session.info.pop("after_commit", [])
        for callback in callbacks:
            callback()

    @event.listens_for(factory, "after_rollback")
    def _drop_callbacks(session: Session) -> None:
        session.info.pop("after_commit", None)

    return factory


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction commits; drop it on rollback."""
    session.info.setdefault("after_commit", []).append(callback)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _request_session(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.platform.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(_request_session, scope="function")]


V = TypeVar("V")


class PerEngine(Generic[V]):
    """One value per database (engine) in this process, made by `factory` on first use.

    For process-local caches and facts about a database (its extensions, search statistics):
    sessions of one engine share the value, and it goes away with the engine.
    """

    def __init__(self, factory: Callable[[Session], V]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[Engine, V] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, session: Session) -> V:
        """The value for the session's engine."""
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        with self._lock:
            if engine not in self._values:
                self._values[engine] = self._factory(session)
            return self._values[engine]


class CommitMemo:
    """Per-thread memo of small reads of one SQLite file, dropped whenever anything commits.

    The thread-pool counterpart of `LoopReader`'s memo: each thread keeps a connection that
    never writes and asks it `PRAGMA data_version` (it moves when any other connection, in any
    process, commits). A read made inside a transaction that has written is never memoised or
    served from the memo: it must see its own uncommitted rows.
    """

    MAX_ENTRIES = 1024

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()

    @staticmethod
    def for_session(session: Session) -> CommitMemo | None:
        """A memo for the session's database when it is a SQLite file, else None."""
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        return CommitMemo(str(engine.url.database)) if LoopReader.supports(engine) else None

    def read(self, session: Session, key: Any, query: Callable[[], T]) -> T:
        """`query()`, or its memoised result if nothing was committed since it ran."""
        if session.connection().connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            return query()
        local = self._local
        if getattr(local, "changes", None) is None:
            local.changes = sqlite3.connect(self._path)
            local.version, local.results = -1, {}
        version = local.changes.execute("PRAGMA data_version").fetchone()[0]
        if version != local.version or len(local.results) >= self.MAX_ENTRIES:
            local.version, local.results = version, {}
        if key not in local.results:
            local.results[key] = query()
        result: T = local.results[key]
        return result


def sqlite_rows(session: Session, sql: str, params: Sequence[object]) -> list[Any]:
    """Run `sql` (qmark parameters) on the session's own SQLite connection, in its transaction.

    It skips SQLAlchemy's statement, compile-cache and result layers: only for hot read paths
    whose SQL is SQLite's own anyway (FTS5), where those layers cost more than the query.
    """
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()
