"""`transcription_jobs`: one uploaded audio file and its transcription (the specification's
columns, plus the timed segments, the detected language, the error and the runner's job)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studyforge.db import Base, utcnow


class TranscriptionStatus(enum.StrEnum):
    """processing -> completed | failed."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class TranscriptionJob(Base):
    """An audio file and its transcript. `aws_job_name` holds the provider's own job name
    where it has one (null for the offline model and OpenAI-compatible endpoints)."""

    __tablename__ = "transcription_jobs"
    __table_args__ = (
        Index("ix_transcription_jobs_user_submitted", "user_id", "submitted_at"),
        Index("uq_transcription_jobs_user_request_id", "user_id", "request_id", unique=True),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(500))
    s3_key: Mapped[str] = mapped_column(String(500))
    aws_job_name: Mapped[str | None] = mapped_column(String(255), default=None)
    status: Mapped[TranscriptionStatus] = mapped_column(
        Enum(
            TranscriptionStatus,
            native_enum=False,
            length=50,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=TranscriptionStatus.PROCESSING,
    )
    transcript: Mapped[str | None] = mapped_column(Text, default=None)
    confidence: Mapped[float | None] = mapped_column(Numeric(5, 4, asdecimal=False), default=None)
    duration: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False), default=None)
    language_code: Mapped[str] = mapped_column(String(10), default="en-US")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Beyond the specification:
    media_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(32), default=None)
    segments: Mapped[list[dict[str, Any]] | None] = mapped_column(default=None)
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    add_to_library: Mapped[bool] = mapped_column(default=False)
    document_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    task_id: Mapped[uuid.UUID | None] = mapped_column(default=None)  # the runner's job
    # When retention deleted the recording (the transcript stays).
    audio_expired_at: Mapped[datetime | None] = mapped_column(default=None)
    # The `audio.transcription.requested` message's id (de-duplicates one user's requests).
    request_id: Mapped[str | None] = mapped_column(String(100), default=None)


class GeneratedAudio(Base):
    """One synthesis result: the text, voice and format asked for, and the stored audio.
    `cache_key` is the owner-scoped SHA-256 the cache maps to this row (see `speech/tts.py`)."""

    __tablename__ = "generated_audio"
    __table_args__ = (Index("ix_generated_audio_user_generated", "user_id", "generated_at"),)

    audio_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    voice_id: Mapped[str] = mapped_column(String(64))
    language_code: Mapped[str] = mapped_column(String(10), default="en-US")
    format: Mapped[str] = mapped_column(String(8))
    s3_key: Mapped[str] = mapped_column(String(500))
    duration: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expired_at: Mapped[datetime | None] = mapped_column(default=None)  # file deleted
