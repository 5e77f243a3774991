"""Settings: conventional variable names, URL building, and the secret rule off loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from studyforge.config import Settings, is_loopback


def test_defaults_are_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_HOST", raising=False)
    s = Settings(home=tmp_path)
    assert s.sqlalchemy_url == f"sqlite:///{(tmp_path / 'studyforge.db').resolve()}"
    assert s.jobs == "inline"
    assert s.rabbitmq_url is None and s.job_broker_url is None


def test_conventional_names_are_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PORT", "6543")
    monkeypatch.setenv("DB_NAME", "learningdb")
    monkeypatch.setenv("DB_USER", "teacher")
    monkeypatch.setenv("DB_PASSWORD", "p@ss/word")
    monkeypatch.setenv("RABBITMQ_HOST", "mq")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    s = Settings()
    assert (
        s.sqlalchemy_url == "postgresql+psycopg://teacher:p%40ss%2Fword@db.internal:6543/learningdb"
    )
    assert s.rabbitmq_url == "amqp://guest:guest@mq:5672/%2F"
    assert s.job_broker_url == "redis://cache:6379/0"
    assert s.kafka_bootstrap_servers == "k1:9092"
    assert s.openai_api_key == "sk-test"


def test_database_url_wins_and_is_normalised(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DB_HOST", "ignored")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h:5432/d")
    assert Settings().sqlalchemy_url == "postgresql+psycopg://u:p@h:5432/d"


def test_prefixed_names_override(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PORT", "9000")
    assert Settings().port == 9000
    monkeypatch.setenv("STUDYFORGE_PORT", "9100")
    assert Settings().port == 9100


@pytest.mark.parametrize("secret", [None, "short", "changeme"])
def test_public_bind_refuses_weak_secret(secret: str | None):
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(host="0.0.0.0", jwt_secret=secret)


def test_public_bind_accepts_strong_secret():
    assert Settings(host="0.0.0.0", jwt_secret="z" * 40).host == "0.0.0.0"


def test_loopback_generates_and_keeps_a_secret(tmp_path: Path):
    first = Settings(home=tmp_path).secret_key()
    assert len(first) >= 32
    assert Settings(home=tmp_path).secret_key() == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_is_loopback(host: str, expected: bool):
    assert is_loopback(host) is expected
