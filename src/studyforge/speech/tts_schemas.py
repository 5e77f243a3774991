"""Request and response bodies of the text-to-speech endpoints (the specification's names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from studyforge.speech.schemas import LANGUAGE_CODE

OutputFormat = Literal["mp3", "ogg", "wav"]


class SynthesizeRequest(BaseModel):
    """`POST /synthesize` body. `user_id` is accepted and ignored: the owner is the token's."""

    text: str = Field(
        min_length=1, max_length=200_000, description="plain text; markup tags are removed"
    )
    voice_id: str = Field("Joanna", max_length=64, description="an id from `GET /voices`")
    language_code: str = Field("en-US", max_length=10, pattern=LANGUAGE_CODE)
    output_format: OutputFormat = "mp3"
    user_id: str | None = Field(None, max_length=100, description="ignored: taken from the token")


class Synthesized(BaseModel):
    """`POST /synthesize` answer."""

    audio_id: uuid.UUID
    s3_url: str = Field(description="where the owner downloads the audio (signed, expires)")
    duration: float = Field(description="seconds")
    cached: bool
    generated_at: datetime


class AudioDetails(BaseModel):
    """`GET /audio/<audio_id>` answer."""

    audio_id: uuid.UUID
    text: str
    voice_id: str
    language_code: str
    s3_url: str | None = Field(description="a signed download link; null once the audio expired")
    format: OutputFormat
    duration: float
    generated_at: datetime
    expired_at: datetime | None = Field(
        description="when retention deleted the audio file (GENERATED_AUDIO_RETENTION_DAYS)"
    )


class VoiceOut(BaseModel):
    """A voice to pass as `voice_id`."""

    id: str
    name: str
    language_code: str
    gender: str


class VoiceList(BaseModel):
    """`GET /voices` answer."""

    voices: list[VoiceOut]


class AudioDeleted(BaseModel):
    """`DELETE /audio/<audio_id>` answer."""

    message: str = "Audio deleted successfully"
    audio_id: uuid.UUID
