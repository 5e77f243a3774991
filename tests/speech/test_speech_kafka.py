"""The speech service over Kafka, against a real broker (Tansu), the test databases and the
offline models: `audio.transcription.requested` -> a transcription and
`audio.transcription.completed`; `audio.generation.requested` -> audio and
`audio.generation.completed`; the same events for HTTP requests; bad messages dead-lettered."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf
from confluent_kafka.admin import AdminClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studyforge.config import Settings
from studyforge.messaging.kafka import ensure_topics
from studyforge.platform import Platform
from studyforge.speech.models import GeneratedAudio, TranscriptionJob
from tests.conftest import UserMaker
from tests.messaging import kafka_helpers as kh
from tests.speech.audio import encode, speak, wer
from tests.speech.conftest import submit

pytestmark = [pytest.mark.anyio, pytest.mark.services]
TRANSCRIBE, GENERATE = "audio.transcription.requested", "audio.generation.requested"
TRANSCRIBED, GENERATED = "audio.transcription.completed", "audio.generation.completed"
SHORT = "The mitochondria is the powerhouse of the cell."  # about three seconds spoken

kafka = pytest.fixture(scope="module")(kh.own_kafka)


@pytest.fixture
def settings(tmp_path: Path, db_url: str, kafka: Any) -> Settings:
    """The test's platform consumes Kafka (its own consumer group) and relays to it."""
    return kh.kafka_settings(tmp_path / "home", db_url, kafka.bootstrap)


@pytest.fixture(scope="module")
def wav() -> bytes:
    return encode(speak(SHORT), "wav")


def _by_request(platform: Platform, user_id: uuid.UUID, request_id: str) -> list[TranscriptionJob]:
    with platform.sessions() as session:
        stmt = select(TranscriptionJob).where(
            TranscriptionJob.user_id == user_id, TranscriptionJob.request_id == request_id
        )
        return list(session.scalars(stmt))


def _count(platform: Platform, model: type[Any], user_id: uuid.UUID) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).where(model.user_id == user_id)) or 0


def _events(bootstrap: str, topic: str, key: str, value: str) -> list[dict[str, Any]]:
    """The events on `topic` whose data has `key: value` (fails if none comes in 90 s).

    The topic is created first: a reader subscribed to a topic that does not exist yet would
    see it only at its next metadata refresh, minutes later."""
    ensure_topics(AdminClient({"bootstrap.servers": bootstrap, "log_level": 0}), {topic})
    found = kh.read_topic(bootstrap, topic, lambda v, _: v.get("data", {}).get(key) == value, 90)
    return [event for event, _, _ in found]


def _put_audio(platform: Platform, user_id: uuid.UUID, data: bytes) -> str:
    key = f"audio/{user_id}/incoming-{uuid.uuid4().hex[:8]}.wav"
    platform.blobs.put(key, data, "audio/wav")
    return key


async def test_transcription_requested_is_transcribed_and_announced_once(
    platform: Platform, make_user: UserMaker, kafka: Any, wav: bytes
) -> None:
    runner = kh.runner_of(platform)
    user_id, _ = make_user()
    key = _put_audio(platform, user_id, wav)
    request_id = f"t-{uuid.uuid4().hex[:10]}"
    message = {"user_id": str(user_id), "request_id": request_id, "s3_key": key,
               "filename": "lecture.wav", "language_code": "en-US"}  # fmt: skip
    first = kh.produce(kafka.bootstrap, TRANSCRIBE, message)
    second = kh.produce(kafka.bootstrap, TRANSCRIBE, message)  # a redelivery
    kh.wait_settled(runner, TRANSCRIBE, *second)
    assert kh.dead_lettered(runner, TRANSCRIBE, first) is None
    assert kh.dead_lettered(runner, TRANSCRIBE, second) is None, "a repeat is done, not bad"
    [row] = _by_request(platform, user_id, request_id)
    # Its own copy of the audio, named by ids like an upload's.
    assert row.s3_key == f"audio/{user_id}/{row.job_id}.wav" and row.s3_key != key
    assert platform.blobs.get(row.s3_key) == wav and row.filename == "lecture.wav"

    [event] = _events(kafka.bootstrap, TRANSCRIBED, "request_id", request_id)
    assert event["type"] == TRANSCRIBED and event["stream_id"] == str(row.job_id)
    data = event["data"]
    assert data["job_id"] == str(row.job_id) and data["user_id"] == str(user_id)
    assert data["status"] == "completed" and data["error"] is None
    assert wer(SHORT, data["transcript"]) < 0.2, data["transcript"]
    assert data["duration"] == pytest.approx(len(speak(SHORT)) / 24_000, abs=0.2)
    assert 0 < data["confidence"] <= 1 and data["completed_at"] is not None
    [done] = _by_request(platform, user_id, request_id)
    assert done.transcript == data["transcript"]


