"""The speech service's Kafka handlers: `audio.transcription.requested` -> a transcription job,
`audio.generation.requested` -> synthesised audio.

`audio.transcription.requested` names audio already in the platform's blob store: `s3_key`
must be a key under `audio/<user_id>/` of the message's own user (what `POST /transcribe`
stores, or what another service of ours put there). Nothing is ever fetched from a URL. The
audio is read and goes to the same `service.submit` as an upload (same checks: format from
the bytes, length, language; its own copy of the audio, so deleting one transcription never
takes another's file). The row and its queued job are committed before the offset. The job
announces `audio.transcription.completed` (job_id, request_id, status, transcript...) when it
completes or fails. The same `request_id` from the same user makes no second transcription,
also when two deliveries race (the unique index).

`audio.generation.requested` carries the fields of `POST /synthesize` plus `user_id` and
`request_id` and goes to the same `synthesis.synthesize` (same voices, limits and cache). It
emits `audio.generation.completed` (audio_id, request_id, cached...) in the same transaction.
A repeated request is answered from the cache: no second synthesis, announced again with
`cached: true`.

`user_id` is required and trusted on the broker (it must name an existing user). Anything that
can never succeed (not JSON, a schema error, an unknown user, a key that is not that user's
audio, audio the upload checks refuse, an unknown voice) raises `BadMessage`: the runner
dead-letters it with that reason.
"""

from __future__ import annotations

import logging
import posixpath
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from studyforge.ai.registry import AIProviders
from studyforge.auth.models import User
from studyforge.config import Settings
from studyforge.errors import AppError
from studyforge.kit.limits import Text
from studyforge.messaging.inbound import BadMessage, parse_json, validated
from studyforge.messaging.kafka_consumer import Handler, Handlers
from studyforge.speech import service, synthesis
from studyforge.speech.schemas import LANGUAGE_CODE
from studyforge.speech.tts_schemas import SynthesizeRequest
from studyforge.storage import BlobStore, InvalidBlobKey, check_key

log = logging.getLogger(__name__)
TRANSCRIPTION_TOPIC = "audio.transcription.requested"
GENERATION_TOPIC = "audio.generation.requested"


class TranscriptionRequested(BaseModel):
    """An `audio.transcription.requested` message: `POST /transcribe`'s fields, with the audio
    named by its blob key instead of uploaded."""

    model_config = ConfigDict(extra="ignore")

    user_id: uuid.UUID
    request_id: Annotated[str, Text(100)]
    s3_key: Annotated[str, Text(500)]
    filename: Annotated[str, Text(500)] | None = None
    language_code: str = Field("en-US", max_length=10, pattern=LANGUAGE_CODE)
    add_to_library: bool = False


class GenerationRequested(SynthesizeRequest):
    """An `audio.generation.requested` message: `POST /synthesize`'s body, `user_id` (a UUID)
    and `request_id` required."""

    model_config = ConfigDict(extra="ignore")

    user_id: uuid.UUID  # type: ignore[assignment]
    request_id: Annotated[str, Text(100)]


def _problem(exc: AppError) -> BadMessage:
    return BadMessage(f"{exc.code}: {exc.message}")


def _check_user(session: Session, user_id: uuid.UUID) -> None:
    if session.get(User, user_id) is None:
        raise BadMessage(f"unknown user_id {user_id}")


def owned_audio_key(user_id: uuid.UUID, key: str) -> str:
    """`key` if it names a blob under `audio/<user_id>/`; BadMessage otherwise."""
    try:
        check_key(key)
    except InvalidBlobKey:
        raise BadMessage(f"s3_key {key!r} is not a valid blob key") from None
    if not key.startswith(f"audio/{user_id}/") or key.endswith("/"):
        raise BadMessage(f"s3_key {key!r} is not audio of user {user_id} (audio/{user_id}/...)")
    return key


def _read_audio(blobs: BlobStore, settings: Settings, key: str) -> bytes:
    data = blobs.get(key)
    limit = settings.upload_max_bytes
    if len(data) > limit:
        raise BadMessage(f"the audio is larger than the {limit // (1024 * 1024)} MB upload limit")
    return data


def transcription_requested(blobs: BlobStore, settings: Settings) -> Handler:
    """The `audio.transcription.requested` handler."""

    def handle(sessions: sessionmaker[Session], value: bytes) -> None:
        req = validated(TranscriptionRequested, parse_json(value))
        key = owned_audio_key(req.user_id, req.s3_key)
        try:
            with sessions.begin() as session:
                _check_user(session, req.user_id)
                if service.find_by_request(session, req.user_id, req.request_id) is not None:
                    log.info("transcription request %s was done before", req.request_id)
                    return
                row = service.submit(
                    session, blobs, settings, user_id=req.user_id,
                    filename=req.filename or posixpath.basename(key),
                    data=_read_audio(blobs, settings, key), language_code=req.language_code,
                    add_to_library=req.add_to_library, request_id=req.request_id,
                )  # fmt: skip
                job_id = row.job_id
        except AppError as exc:
            raise _problem(exc) from None
        except IntegrityError:
            # Another delivery of the same request committed first: that transcription is this.
            with sessions() as session:
                if service.find_by_request(session, req.user_id, req.request_id) is None:
                    msg = f"the transcription for {req.request_id!r} cannot be stored"
                    raise BadMessage(msg) from None
            log.info("transcription request %s was recorded concurrently", req.request_id)
            return
        log.info("transcription %s queued for request %s", job_id, req.request_id)

    return handle


def generation_requested(blobs: BlobStore, settings: Settings, ai: AIProviders) -> Handler:
    """The `audio.generation.requested` handler, speaking with `ai.tts`."""

    def handle(sessions: sessionmaker[Session], value: bytes) -> None:
        req = validated(GenerationRequested, parse_json(value))
        if ai.tts is None:
            raise BadMessage("text-to-speech is not configured on this server")
        try:
            with sessions.begin() as session:
                _check_user(session, req.user_id)
                row, cached = synthesis.synthesize(
                    session, blobs, settings, ai.tts, user_id=req.user_id, text=req.text,
                    voice_id=req.voice_id, language_code=req.language_code,
                    fmt=req.output_format, request_id=req.request_id,
                )  # fmt: skip
                audio_id = row.audio_id
        except AppError as exc:
            raise _problem(exc) from None
        log.info("audio %s for request %s (cached: %s)", audio_id, req.request_id, cached)

    return handle


def register(handlers: Handlers, blobs: BlobStore, settings: Settings, ai: AIProviders) -> None:
    """Add the speech service's topics to the Kafka consumer's registry."""
    handlers.add(TRANSCRIPTION_TOPIC, transcription_requested(blobs, settings))
    handlers.add(GENERATION_TOPIC, generation_requested(blobs, settings, ai))
