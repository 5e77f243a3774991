"""Speech use cases: submit audio, read, list, delete, and turn a transcript into a document.

Everything that can be known at upload time is checked then, before anything is stored: an
empty file, content that is not one of the audio formats (judged from the bytes, never the
name), audio that cannot be decoded, audio longer than `STUDYFORGE_STT_MAX_SECONDS`, and a
language the offline model does not speak. Transcription itself runs as the job
`speech.transcribe` (`speech/jobs.py`), which announces the outcome (completed or failed) as
`audio.transcription.completed` through the outbox, however the audio was submitted.
"""

from __future__ import annotations

import posixpath
import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from studyforge.config import Settings
from studyforge.db import after_commit
from studyforge.documents import service as documents
from studyforge.documents.models import Document
from studyforge.errors import AppError, Conflict, NotFound
from studyforge.events.service import emit
from studyforge.jobs import enqueue
from studyforge.jobs.service import cancel_subject_job
from studyforge.kit.sandbox import SandboxError, run_limited
from studyforge.speech import audio
from studyforge.speech.models import TranscriptionJob, TranscriptionStatus
from studyforge.storage import BlobStore

SECTION_SECONDS = 60.0  # a library document gets one timestamped section per minute or so
COMPLETED_EVENT = "audio.transcription.completed"


class TranscriptionNotFound(NotFound):
    code = "TRANSCRIPTION_NOT_FOUND"


class AudioUnreadable(AppError):
    status = 422
    code = "AUDIO_UNREADABLE"


class AudioTooLong(AppError):
    status = 422
    code = "AUDIO_TOO_LONG"


class UnsupportedLanguage(AppError):
    status = 422
    code = "UNSUPPORTED_LANGUAGE"


class NotTranscribed(Conflict):
    code = "TRANSCRIPTION_NOT_COMPLETED"


def submit(
    session: Session,
    blobs: BlobStore,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    filename: str,
    data: bytes,
    language_code: str = "en-US",
    add_to_library: bool = False,
    request_id: str | None = None,
) -> TranscriptionJob:
    """Check and store the audio, record the transcription as processing, queue its job."""
    filename = documents.clean_filename(filename)
    if not data:
        raise documents.InvalidUpload("the file is empty", code="EMPTY_FILE")
    kind = audio.sniff(data)
    if kind is None:
        raise documents.UnsupportedType(f"not an audio file; upload {audio.FORMAT_NAMES}")
    if settings.stt_provider == "offline" and language_code.split("-")[0].lower() != "en":
        raise UnsupportedLanguage(
            "the offline speech model transcribes English only; use an en-* language_code "
            "or configure STUDYFORGE_STT_PROVIDER=openai"
        )
    duration = probe_duration(settings, data)
    media_type, extension = audio.FORMATS[kind]
    row = TranscriptionJob(
        job_id=uuid.uuid4(), user_id=user_id, filename=filename, language_code=language_code,
        media_type=media_type, size_bytes=len(data), duration=duration,
        status=TranscriptionStatus.PROCESSING, add_to_library=add_to_library,
        request_id=request_id,
    )  # fmt: skip
    # The key is built from ids only: a hostile filename never reaches the blob store.
    row.s3_key = f"audio/{user_id}/{row.job_id}{extension}"
    session.add(row)
    session.flush()  # first: a refused row (a duplicate request_id) leaves no file behind
    blobs.put(row.s3_key, data, media_type)
    task = enqueue(session, "speech.transcribe", user_id=user_id, transcription_id=str(row.job_id))
    row.task_id = task.id
    return row


def probe_duration(settings: Settings, data: bytes) -> float:
    """The audio's length in seconds, decoded in the sandbox; refuses unreadable or long audio."""
    limit = settings.stt_max_seconds
    try:
        result = run_limited(
            audio.PROBE, data, timeout=settings.extract_timeout_seconds,
            memory_mb=settings.extract_memory_mb, max_seconds=limit,
        )  # fmt: skip
    except SandboxError as exc:
        raise AudioUnreadable(f"could not read the audio: {exc}") from None
    duration = float(result["duration"])
    if duration > limit:
        raise AudioTooLong(
            f"the audio is {duration / 60:.0f} minutes long; the limit is {limit / 60:.0f} minutes"
        )
    return duration


