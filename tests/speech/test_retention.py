"""Audio retention: old recordings and syntheses lose their file, never their row or text."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import httpx
import pytest

from studyforge.config import Settings
from studyforge.db import utcnow
from studyforge.kit.periodic import Periodic
from studyforge.platform import Platform
from studyforge.speech.models import GeneratedAudio, TranscriptionJob, TranscriptionStatus
from studyforge.speech.retention import expire_audio
from studyforge.storage import BlobNotFound
from tests.conftest import UserMaker

pytestmark = pytest.mark.anyio


DONE = TranscriptionStatus.COMPLETED


def recording(
    platform: Platform, user_id: uuid.UUID, age_days: float, status: TranscriptionStatus = DONE
) -> TranscriptionJob:
    """A stored recording `age_days` old with its transcript (as the job leaves it)."""
    row = TranscriptionJob(
        job_id=uuid.uuid4(), user_id=user_id, filename="lecture.wav", media_type="audio/wav",
        size_bytes=4, duration=1.0, status=status, transcript="Cells divide.",
        submitted_at=utcnow() - timedelta(days=age_days),
    )  # fmt: skip
    row.s3_key = f"audio/{user_id}/{row.job_id}.wav"
    platform.blobs.put(row.s3_key, b"RIFF", "audio/wav")
    with platform.sessions() as s:
        s.add(row)
        s.commit()
    return row


async def test_old_recordings_lose_their_audio_and_keep_the_transcript(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
) -> None:
    user_id, headers = make_user()
    old = recording(platform, user_id, 31)
    fresh = recording(platform, user_id, 29)
    busy = recording(platform, user_id, 90, TranscriptionStatus.PROCESSING)
    done = expire_audio(platform.sessions, platform.blobs, platform.settings)
    assert (done.recordings, done.syntheses) == (1, 0)
    with pytest.raises(BlobNotFound):
        platform.blobs.get(old.s3_key)
    assert platform.blobs.get(fresh.s3_key) == b"RIFF"
    assert platform.blobs.get(busy.s3_key) == b"RIFF"  # still being transcribed
    body = (await client.get(f"/transcription/{old.job_id}", headers=headers)).json()
    assert body["transcript"] == "Cells divide." and body["audio_expired_at"] is not None
    kept = (await client.get(f"/transcription/{fresh.job_id}", headers=headers)).json()
    assert kept["audio_expired_at"] is None
    again = expire_audio(platform.sessions, platform.blobs, platform.settings)
    assert (again.recordings, again.syntheses) == (0, 0)  # idempotent


async def test_the_setting_decides_what_is_old(
    make_user: UserMaker, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIO_RETENTION_DAYS", "60")
    monkeypatch.setenv("STUDYFORGE_GENERATED_AUDIO_RETENTION_DAYS", "2")
    settings = Settings(home=platform.settings.home, database_url=platform.settings.database_url)
    assert (settings.audio_retention_days, settings.generated_audio_retention_days) == (60, 2)
    user_id, _ = make_user()
    row = recording(platform, user_id, 31)
    assert expire_audio(platform.sessions, platform.blobs, settings).recordings == 0
    assert platform.blobs.get(row.s3_key) == b"RIFF"
    later = utcnow() + timedelta(days=30)
    assert expire_audio(platform.sessions, platform.blobs, settings, now=later).recordings == 1


async def test_old_synthesis_is_expired_and_made_again_on_request(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
) -> None:
    _, headers = make_user()
    body = {"text": "Water boils at one hundred degrees.", "voice_id": "heart"}
    first = (await client.post("/synthesize", headers=headers, json=body)).json()
    assert (await client.get(first["s3_url"])).status_code == 200
    with platform.sessions() as s:
        row = s.get(GeneratedAudio, uuid.UUID(first["audio_id"]))
        assert row is not None
        row.generated_at = utcnow() - timedelta(days=8)
        s3_key = row.s3_key
        s.commit()
    done = expire_audio(platform.sessions, platform.blobs, platform.settings)
    assert (done.recordings, done.syntheses) == (0, 1)
    with pytest.raises(BlobNotFound):
        platform.blobs.get(s3_key)
    details = (await client.get(f"/audio/{first['audio_id']}", headers=headers)).json()
    assert details["expired_at"] is not None and details["s3_url"] is None
    gone = await client.get(first["s3_url"])  # a link signed before the expiry
    assert gone.status_code == 410 and gone.json()["code"] == "AUDIO_EXPIRED"
    second = (await client.post("/synthesize", headers=headers, json=body)).json()
    assert second["cached"] is False and second["audio_id"] != first["audio_id"]
    assert (await client.get(second["s3_url"])).status_code == 200


def test_periodic_rounds_go_on_after_a_failure() -> None:
    calls: list[int] = []
    enough = threading.Event()

    def round_() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is restarting")
        if len(calls) >= 3:
            enough.set()

    loop = Periodic("test round", 0.01, round_)
    loop.start()
    try:
        assert enough.wait(5), calls
    finally:
        loop.stop()
