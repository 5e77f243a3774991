"""The transcription job: stored audio -> timed transcript (-> a library document, if asked).

Progress follows the audio position. A file the provider cannot decode, or a transcription
past `STUDYFORGE_STT_TIMEOUT_SECONDS`, fails the job with a message the user can act on; the
runner retries only the provider's transient errors (a busy or unreachable endpoint).
Silence is not an error: the job completes with an empty transcript and a `status_message`.
Either end is announced as `audio.transcription.completed` (`service.announce`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from studyforge.ai.stt import AudioUnreadable, TranscriptionTooSlow
from studyforge.config import Settings
from studyforge.db import utcnow
from studyforge.errors import AppError
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job
from studyforge.speech import service
from studyforge.speech.models import TranscriptionJob, TranscriptionStatus

NO_SPEECH = "No speech was found in the audio."


class TranscriptionFailed(AppError):
    """Becomes the transcription's `error` (the job's message)."""

    status = 422
    code = "TRANSCRIPTION_FAILED"


def mark_failed(session: Session, row: Job) -> None:
    """Job ended FAILED/CANCELLED: its transcription (if this is still its job) is `failed`."""
    tx = session.get(TranscriptionJob, uuid.UUID(str(row.params.get("transcription_id"))))
    if tx is None or tx.task_id != row.id:
        return
    tx.status = TranscriptionStatus.FAILED
    tx.error = row.error or "transcription failed"
    tx.completed_at = utcnow()
    service.announce(session, tx)


@job("speech.transcribe", queue="ai_processing", on_failure=mark_failed)
def transcribe(ctx: JobContext, transcription_id: str) -> dict[str, Any]:
    """Transcribe one stored audio file with the configured provider."""
    settings: Settings = ctx.services.settings
    stt = ctx.services.ai.stt
    row = ctx.session.get(TranscriptionJob, uuid.UUID(transcription_id))
    if row is None or row.task_id != ctx.job_id:
        return {"skipped": "the transcription was deleted"}
    if stt is None:
        raise TranscriptionFailed("speech-to-text is not configured on this server")
    data = ctx.services.blobs.get(row.s3_key)
    total = float(row.duration or 0.0)
    reported = [-1]

    def progress(seconds: float) -> None:
        percent = 5 + int(90 * min(seconds / total, 1.0)) if total > 0 else 50
        if percent > reported[0]:  # one report per percent at most
            reported[0] = percent
            ctx.progress(percent, f"Transcribed {service.clock(seconds)} of "
                         f"{service.clock(total)}", stage="transcribing")  # fmt: skip

    ctx.progress(5, "Transcribing the audio", stage="transcribing")
    language = row.language_code.split("-")[0].lower()
    try:
        result = stt.transcribe(
            data, language=language, timeout=settings.stt_timeout_seconds, progress=progress
        )
    except (AudioUnreadable, TranscriptionTooSlow) as exc:
        raise TranscriptionFailed(f"{exc}; try another file or a shorter recording") from None
    # Writes come last (SQLite: progress reports use other connections).
    row.transcript = result.text
    row.segments = [{"start": s.start, "end": s.end, "text": s.text} for s in result.segments]
    row.language = (result.language or "")[:32] or None  # "en", or a name: "english"
    row.confidence = result.confidence
    if result.duration is not None:
        row.duration = result.duration
    row.status_message = None if result.segments else NO_SPEECH
    row.status = TranscriptionStatus.COMPLETED
    row.error = None
    row.completed_at = utcnow()
    if row.add_to_library and result.segments:
        service.to_document(ctx.session, ctx.services.blobs, row)
    service.announce(ctx.session, row)
    return {"segments": len(result.segments), "duration": row.duration}
