"""Speech-to-text endpoints, named as in the specification (`/transcribe`, `/transcription/...`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from studyforge.auth.deps import CurrentUser, check_user_id
from studyforge.db import SessionDep
from studyforge.documents.service import FileTooLarge
from studyforge.kit.pagination import PageDep, paginate
from studyforge.kit.ranges import ranged
from studyforge.openapi import BINARY, content, errors
from studyforge.speech import schemas, service
from studyforge.speech.audio import FORMAT_NAMES, FORMATS
from studyforge.speech.models import TranscriptionJob
from studyforge.speech.synthesis import AudioExpired

router = APIRouter(tags=["speech"])


def _transcription(job_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> TranscriptionJob:
    return service.get(session, job_id, user.id)


TranscriptionDep = Annotated[TranscriptionJob, Depends(_transcription)]


@router.post(
    "/transcribe",
    status_code=202,
    response_model=schemas.TranscriptionSubmitted,
    responses=errors(
        {
            403: "`user_id` is not your own id",
            413: "the file is larger than the upload limit",
            415: "not one of the audio formats",
        }
    ),
)
def transcribe(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description=FORMAT_NAMES + " (judged from the content)")],
    user_id: Annotated[str | None, Form()] = None,
    language_code: Annotated[
        str, Form(max_length=10, pattern=schemas.LANGUAGE_CODE, description="e.g. en-US")
    ] = "en-US",
    add_to_library: Annotated[
        bool, Form(description="once transcribed, add the transcript to your documents")
    ] = False,
) -> TranscriptionJob:
    """Store an audio file and start transcribing it; poll `GET /transcription/<job_id>`.

    Refused at once (422, nothing stored): an empty file (`EMPTY_FILE`), audio that cannot be
    decoded (`AUDIO_UNREADABLE`), audio longer than the configured maximum (`AUDIO_TOO_LONG`),
    a language the offline model does not transcribe (`UNSUPPORTED_LANGUAGE`).
    """
    check_user_id(user_id, user.id)
    platform = request.app.state.platform
    limit = platform.settings.upload_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"the file is larger than the {limit // (1024 * 1024)} MB limit")
    return service.submit(
        session, platform.blobs, platform.settings, user_id=user.id,
        filename=file.filename or "audio", data=data, language_code=language_code,
        add_to_library=add_to_library,
    )  # fmt: skip


@router.get("/transcription/{job_id}", response_model=schemas.Transcription)
def read_transcription(row: TranscriptionDep) -> TranscriptionJob:
    """Status and, once completed, the transcript with its timed segments.

    A clip without speech completes with an empty `transcript`, no segments and a
    `status_message` saying so; a failed one has `status: failed` and an `error`.
    """
    return row


@router.get(
    "/transcription/{job_id}/audio",
    response_class=Response,
    responses={
        **content({t: BINARY for t, _ in FORMATS.values()}, "the uploaded recording"),
        **errors({410: "the recording was deleted by retention (the transcript stays)"}),
    },
)
def download_recording(request: Request, row: TranscriptionDep) -> Response:
    """The uploaded recording, for its owner only; byte ranges are served for seeking."""
    if row.audio_expired_at is not None:
        raise AudioExpired("This recording was deleted after its retention period")
    data = request.app.state.platform.blobs.get(row.s3_key)
    return ranged(request, data, row.media_type)


@router.get(
    "/transcriptions",
    response_model=schemas.TranscriptionList,
    responses=errors({403: "`user_id` is not your own id"}),
)
def list_transcriptions(
    session: SessionDep, user: CurrentUser, page: PageDep, user_id: str | None = None
) -> dict[str, object]:
    """The caller's transcriptions, newest first."""
    check_user_id(user_id, user.id)
    result = paginate(session, service.list_stmt(user.id), page)
    result["transcriptions"] = result.pop("items")
    return result


@router.delete("/transcription/{job_id}", response_model=schemas.TranscriptionDeleted)
def delete_transcription(
    request: Request, row: TranscriptionDep, session: SessionDep
) -> schemas.TranscriptionDeleted:
    """Delete the transcription and its audio file (a document made from it stays)."""
    job_id = row.job_id
    service.delete(session, request.app.state.platform.blobs, row)
    return schemas.TranscriptionDeleted(job_id=job_id)


@router.post(
    "/transcription/{job_id}/document",
    status_code=202,
    response_model=schemas.TranscriptDocument,
    responses=errors({409: "not completed yet, or no speech was found"}),
)
def transcript_document(
    request: Request, row: TranscriptionDep, session: SessionDep
) -> schemas.TranscriptDocument:
    """Add the transcript to your documents (Markdown, one `## hh:mm:ss` section a minute),
    processed into passages like any upload; the same document on later calls."""
    doc = service.to_document(session, request.app.state.platform.blobs, row)
    return schemas.TranscriptDocument(job_id=row.job_id, document_id=doc.id)
