"""Text-to-speech endpoints, named as in the specification (`/synthesize`, `/audio/...`,
`/voices`), plus the signed download `/audio/<audio_id>/file`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from studyforge.ai.tts import TTS
from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.config import Settings
from studyforge.db import SessionDep
from studyforge.errors import AppError
from studyforge.kit.ranges import ranged
from studyforge.openapi import BINARY, content, errors
from studyforge.speech import synthesis
from studyforge.speech import tts_schemas as schemas
from studyforge.speech.models import GeneratedAudio

router = APIRouter(tags=["speech"])


class TTSUnavailable(AppError):
    status = 503
    code = "TTS_UNAVAILABLE"


def _tts(request: Request) -> TTS:
    tts: TTS | None = request.app.state.platform.ai.tts
    if tts is None:
        raise TTSUnavailable("text-to-speech is not configured")
    return tts


def _audio(audio_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> GeneratedAudio:
    return synthesis.get(session, audio_id, user.id)


AudioDep = Annotated[GeneratedAudio, Depends(_audio)]
TTSDep = Annotated[TTS, Depends(_tts)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.platform.settings
    return settings


def _url(request: Request, row: GeneratedAudio) -> str:
    return synthesis.download_url(request.app.state.platform.blobs, _settings(request), row)


def _details(request: Request, row: GeneratedAudio) -> schemas.AudioDetails:
    return schemas.AudioDetails(
        audio_id=row.audio_id, text=row.text, voice_id=row.voice_id,
        language_code=row.language_code, format=row.format,
        s3_url=None if row.expired_at else _url(request, row),
        duration=row.duration, generated_at=row.generated_at, expired_at=row.expired_at,
    )  # fmt: skip


@router.post("/synthesize", response_model=schemas.Synthesized)
def synthesize(
    request: Request, body: schemas.SynthesizeRequest, session: SessionDep, user: CurrentUser,
    tts: TTSDep,
) -> schemas.Synthesized:  # fmt: skip
    """Speak `text` with `voice_id`; the same request again answers from the cache
    (`cached: true`, same `audio_id`). 422: empty text (also once markup is removed,
    `INVALID_TEXT`), text over `STUDYFORGE_TTS_MAX_CHARS`, an unknown voice (`UNKNOWN_VOICE`)."""
    return spoken(request, session, user, tts, body)


def spoken(
    request: Request, session: Session, user: Principal, tts: TTS,
    body: schemas.SynthesizeRequest,
) -> schemas.Synthesized:  # fmt: skip
    """The `POST /synthesize` answer for `body` (also what the Listen buttons get)."""
    platform = request.app.state.platform
    row, cached = synthesis.synthesize(
        session, platform.blobs, platform.settings, tts, user_id=user.id, text=body.text,
        voice_id=body.voice_id, language_code=body.language_code, fmt=body.output_format,
    )  # fmt: skip
    return schemas.Synthesized(
        audio_id=row.audio_id, s3_url=_url(request, row),
        duration=row.duration, cached=cached, generated_at=row.generated_at,
    )  # fmt: skip


@router.get("/audio/{audio_id}", response_model=schemas.AudioDetails)
def read_audio(request: Request, row: AudioDep) -> schemas.AudioDetails:
    """The audio's details and a fresh signed download URL."""
    return _details(request, row)


@router.get(
    "/audio/{audio_id}/file",
    response_class=Response,
    responses={
        **content({t: BINARY for _, _, t, _ in synthesis.FORMATS.values()}, "the audio"),
        **errors(
            {
                404: "no such audio, or the link is invalid or expired",
                410: "the audio file was deleted by retention",
            }
        ),
    },
)
def download_audio(
    request: Request, audio_id: uuid.UUID, session: SessionDep,
    expires: Annotated[int, Query(ge=0, le=2**62)], sig: Annotated[str, Query(max_length=128)],
) -> Response:  # fmt: skip
    """The audio file; the signed `s3_url` link is the credential (no token needed)."""
    settings = _settings(request)
    row = session.get(GeneratedAudio, audio_id)
    if row is None or not synthesis.check_signature(settings, audio_id, expires, sig):
        raise synthesis.AudioNotFound("Audio not found, or the link has expired")
    if row.expired_at is not None:
        raise synthesis.AudioExpired("This audio was deleted after its retention period")
    data = request.app.state.platform.blobs.get(row.s3_key)
    return ranged(request, data, synthesis.FORMATS[row.format][2])


@router.get("/voices", response_model=schemas.VoiceList)
def list_voices(
    user: CurrentUser, tts: TTSDep,
    language_code: Annotated[str | None, Query(max_length=10)] = None,
) -> schemas.VoiceList:  # fmt: skip
    """The voices to pass as `voice_id`, optionally of one language (e.g. `en-US`)."""
    found = synthesis.voices(tts, language_code)
    return schemas.VoiceList(voices=[schemas.VoiceOut(**v.__dict__) for v in found])


@router.delete("/audio/{audio_id}", response_model=schemas.AudioDeleted)
def delete_audio(request: Request, row: AudioDep, session: SessionDep) -> schemas.AudioDeleted:
    """Delete the audio and its file."""
    audio_id = row.audio_id
    platform = request.app.state.platform
    synthesis.delete(session, platform.blobs, platform.settings, row)
    return schemas.AudioDeleted(audio_id=audio_id)