def get(session: Session, job_id: uuid.UUID, user_id: uuid.UUID) -> TranscriptionJob:
    """The caller's transcription, or 404 (also for another user's)."""
    row = session.get(TranscriptionJob, job_id)
    if row is None or row.user_id != user_id:
        raise TranscriptionNotFound("Transcription not found")
    return row


def find_by_request(
    session: Session, user_id: uuid.UUID, request_id: str
) -> TranscriptionJob | None:
    """The user's transcription made for `request_id`, if any."""
    stmt = select(TranscriptionJob).where(
        TranscriptionJob.user_id == user_id, TranscriptionJob.request_id == request_id
    )
    return session.scalar(stmt)


def announce(session: Session, row: TranscriptionJob) -> None:
    """Emit `audio.transcription.completed` for a finished (completed or failed) transcription."""
    payload = {
        "job_id": str(row.job_id), "user_id": str(row.user_id), "request_id": row.request_id,
        "status": row.status.value, "filename": row.filename, "s3_key": row.s3_key,
        "transcript": row.transcript, "confidence": row.confidence, "duration": row.duration,
        "language_code": row.language_code, "language": row.language,
        "status_message": row.status_message, "error": row.error,
        "document_id": str(row.document_id) if row.document_id else None,
        "submitted_at": row.submitted_at.isoformat(),
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
    }  # fmt: skip
    emit(session, COMPLETED_EVENT, payload, stream_id=row.job_id, user_id=row.user_id)


def list_stmt(user_id: uuid.UUID) -> Select[Any]:
    """The caller's transcriptions, newest first."""
    return (
        select(TranscriptionJob)
        .where(TranscriptionJob.user_id == user_id)
        .order_by(TranscriptionJob.submitted_at.desc(), TranscriptionJob.job_id)
    )


def delete(session: Session, blobs: BlobStore, row: TranscriptionJob) -> None:
    """Delete the transcription and (after commit) its audio; a running job is cancelled.
    A library document made from it stays: it is the user's document now."""
    key = row.s3_key
    cancel_subject_job(session, row.task_id)
    session.delete(row)
    after_commit(session, lambda: blobs.delete(key))


def clock(seconds: float) -> str:
    """`83.4` -> `"00:01:23"`."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def transcript_markdown(row: TranscriptionJob) -> str:
    """The transcript as Markdown: one `## hh:mm:ss` section per minute or so, so each
    passage of the document carries the time its speech starts at as its heading."""
    lines = [f"# {row.filename}", ""]
    section_start: float | None = None
    for segment in row.segments or []:
        if section_start is None or segment["start"] - section_start >= SECTION_SECONDS:
            section_start = segment["start"]
            lines += ["", f"## {clock(section_start)}", ""]
        lines.append(segment["text"])
    return "\n".join(lines).strip() + "\n"


def to_document(session: Session, blobs: BlobStore, row: TranscriptionJob) -> Document:
    """The library document of a finished transcript (made once; later calls return it)."""
    if row.status is not TranscriptionStatus.COMPLETED:
        raise NotTranscribed("the transcription has not completed")
    if not row.segments:
        raise NotTranscribed("no speech was found in the audio", code="NO_SPEECH")
    if row.document_id is not None:
        existing = session.get(Document, row.document_id)
        if existing is not None:
            return existing
    stem = posixpath.splitext(row.filename)[0] or "transcript"
    doc = documents.create_document(
        session, blobs, user_id=row.user_id, filename=f"{stem}.md",
        data=transcript_markdown(row).encode(), generate_notes=False,
    )  # fmt: skip
    row.document_id = doc.id
    return doc