async def test_an_http_transcription_is_announced_and_a_failure_too(
    platform: Platform, client: httpx.AsyncClient, make_user: UserMaker, kafka: Any, wav: bytes
) -> None:
    _, headers = make_user()
    response = await submit(client, headers, "talk.wav", wav)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    [event] = _events(kafka.bootstrap, TRANSCRIBED, "job_id", job_id)
    assert event["data"]["status"] == "completed" and event["data"]["request_id"] is None
    assert wer(SHORT, event["data"]["transcript"]) < 0.2

    platform.settings.stt_timeout_seconds = 1e-6
    response = await submit(client, headers, "slow.wav", wav)
    failed_id = response.json()["job_id"]
    [event] = _events(kafka.bootstrap, TRANSCRIBED, "job_id", failed_id)
    data = event["data"]
    assert data["status"] == "failed" and data["transcript"] is None
    assert data["error"].startswith("transcribing the audio took longer than")


async def test_generation_requested_is_spoken_announced_and_cached(
    platform: Platform, make_user: UserMaker, kafka: Any
) -> None:
    runner = kh.runner_of(platform)
    user_id, _ = make_user()
    first_id, again_id = f"g-{uuid.uuid4().hex[:10]}", f"h-{uuid.uuid4().hex[:10]}"
    body = {"user_id": str(user_id), "text": SHORT, "voice_id": "Joanna",
            "language_code": "en-US", "output_format": "ogg"}  # fmt: skip
    kh.produce(kafka.bootstrap, GENERATE, {**body, "request_id": first_id})
    last = kh.produce(kafka.bootstrap, GENERATE, {**body, "request_id": again_id})
    kh.wait_settled(runner, GENERATE, *last)

    [event] = _events(kafka.bootstrap, GENERATED, "request_id", first_id)
    data = event["data"]
    assert event["type"] == GENERATED and data["user_id"] == str(user_id)
    assert data["cached"] is False and data["voice_id"] == "Joanna"
    assert data["output_format"] == "ogg" and data["status"] == "completed"
    with platform.sessions() as session:
        row = session.get_one(GeneratedAudio, uuid.UUID(data["audio_id"]))
        assert row.user_id == user_id and row.text == SHORT and row.format == "ogg"
        assert data["s3_key"] == row.s3_key and data["duration"] == row.duration
    samples, rate = sf.read(io.BytesIO(platform.blobs.get(row.s3_key)), dtype="float32")
    assert rate == 24_000 and abs(len(samples) / rate - data["duration"]) < 0.2

    [repeat] = _events(kafka.bootstrap, GENERATED, "request_id", again_id)
    assert repeat["data"]["cached"] is True and repeat["data"]["audio_id"] == data["audio_id"]
    assert _count(platform, GeneratedAudio, user_id) == 1, "the repeat synthesised nothing"


async def test_an_http_synthesis_is_announced(
    client: httpx.AsyncClient, make_user: UserMaker, kafka: Any
) -> None:
    _, headers = make_user()
    body = {"text": SHORT, "voice_id": "Matthew", "output_format": "wav"}
    response = await client.post("/synthesize", headers=headers, json=body)
    assert response.status_code == 200, response.text
    audio_id = response.json()["audio_id"]
    [event] = _events(kafka.bootstrap, GENERATED, "audio_id", audio_id)
    assert event["data"]["request_id"] is None and event["data"]["voice_id"] == "Matthew"
    assert event["data"]["cached"] is False and event["data"]["output_format"] == "wav"


