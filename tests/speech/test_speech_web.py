"""The Speech page, the recording download and the Listen endpoints, over HTTP in-process."""

from __future__ import annotations

import uuid

import httpx
import numpy as np
import pytest

from studyforge.courses.models import Course, CourseStatus, Lesson, LessonBody
from studyforge.db import utcnow
from studyforge.documents.models import Document, DocumentStatus
from studyforge.platform import Platform
from studyforge.speech.listen_api import clip as fit_text
from studyforge.speech.listen_api import lesson_text
from studyforge.speech.models import TranscriptionJob
from tests.conftest import UserMaker
from tests.speech.audio import encode
from tests.speech.conftest import transcribed

pytestmark = pytest.mark.anyio
BROWSER = {"Accept": "text/html"}


async def test_the_owner_downloads_the_recording_with_byte_ranges(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray, platform: Platform
) -> None:
    _, alice = make_user()
    _, bob = make_user()
    wav = encode(clip[:24_000], "wav")
    body = await transcribed(client, alice, "talk.wav", wav)
    url = f"/transcription/{body['job_id']}/audio"
    whole = await client.get(url, headers=alice)
    assert whole.status_code == 200 and whole.content == wav
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.headers["accept-ranges"] == "bytes"
    part = await client.get(url, headers={**alice, "Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == wav[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{len(wav)}"
    tail = await client.get(url, headers={**alice, "Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == wav[-4:]
    beyond = await client.get(url, headers={**alice, "Range": f"bytes={len(wav)}-"})
    assert beyond.status_code == 416
    assert (await client.get(url, headers=bob)).status_code == 404
    with platform.sessions.begin() as s:
        row = s.get(TranscriptionJob, uuid.UUID(body["job_id"]))
        assert row is not None
        row.audio_expired_at = utcnow()
    gone = await client.get(url, headers=alice)
    assert gone.status_code == 410 and gone.json()["code"] == "AUDIO_EXPIRED"


async def test_the_speech_pages_list_mine_and_hide_others(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray
) -> None:
    _, alice = make_user()
    _, bob = make_user()
    body = await transcribed(client, alice, "lecture.wav", encode(clip, "wav"))
    token = alice["Authorization"].removeprefix("Bearer ")
    client.cookies.set("studyforge_token", token)
    page = await client.get("/speech", headers=BROWSER)
    assert page.status_code == 200
    assert f'href="/speech/{body["job_id"]}">lecture.wav</a>' in page.text
    assert '<a href="/speech" aria-current="page">Speech</a>' in page.text
    detail = await client.get(f"/speech/{body['job_id']}", headers=BROWSER)
    assert detail.status_code == 200
    assert f'src="/transcription/{body["job_id"]}/audio"' in detail.text
    first = body["segments"][0]
    assert f'data-start="{first["start"]}"' in detail.text and "Add to library" in detail.text
    client.cookies.set("studyforge_token", bob["Authorization"].removeprefix("Bearer "))
    other = await client.get(f"/speech/{body['job_id']}", headers=BROWSER)
    assert other.status_code == 404 and "lecture.wav" not in other.text
    assert "lecture.wav" not in (await client.get("/speech", headers=BROWSER)).text
    malformed = await client.get("/speech/not-an-id", headers=BROWSER)
    assert malformed.status_code == 404


def _lesson() -> Lesson:
    lesson = Lesson(lesson_number=1, title="Cells", description="What cells are", sources=[])
    sections = [
        {"heading": "Membranes", "paragraphs": [
            {"text": "The membrane lets water through", "citations": []},
            {"text": "print('not read aloud')", "kind": "code", "citations": []},
        ]},
    ]  # fmt: skip
    lesson.body = LessonBody(content_md="", content_json={"sections": sections, "summary": "Done."})
    return lesson


def test_the_lesson_text_skips_code_and_is_cut_at_a_sentence() -> None:
    text = lesson_text(_lesson())
    assert text == "Cells. What cells are. Membranes. The membrane lets water through. Done."
    assert fit_text(text, 1000) == (text, False)
    assert fit_text(text, 30) == ("Cells. What cells are.", True)
    assert fit_text("one two three four", 9) == ("one two", True)


async def test_listen_synthesises_a_lesson_once_then_from_the_cache(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
) -> None:
    user_id, alice = make_user()
    _, bob = make_user()
    course = Course(
        user_id=user_id, request_id="r", topic="Cells", title="Cells",
        status=CourseStatus.READY, lessons=[_lesson()],
    )  # fmt: skip
    with platform.sessions.begin() as s:
        s.add(course)
        s.flush()
        course_id = course.id
    url = f"/api/courses/{course_id}/lessons/1/audio"
    first = await client.post(url, headers=alice)
    assert first.status_code == 200, first.text
    assert first.json()["cached"] is False and first.json()["truncated"] is False
    audio = await client.get(first.json()["s3_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    again = (await client.post(url, headers=alice)).json()
    assert again["cached"] is True and again["audio_id"] == first.json()["audio_id"]
    assert (await client.post(url, headers=bob)).status_code == 404
    missing = await client.post(f"/api/courses/{course_id}/lessons/9/audio", headers=alice)
    assert missing.status_code == 404 and "code" in missing.json()


async def test_listen_reads_notes_and_says_when_there_are_none(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
) -> None:
    user_id, alice = make_user()
    notes = {"sections": [{"title": "Cells", "points": [{"text": "Cells divide", "page": 1}]}]}
    docs = [
        Document(
            user_id=user_id, filename=name, path=name, media_type="text/plain", size_bytes=1,
            sha256=name[0] * 64, s3_key=f"k/{name}", status=DocumentStatus.COMPLETED,
            notes_data=data,
        )
        for name, data in (("a.txt", notes), ("b.txt", None))
    ]  # fmt: skip
    with platform.sessions.begin() as s:
        s.add_all(docs)
        s.flush()
        with_notes, without = docs[0].id, docs[1].id
    spoken = await client.post(f"/document/{with_notes}/notes/audio", headers=alice)
    assert spoken.status_code == 200, spoken.text
    assert spoken.json()["duration"] > 0.5
    nothing = await client.post(f"/document/{without}/notes/audio", headers=alice)
    assert nothing.status_code == 409 and nothing.json()["code"] == "NOTHING_TO_READ"
