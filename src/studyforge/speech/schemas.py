"""Request and response bodies of the speech endpoints (the specification's field names)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from studyforge.speech.models import TranscriptionStatus

LANGUAGE_CODE = r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$"  # BCP 47 language[-region], as AWS names them


class TranscriptionSubmitted(BaseModel):
    """`POST /transcribe` answer."""

    model_config = ConfigDict(from_attributes=True)

    job_id: uuid.UUID
    filename: str
    status: TranscriptionStatus
    s3_key: str
    submitted_at: datetime


class TimedSegment(BaseModel):
    """A stretch of speech, in seconds from the start of the audio."""

    start: float
    end: float
    text: str


class Transcription(BaseModel):
    """`GET /transcription/<job_id>` answer."""

    model_config = ConfigDict(from_attributes=True)

    job_id: uuid.UUID
    filename: str
    status: TranscriptionStatus
    transcript: str | None
    confidence: float | None = Field(description="0..1: how sure the model was of the words")
    duration: float | None = Field(description="seconds of audio")
    language_code: str
    language: str | None = Field(
        description="the language detected: `en` from the offline model, the endpoint's "
        "own name for it (e.g. `english`) from an OpenAI-compatible one"
    )
    segments: list[TimedSegment] | None
    status_message: str | None = Field(description="e.g. that no speech was found")
    error: str | None = Field(description="why the transcription failed, for a person")
    submitted_at: datetime
    completed_at: datetime | None
    document_id: uuid.UUID | None = Field(description="the library document made from it")
    audio_expired_at: datetime | None = Field(
        description="when retention deleted the recording (AUDIO_RETENTION_DAYS); the "
        "transcript stays"
    )


class TranscriptionSummary(BaseModel):
    """A row of `GET /transcriptions`."""

    model_config = ConfigDict(from_attributes=True)

    job_id: uuid.UUID
    filename: str
    status: TranscriptionStatus
    duration: float | None
    submitted_at: datetime
    completed_at: datetime | None


class TranscriptionList(BaseModel):
    """`GET /transcriptions`: the caller's, newest first, one page."""

    transcriptions: list[TranscriptionSummary]
    total: int
    limit: int
    offset: int


class TranscriptionDeleted(BaseModel):
    """`DELETE /transcription/<job_id>` answer."""

    message: str = "Transcription deleted successfully"
    job_id: uuid.UUID


class TranscriptDocument(BaseModel):
    """`POST /transcription/<job_id>/document` answer: the document being processed."""

    job_id: uuid.UUID
    document_id: uuid.UUID
