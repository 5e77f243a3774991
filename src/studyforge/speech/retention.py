"""Audio retention: recordings and syntheses older than their setting lose their audio file.

`AUDIO_RETENTION_DAYS` (default 30) applies to uploaded recordings, and
`STUDYFORGE_GENERATED_AUDIO_RETENTION_DAYS` (default 7) to synthesised audio. A round deletes
the file and stamps the row (`audio_expired_at` / `expired_at`); the row, the transcript and
any library document made from it stay, and the API reports the audio as expired. A
transcription still being worked on is never touched. Rounds run in the server (inline jobs)
or the worker, every `STUDYFORGE_RETENTION_INTERVAL_SECONDS`; they are idempotent, so several
processes may run them at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from studyforge.config import Settings
from studyforge.db import utcnow
from studyforge.kit.periodic import Periodic
from studyforge.speech.models import GeneratedAudio, TranscriptionJob, TranscriptionStatus
from studyforge.storage import BlobStore

log = logging.getLogger(__name__)
BATCH = 200  # rows per transaction, so a large backlog never holds one long lock


@dataclass
class Expired:
    """How many audio files one round deleted."""

    recordings: int = 0
    syntheses: int = 0


def expire_audio(
    sessions: sessionmaker[Session], blobs: BlobStore, settings: Settings,
    now: datetime | None = None,
) -> Expired:  # fmt: skip
    """Delete every audio file past its retention; returns the counts."""
    now = now or utcnow()
    done = Expired()
    recordings = now - timedelta(days=settings.audio_retention_days)
    syntheses = now - timedelta(days=settings.generated_audio_retention_days)
    while n := _expire_recordings(sessions, blobs, recordings, now):
        done.recordings += n
    while n := _expire_syntheses(sessions, blobs, syntheses, now):
        done.syntheses += n
    if done.recordings or done.syntheses:
        log.info("retention deleted %d recording(s), %d synthesis file(s)",
                 done.recordings, done.syntheses)  # fmt: skip
    return done


def _expire_recordings(
    sessions: sessionmaker[Session], blobs: BlobStore, before: datetime, now: datetime
) -> int:
    with sessions() as session:
        rows = session.scalars(
            select(TranscriptionJob)
            .where(
                TranscriptionJob.submitted_at < before,
                TranscriptionJob.audio_expired_at.is_(None),
                TranscriptionJob.status != TranscriptionStatus.PROCESSING,
            )
            .limit(BATCH)
        ).all()
        for row in rows:
            blobs.delete(row.s3_key)  # idempotent: a file already gone is fine
            row.audio_expired_at = now
        session.commit()
        return len(rows)


def _expire_syntheses(
    sessions: sessionmaker[Session], blobs: BlobStore, before: datetime, now: datetime
) -> int:
    with sessions() as session:
        rows = session.scalars(
            select(GeneratedAudio)
            .where(GeneratedAudio.generated_at < before, GeneratedAudio.expired_at.is_(None))
            .limit(BATCH)
        ).all()
        for row in rows:
            blobs.delete(row.s3_key)  # idempotent: a file already gone is fine
            row.expired_at = now
        session.commit()
        return len(rows)


def retention_loop(
    sessions: sessionmaker[Session], blobs: BlobStore, settings: Settings
) -> Periodic:
    """The periodic round, not yet started."""
    return Periodic(
        "audio retention", settings.retention_interval_seconds,
        lambda: expire_audio(sessions, blobs, settings),
    )  # fmt: skip
