"""End to end on the real offline model: upload spoken audio, poll, read the transcript."""

from __future__ import annotations

import time
import uuid

import httpx
import numpy as np
import pytest

from studyforge.platform import Platform
from studyforge.speech.models import TranscriptionJob
from studyforge.storage import BlobNotFound
from tests.conftest import UserMaker
from tests.speech.audio import encode, silence, wer
from tests.speech.conftest import SPOKEN, submit, transcribed

pytestmark = pytest.mark.anyio
MAX_WER = 0.15


def check_transcript(body: dict, seconds: float) -> None:
    assert body["status"] == "completed", body
    assert wer(SPOKEN, body["transcript"]) < MAX_WER, body["transcript"]
    assert 0 < body["confidence"] <= 1
    assert body["duration"] == pytest.approx(seconds, abs=0.2)  # AAC pads by a frame or two
    assert body["language"] == "en"
    segments = body["segments"]
    assert segments and all(s["text"] for s in segments)
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert all(0 <= s["start"] <= s["end"] <= body["duration"] + 0.5 for s in segments)
    assert body["completed_at"] is not None and body["error"] is None


async def test_wav_is_transcribed_with_timed_segments(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, platform: Platform
) -> None:
    user_id, headers = make_user()
    data = encode(clip, "wav")
    started = time.monotonic()
    response = await submit(client, headers, "lecture.wav", data, user_id=str(user_id))
    assert response.status_code == 202, response.text
    head = response.json()
    assert head["status"] == "processing" and head["filename"] == "lecture.wav"
    assert head["s3_key"] == f"audio/{user_id}/{head['job_id']}.wav"
    assert platform.blobs.get(head["s3_key"]) == data
    body = await transcribed(client, headers, "again.wav", data)
    elapsed = time.monotonic() - started
    seconds = len(clip) / 24_000
    check_transcript(body, seconds)
    print(f"WER {wer(SPOKEN, body['transcript']):.3f}, {elapsed:.1f} s for two "
          f"{seconds:.1f} s clips (RTF {elapsed / (2 * seconds):.2f} incl. polling)")  # fmt: skip
    listed = (await client.get("/transcriptions", headers=headers)).json()
    assert listed["total"] == 2 and {t["job_id"] for t in listed["transcriptions"]} >= {
        head["job_id"],
        body["job_id"],
    }


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3", "m4a", "webm", "amr"])
async def test_each_format_is_detected_from_content(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, fmt: str
) -> None:
    """Named `.bin`: only the bytes tell what the file is. (AMR is narrow-band 8 kHz.)"""
    _, headers = make_user()
    body = await transcribed(client, headers, "recording.bin", encode(clip, fmt))
    check_transcript(body, len(clip) / 24_000)


async def test_silence_completes_with_an_empty_transcript(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    _, headers = make_user()
    body = await transcribed(client, headers, "quiet.flac", encode(silence(), "flac"))
    assert body["status"] == "completed"
    assert body["transcript"] == "" and body["segments"] == []
    assert body["status_message"] == "No speech was found in the audio."
    response = await client.post(f"/transcription/{body['job_id']}/document", headers=headers)
    assert response.status_code == 409 and response.json()["code"] == "NO_SPEECH"


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("notes.mp3", b"These are my notes, renamed to look like audio.\n" * 20, 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ("empty.wav", b"", 422, "EMPTY_FILE"),
    ],
)  # fmt: skip
async def test_not_audio_is_refused_at_upload(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform,
    name: str, data: bytes, status: int, code: str,
) -> None:  # fmt: skip
    _, headers = make_user()
    response = await submit(client, headers, name, data)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and response.json()["error"]
    assert (await client.get("/transcriptions", headers=headers)).json()["total"] == 0


@pytest.mark.parametrize("keep", [40, 300])
async def test_truncated_mp3_is_refused_with_a_clear_error(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, keep: int
) -> None:
    _, headers = make_user()
    response = await submit(client, headers, "cut.mp3", encode(clip, "mp3")[:keep])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "AUDIO_UNREADABLE"
    assert "corrupt" in body["error"] and "Error" not in body["error"]


async def test_too_long_audio_is_refused(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
) -> None:
    platform.settings.stt_max_seconds = 1.0
    _, headers = make_user()
    response = await submit(client, headers, "long.ogg", encode(silence(3.0), "ogg"))
    assert response.status_code == 422 and response.json()["code"] == "AUDIO_TOO_LONG"
    assert "limit" in response.json()["error"]


@pytest.mark.parametrize(
    ("form", "status"),
    [({"language_code": "english please"}, 422), ({"language_code": "fr-FR"}, 422),
     ({"user_id": "9" * 5000}, 403)],
)  # fmt: skip
async def test_bad_form_fields_are_4xx_in_the_shared_shape(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, form: dict, status: int
) -> None:
    _, headers = make_user()
    response = await submit(client, headers, "a.wav", encode(clip[:24_000], "wav"), **form)
    assert response.status_code == status, response.text
    assert set(response.json()) >= {"error", "code", "timestamp"}


async def test_missing_file_is_422(client: httpx.AsyncClient, make_user: UserMaker) -> None:
    _, headers = make_user()
    response = await client.post("/transcribe", headers=headers, data={"language_code": "en"})
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


async def test_owner_only_and_delete_removes_the_audio(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, platform: Platform
) -> None:
    _, alice = make_user()
    _, bob = make_user()
    body = await transcribed(client, alice, "talk.wav", encode(clip, "wav"))
    url = f"/transcription/{body['job_id']}"
    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    assert (await client.post(url + "/document", headers=bob)).status_code == 404
    assert (await client.get("/transcriptions", headers=bob)).json()["transcriptions"] == []
    assert (await client.get("/transcriptions", headers=alice)).json()["total"] == 1
    with platform.sessions() as s:
        s3_key = s.get(TranscriptionJob, uuid.UUID(body["job_id"])).s3_key
    assert platform.blobs.get(s3_key)
    response = await client.delete(url, headers=alice)
    assert response.status_code == 200
    assert response.json() == {
        "message": "Transcription deleted successfully",
        "job_id": body["job_id"],
    }
    with pytest.raises(BlobNotFound):
        platform.blobs.get(s3_key)
    assert (await client.get(url, headers=alice)).status_code == 404


async def test_a_transcription_past_its_time_limit_fails_with_a_clear_error(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, platform: Platform
) -> None:
    platform.settings.stt_timeout_seconds = 1e-6
    _, headers = make_user()
    body = await transcribed(client, headers, "slow.wav", encode(clip, "wav"))
    assert body["status"] == "failed" and body["transcript"] is None
    assert body["error"].startswith("transcribing the audio took longer than")
    assert "try another file or a shorter recording" in body["error"]
    assert "Traceback" not in body["error"]