async def test_bad_messages_are_dead_lettered_and_create_nothing(
    platform: Platform, make_user: UserMaker, kafka: Any, wav: bytes
) -> None:
    runner = kh.runner_of(platform)
    user_id, _ = make_user()
    other_id, _ = make_user()
    theirs = _put_audio(platform, other_id, wav)
    mine = _put_audio(platform, user_id, wav)
    tag = uuid.uuid4().hex[:10]
    me, nobody = str(user_id), uuid.uuid4()

    def transcribe(**fields: Any) -> tuple[int, int]:
        return kh.produce(kafka.bootstrap, TRANSCRIBE, {"user_id": me, "request_id": f"t-{tag}",
                                                     "s3_key": mine, **fields})  # fmt: skip

    def generate(**fields: Any) -> tuple[int, int]:
        return kh.produce(kafka.bootstrap, GENERATE, {"user_id": me, "request_id": f"g-{tag}",
                                                   "text": SHORT, **fields})  # fmt: skip

    bad_t = {
        "json": kh.produce(kafka.bootstrap, TRANSCRIBE, f"{{not json {tag}".encode()),
        "no key": kh.produce(kafka.bootstrap, TRANSCRIBE, {"user_id": me, "request_id": "x"}),
        "theirs": transcribe(s3_key=theirs),
        "escape": transcribe(s3_key=f"audio/{user_id}/../{other_id}/x.wav"),
        "document": transcribe(s3_key=f"documents/{user_id}/notes.pdf"),
        "url": transcribe(s3_key="https://example.com/audio.wav"),
        "missing": transcribe(s3_key=f"audio/{user_id}/nothing-here.wav"),
        "user": transcribe(user_id=str(nobody), s3_key=f"audio/{nobody}/a.wav"),
        "language": transcribe(language_code="fr-FR"),
    }
    bad_g = {
        "json": kh.produce(kafka.bootstrap, GENERATE, b"[1, 2"),
        "no text": kh.produce(kafka.bootstrap, GENERATE, {"user_id": me, "request_id": "y"}),
        "voice": generate(voice_id="Nobody"),
        "format": generate(output_format="aiff"),
        "markup only": generate(text="<speak></speak>"),
        "user": generate(user_id="not-a-uuid"),
    }
    good_t = transcribe(request_id=f"ok-{tag}")
    good_g = generate(request_id=f"ok-{tag}")
    kh.wait_settled(runner, TRANSCRIBE, *good_t)
    kh.wait_settled(runner, GENERATE, *good_g)

    t = {name: str(kh.dead_lettered(runner, TRANSCRIBE, at)) for name, at in bad_t.items()}
    g = {name: str(kh.dead_lettered(runner, GENERATE, at)) for name, at in bad_g.items()}
    assert "malformed JSON" in t["json"] and "s3_key" in t["no key"]
    assert f"is not audio of user {user_id}" in t["theirs"]
    assert "not a valid blob key" in t["escape"] and "not audio of user" in t["document"]
    assert "not a valid blob key" in t["url"] and "BLOB_NOT_FOUND" in t["missing"]
    assert "unknown user_id" in t["user"] and "UNSUPPORTED_LANGUAGE" in t["language"]
    assert "malformed JSON" in g["json"] and "text" in g["no text"]
    assert "UNKNOWN_VOICE" in g["voice"] and "output_format" in g["format"]
    assert "INVALID_TEXT" in g["markup only"] and "user_id" in g["user"]

    # Nothing was made for the bad ones; the good ones behind them were processed.
    [row] = _by_request(platform, user_id, f"ok-{tag}")
    assert not _by_request(platform, user_id, f"t-{tag}")
    assert _count(platform, TranscriptionJob, other_id) == 0
    assert _count(platform, GeneratedAudio, user_id) == 1
    [event] = _events(kafka.bootstrap, GENERATED, "request_id", f"ok-{tag}")
    assert event["data"]["user_id"] == me
    [event] = _events(kafka.bootstrap, TRANSCRIBED, "job_id", str(row.job_id))
    assert event["data"]["request_id"] == f"ok-{tag}" and event["data"]["status"] == "completed"


async def test_a_concurrent_duplicate_transcription_is_done_and_leaves_no_file(
    platform: Platform, make_user: UserMaker, kafka: Any, wav: bytes
) -> None:
    """Another delivery commits its transcription after this one looked for the request_id
    and before this one's INSERT: the unique index refuses the second, which is then done."""
    runner = kh.runner_of(platform)
    user_id, _ = make_user()
    key = _put_audio(platform, user_id, wav)
    request_id = f"c-{uuid.uuid4().hex[:10]}"
    raced = uuid.uuid4()

    def rival(other: Session) -> None:
        other.add(TranscriptionJob(job_id=raced, user_id=user_id, filename="a.wav", s3_key=key,
                                   media_type="audio/wav", size_bytes=1,
                                   request_id=request_id))  # fmt: skip

    message = {"user_id": str(user_id), "request_id": request_id, "s3_key": key}
    with kh.racing_insert(platform, "transcription_jobs", rival) as staged:
        where = kh.produce(kafka.bootstrap, TRANSCRIBE, message)
        kh.wait_settled(runner, TRANSCRIBE, *where)
    assert staged, "the race was staged"
    assert kh.dead_lettered(runner, TRANSCRIBE, where) is None
    assert [row.job_id for row in _by_request(platform, user_id, request_id)] == [raced]
    folder = platform.settings.home / "blobs" / "audio" / str(user_id)
    assert sorted(p.name for p in folder.iterdir()) == [key.rsplit("/", 1)[1]]
