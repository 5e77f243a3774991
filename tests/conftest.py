"""Shared fixtures: a real database per test (SQLite and PostgreSQL), the platform, HTTP clients.

Each test gets its own database cloned from a migrated template (a file copy for SQLite,
`CREATE DATABASE ... TEMPLATE` for PostgreSQL), so tests never see each other's rows.
Set `STUDYFORGE_TEST_DATABASES=sqlite` to run the SQLite half only while iterating.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.config import Settings
from studyforge.migrate import upgrade
from studyforge.platform import Platform, build_platform

DATABASES = os.environ.get("STUDYFORGE_TEST_DATABASES", "sqlite,postgresql").split(",")
SECRET = "test-secret-" + "x" * 40


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One PostgreSQL (with pgvector) server for the whole run."""
    from tests.support import servers as services

    server = services.start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _pg_admin(url: str) -> str:
    # psycopg wants a plain libpq URL.
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def pg_template(postgres: Any) -> str:
    """A migrated PostgreSQL database used as the template for per-test databases."""
    with psycopg.connect(_pg_admin(postgres.url), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS sf_template")
        conn.execute("CREATE DATABASE sf_template")
    upgrade(postgres.url.rsplit("/", 1)[0] + "/sf_template")
    return "sf_template"


@pytest.fixture(params=[d for d in ("sqlite", "postgresql") if d in DATABASES])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres")
    yield from _pg_clone(server.url, request.getfixturevalue("pg_template"))


def _pg_clone(server_url: str, template: str) -> Iterator[str]:
    """Create a database from the migrated template, yield its URL, then drop it."""
    name = "t_" + uuid.uuid4().hex[:16]
    admin = _pg_admin(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield server_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(home: Path, db_url: str, **overrides: Any) -> Settings:
    """Test settings: fast leases, backoff and polling; no brokers unless overridden."""
    values: dict[str, Any] = {
        "home": home,
        "database_url": db_url,
        "jwt_secret": SECRET,
        "jobs": "inline",
        "job_workers": 4,
        "job_lease_seconds": 2.0,
        "job_backoff_seconds": 0.05,
        "events_poll_seconds": 0.1,
        "max_body_bytes": 1024 * 1024,
        "redis_url": None,
        "kafka_bootstrap_servers": None,
        "rabbitmq_host": None,
        "s3_bucket": None,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Embedded-mode settings on the per-test database."""
    return make_settings(tmp_path / "home", db_url)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    """The platform's clients (inline runner, relay...) for one test."""
    built = build_platform(settings)
    yield built
    built.close()


@pytest.fixture
def app(platform: Platform) -> FastAPI:
    """The ASGI app sharing the test's platform."""
    return create_app(platform=platform)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


UserMaker = Callable[..., tuple[uuid.UUID, dict[str, str]]]


@pytest.fixture
def make_user(platform: Platform) -> UserMaker:
    """Create a user; returns its id and the Authorization header for it."""

    def make(username: str | None = None, password: str = "correct horse battery") -> Any:
        with platform.sessions.begin() as session:
            user = create_user(session, username or f"u{uuid.uuid4().hex[:8]}", password)
            token = issue_token(user, platform.settings.secret_key(), 60)
            return user.id, {"Authorization": f"Bearer {token}"}

    return make


def _service_fixture(starter: str, doc: str) -> Any:
    """A session-scoped fixture that starts one real server on loopback and stops it by pid."""

    @pytest.fixture(scope="session")
    def fixture() -> Iterator[Any]:
        from tests.support import servers as services

        server = getattr(services, starter)()
        yield server
        server.stop()

    fixture.__doc__ = doc
    return fixture


redis = _service_fixture("start_redis", "A real Redis server on loopback.")
rabbitmq = _service_fixture("start_rabbitmq", "A real RabbitMQ broker on loopback.")
kafka = _service_fixture("start_kafka", "A Kafka-protocol broker (Tansu) on loopback.")
s3 = _service_fixture("start_s3", "An S3 server (SeaweedFS) on loopback.")
postgres15 = _service_fixture(
    "start_postgres15", "Debian's PostgreSQL 15 (lz4, no pgvector) on loopback."
)


@pytest.fixture(scope="module")
def module_pg_url(postgres: Any, pg_template: str) -> Iterator[str]:
    """A migrated PostgreSQL database shared by one test module."""
    yield from _pg_clone(postgres.url, pg_template)
