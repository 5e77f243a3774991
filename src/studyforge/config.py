"""One validated Settings object, read from the environment (and an optional `.env`).

Every setting has the `STUDYFORGE_` prefix; where the specification uses a conventional name
(`DATABASE_URL`, `DB_HOST`, `REDIS_URL`, `RABBITMQ_HOST`, `OPENAI_API_KEY`, ...) that name is
accepted too. Defaults are the embedded mode: SQLite under `STUDYFORGE_HOME`, inline jobs, a
local blob folder and the offline AI providers.
"""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import AliasChoices, Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"STUDYFORGE_{name}", *aliases)


class Settings(BaseSettings):
    """Runtime configuration; see the README's configuration table for every field."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # --- server -----------------------------------------------------------------------------
    home: Path = Field(Path("var"), validation_alias=_env("HOME"))
    host: str = Field("127.0.0.1", validation_alias=_env("HOST"))
    port: int = Field(8000, validation_alias=_env("PORT", "PORT"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    max_body_bytes: int = Field(50 * 1024 * 1024, validation_alias=_env("MAX_BODY_BYTES"))

    # --- database ---------------------------------------------------------------------------
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL", "DATABASE_URL"))
    db_host: str | None = Field(None, validation_alias=_env("DB_HOST", "DB_HOST"))
    db_port: int = Field(5432, validation_alias=_env("DB_PORT", "DB_PORT"))
    db_name: str = Field("studyforge", validation_alias=_env("DB_NAME", "DB_NAME"))
    db_user: str = Field("postgres", validation_alias=_env("DB_USER", "DB_USER"))
    db_password: str = Field("", validation_alias=_env("DB_PASSWORD", "DB_PASSWORD"))

    # --- auth -------------------------------------------------------------------------------
    jwt_secret: str | None = Field(None, validation_alias=_env("JWT_SECRET", "JWT_SECRET"))
    jwt_ttl_minutes: int = Field(12 * 60, validation_alias=_env("JWT_TTL_MINUTES"))
    # A verified token is trusted this long without another look at its user (0: every time).
    auth_cache_seconds: float = Field(30.0, ge=0, validation_alias=_env("AUTH_CACHE_SECONDS"))
    # Sign-in throttling (auth/throttle.py): failures per username + address, and per address.
    signin_max_failures: int = Field(5, ge=1, validation_alias=_env("SIGNIN_MAX_FAILURES"))
    signin_max_address_failures: int = Field(
        50, ge=1, validation_alias=_env("SIGNIN_MAX_ADDRESS_FAILURES")
    )
    signin_lockout_seconds: float = Field(
        30.0, gt=0, validation_alias=_env("SIGNIN_LOCKOUT_SECONDS")
    )
    signin_max_lockout_seconds: float = Field(
        900.0, gt=0, validation_alias=_env("SIGNIN_MAX_LOCKOUT_SECONDS")
    )
    signin_window_seconds: float = Field(
        900.0, gt=0, validation_alias=_env("SIGNIN_WINDOW_SECONDS")
    )

    # --- jobs -------------------------------------------------------------------------------
    jobs: Literal["inline", "celery"] = Field("inline", validation_alias=_env("JOBS"))
    job_workers: int = Field(4, ge=1, validation_alias=_env("JOB_WORKERS"))
    job_max_attempts: int = Field(3, ge=1, validation_alias=_env("JOB_MAX_ATTEMPTS"))
    job_backoff_seconds: float = Field(2.0, ge=0, validation_alias=_env("JOB_BACKOFF_SECONDS"))
    job_lease_seconds: float = Field(30.0, gt=0, validation_alias=_env("JOB_LEASE_SECONDS"))
    celery_broker_url: str | None = Field(
        None, validation_alias=_env("CELERY_BROKER_URL", "CELERY_BROKER_URL")
    )

    # --- brokers ----------------------------------------------------------------------------
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL", "REDIS_URL"))
    kafka_bootstrap_servers: str | None = Field(
        None, validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS")
    )
    # Inbound Kafka topics (messaging/kafka_consumer.py): one consumer group, manual commits.
    kafka_consume: bool = Field(True, validation_alias=_env("KAFKA_CONSUME"))
    kafka_consumer_group: str = Field(
        "studyforge",
        min_length=1,
        validation_alias=_env("KAFKA_CONSUMER_GROUP", "KAFKA_CONSUMER_GROUP"),
    )
    kafka_dead_letter_suffix: str = Field(
        ".dlq", min_length=1, validation_alias=_env("KAFKA_DEAD_LETTER_SUFFIX")
    )
    kafka_session_timeout_seconds: float = Field(
        10.0, ge=1, le=300, validation_alias=_env("KAFKA_SESSION_TIMEOUT_SECONDS")
    )
    kafka_retry_max_seconds: float = Field(
        30.0, gt=0, validation_alias=_env("KAFKA_RETRY_MAX_SECONDS")
    )
    rabbitmq_host: str | None = Field(None, validation_alias=_env("RABBITMQ_HOST", "RABBITMQ_HOST"))
    rabbitmq_port: int = Field(5672, validation_alias=_env("RABBITMQ_PORT", "RABBITMQ_PORT"))
    rabbitmq_username: str = Field(
        "guest", validation_alias=_env("RABBITMQ_USERNAME", "RABBITMQ_USERNAME")
    )
    rabbitmq_password: str = Field(
        "guest", validation_alias=_env("RABBITMQ_PASSWORD", "RABBITMQ_PASSWORD")
    )
    rabbitmq_vhost: str = Field("/", validation_alias=_env("RABBITMQ_VHOST", "RABBITMQ_VHOST"))
    rabbitmq_exchange: str = Field(
        "course.exchange", validation_alias=_env("RABBITMQ_EXCHANGE", "RABBITMQ_EXCHANGE")
    )
    rabbitmq_queue_generation: str = Field(
        "course.generation.queue",
        validation_alias=_env("RABBITMQ_QUEUE_GENERATION", "RABBITMQ_QUEUE_GENERATION"),
    )
    rabbitmq_queue_status: str = Field(
        "course.status.queue",
        validation_alias=_env("RABBITMQ_QUEUE_STATUS", "RABBITMQ_QUEUE_STATUS"),
    )
    rabbitmq_route_generate: str = Field(
        "course.generate",
        validation_alias=_env("RABBITMQ_ROUTE_GENERATE", "RABBITMQ_ROUTE_GENERATE"),
    )
    rabbitmq_route_status: str = Field(
        "course.status", validation_alias=_env("RABBITMQ_ROUTE_STATUS", "RABBITMQ_ROUTE_STATUS")
    )
    rabbitmq_dead_letter_queue: str = Field(
        "course.generation.dlq", validation_alias=_env("RABBITMQ_DEAD_LETTER_QUEUE")
    )
    rabbitmq_consume: bool = Field(True, validation_alias=_env("RABBITMQ_CONSUME"))
    events_exchange: str = Field("studyforge.events", validation_alias=_env("EVENTS_EXCHANGE"))
    events_poll_seconds: float = Field(1.0, gt=0, validation_alias=_env("EVENTS_POLL_SECONDS"))

    # --- storage ----------------------------------------------------------------------------
    s3_bucket: str | None = Field(None, validation_alias=_env("S3_BUCKET"))
    s3_endpoint_url: str | None = Field(None, validation_alias=_env("S3_ENDPOINT_URL"))
    s3_region: str = Field("us-east-1", validation_alias=_env("S3_REGION", "AWS_REGION"))
    s3_access_key_id: str | None = Field(
        None, validation_alias=_env("S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")
    )
    s3_secret_access_key: str | None = Field(
        None, validation_alias=_env("S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")
    )

    # --- AI providers -----------------------------------------------------------------------
    openai_api_key: str | None = Field(
        None, validation_alias=_env("OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=_env("OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    openrouter_api_key: str | None = Field(
        None, validation_alias=_env("OPENROUTER_API_KEY", "OPENROUTER_API_KEY")
    )

    llm_provider: Literal["auto", "offline", "openai", "local"] = Field(
        "auto", validation_alias=_env("LLM_PROVIDER")
    )
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = Field(
        "qwen2.5-coder-1.5b", validation_alias=_env("LOCAL_MODEL")
    )
    local_threads: int = Field(2, ge=1, le=64, validation_alias=_env("LOCAL_THREADS"))
    local_context: int = Field(4096, ge=512, le=32768, validation_alias=_env("LOCAL_CONTEXT"))
    llm_model: str = Field("gpt-4o-mini", validation_alias=_env("LLM_MODEL", "LLM_MODEL"))
    # The project generator's model (MODEL_PRIMARY); unset: LLM_MODEL.
    model_primary: str | None = Field(None, validation_alias=_env("MODEL_PRIMARY", "MODEL_PRIMARY"))
    # Where the project generator's run logs go ({run_id}.csv, {run_id}/*.json); unset: home/logs.
    csv_log_dir: Path | None = Field(None, validation_alias=_env("CSV_LOG_DIR", "CSV_LOG_DIR"))
    # Words a generated project must not contain (comma-separated); sets plan.blocklist_ok.
    project_blocklist: str = Field(
        "violence,weapon,gambling,alcohol", validation_alias=_env("PROJECT_BLOCKLIST")
    )
    llm_timeout_seconds: float = Field(60.0, gt=0, validation_alias=_env("LLM_TIMEOUT_SECONDS"))
    llm_max_retries: int = Field(3, ge=0, validation_alias=_env("LLM_MAX_RETRIES"))
    llm_input_cost_per_mtok: float = Field(
        0.0, ge=0, validation_alias=_env("LLM_INPUT_COST_PER_MTOK")
    )
    llm_output_cost_per_mtok: float = Field(
        0.0, ge=0, validation_alias=_env("LLM_OUTPUT_COST_PER_MTOK")
    )
    embedding_provider: Literal["offline", "openai"] = Field(
        "offline", validation_alias=_env("EMBEDDING_PROVIDER")
    )
    embedding_model: str = Field("text-embedding-3-small", validation_alias=_env("EMBEDDING_MODEL"))
    ocr_provider: Literal["offline", "none"] = Field(
        "offline", validation_alias=_env("OCR_PROVIDER")
    )

    # --- courses ----------------------------------------------------------------------------
    course_lesson_concurrency: int = Field(
        8, ge=1, le=32, validation_alias=_env("COURSE_LESSON_CONCURRENCY")
    )
    course_sources: int = Field(160, ge=1, le=2000, validation_alias=_env("COURSE_SOURCES"))
    course_files: bool = Field(True, validation_alias=_env("COURSE_FILES"))

    # --- repository courses -----------------------------------------------------------------
    # Local paths, file:// and hosts on loopback/private/link-local addresses are refused
    # unless this is on (tests turn it on to serve repositories from 127.0.0.1).
    repo_allow_local: bool = Field(False, validation_alias=_env("REPO_ALLOW_LOCAL"))
    repo_clone_timeout_seconds: float = Field(
        120.0, gt=0, validation_alias=_env("REPO_CLONE_TIMEOUT_SECONDS")
    )
    repo_max_bytes: int = Field(200 * 1024 * 1024, gt=0, validation_alias=_env("REPO_MAX_BYTES"))
    repo_max_files: int = Field(20_000, ge=1, validation_alias=_env("REPO_MAX_FILES"))
    repo_max_depth: int = Field(12, ge=1, le=64, validation_alias=_env("REPO_MAX_DEPTH"))
    repo_max_doc_bytes: int = Field(
        2 * 1024 * 1024, gt=0, validation_alias=_env("REPO_MAX_DOC_BYTES")
    )

    # --- documents --------------------------------------------------------------------------
    upload_max_bytes: int = Field(50 * 1024 * 1024, gt=0, validation_alias=_env("UPLOAD_MAX_BYTES"))
    extract_timeout_seconds: float = Field(
        120.0, gt=0, validation_alias=_env("EXTRACT_TIMEOUT_SECONDS")
    )
    extract_memory_mb: int = Field(1536, ge=256, validation_alias=_env("EXTRACT_MEMORY_MB"))
    max_pages: int = Field(2000, ge=1, validation_alias=_env("MAX_PAGES"))
    ocr_max_pages: int = Field(200, ge=0, validation_alias=_env("OCR_MAX_PAGES"))

    # --- speech-to-text ---------------------------------------------------------------------
    stt_provider: Literal["offline", "openai"] = Field(
        "offline", validation_alias=_env("STT_PROVIDER")
    )
    stt_model: str = Field("whisper-1", validation_alias=_env("STT_MODEL"))
    stt_threads: int = Field(2, ge=1, le=64, validation_alias=_env("STT_THREADS"))
    stt_max_seconds: float = Field(3 * 3600.0, gt=0, validation_alias=_env("STT_MAX_SECONDS"))
    # Decoding plus inference of one file; past it the job fails with a clear message.
    stt_timeout_seconds: float = Field(1800.0, gt=0, validation_alias=_env("STT_TIMEOUT_SECONDS"))

    # --- text-to-speech ---------------------------------------------------------------------
    tts_provider: Literal["offline", "openai"] = Field(
        "offline", validation_alias=_env("TTS_PROVIDER")
    )
    tts_model: str = Field("tts-1", validation_alias=_env("TTS_MODEL"))
    tts_max_chars: int = Field(5000, ge=1, le=100_000, validation_alias=_env("TTS_MAX_CHARS"))
    tts_cache_ttl_seconds: int = Field(
        86400, ge=1, validation_alias=_env("TTS_CACHE_TTL_SECONDS", "TTS_CACHE_TTL_SECONDS")
    )
    tts_timeout_seconds: float = Field(120.0, gt=0, validation_alias=_env("TTS_TIMEOUT_SECONDS"))
    # --- audio retention: a periodic round deletes expired audio files, keeping transcripts ---
    audio_retention_days: float = Field(
        30.0, gt=0, validation_alias=_env("AUDIO_RETENTION_DAYS", "AUDIO_RETENTION_DAYS")
    )  # uploaded recordings
    generated_audio_retention_days: float = Field(
        7.0, gt=0, validation_alias=_env("GENERATED_AUDIO_RETENTION_DAYS")
    )
    retention_interval_seconds: float = Field(
        3600.0, gt=0, validation_alias=_env("RETENTION_INTERVAL_SECONDS")
    )

    _secret: str | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if not is_loopback(self.host) and (
            self.jwt_secret is None
            or len(self.jwt_secret) < MIN_SECRET_LENGTH
            or self.jwt_secret.lower() in {"secret", "changeme", "change-me"}
        ):
            raise ValueError(
                f"STUDYFORGE_JWT_SECRET must be set to at least {MIN_SECRET_LENGTH} random "
                f"characters when the server binds to {self.host!r} (not loopback)"
            )
        return self

    # --- derived values ---------------------------------------------------------------------
    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: DATABASE_URL, else the DB_* variables, else SQLite in home."""
        if self.database_url:
            url = self.database_url
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        if self.db_host:
            auth = quote(self.db_user, safe="")
            if self.db_password:
                auth += ":" + quote(self.db_password, safe="")
            return f"postgresql+psycopg://{auth}@{self.db_host}:{self.db_port}/{self.db_name}"
        return f"sqlite:///{(self.home / 'studyforge.db').resolve()}"

    @property
    def rabbitmq_url(self) -> str | None:
        """AMQP URL built from the RABBITMQ_* settings, or None when RabbitMQ is not configured."""
        if not self.rabbitmq_host:
            return None
        vhost = quote(self.rabbitmq_vhost, safe="")
        user = quote(self.rabbitmq_username, safe="")
        password = quote(self.rabbitmq_password, safe="")
        return f"amqp://{user}:{password}@{self.rabbitmq_host}:{self.rabbitmq_port}/{vhost}"

    @property
    def job_broker_url(self) -> str | None:
        """Celery broker: CELERY_BROKER_URL, else Redis, else RabbitMQ."""
        return self.celery_broker_url or self.redis_url or self.rabbitmq_url

    @property
    def llm_backend(self) -> str:
        """The LLM adapter in use: "auto" means openai when a key or base URL is set."""
        if self.llm_provider != "auto":
            return self.llm_provider
        configured = self.openai_api_key or self.openrouter_api_key or self.openai_base_url
        return "openai" if configured else "offline"

    def secret_key(self) -> str:
        """The JWT signing secret; on loopback a random one is kept in the home folder."""
        if self.jwt_secret:
            return self.jwt_secret
        if self._secret is None:
            path = self.home / "jwt-secret"
            if not path.exists():
                self.home.mkdir(parents=True, exist_ok=True)
                path.touch(mode=0o600)
                path.write_text(secrets.token_urlsafe(48))
            self._secret = path.read_text().strip()
        return self._secret


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
