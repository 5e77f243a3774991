"""A finished transcript becomes a library document whose passages carry their timestamps."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from studyforge.speech.service import clock
from tests.conftest import UserMaker
from tests.documents.conftest import wait_done
from tests.speech.audio import encode
from tests.speech.conftest import submit, transcribed
from tests.support.polling import poll_json

pytestmark = pytest.mark.anyio


def test_clock() -> None:
    assert clock(0) == "00:00:00"
    assert clock(83.9) == "00:01:23"
    assert clock(3 * 3600 + 61) == "03:01:01"


async def test_transcript_becomes_a_searchable_document(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray
) -> None:
    _, headers = make_user()
    body = await transcribed(client, headers, "biology.ogg", encode(clip, "ogg"))
    url = f"/transcription/{body['job_id']}/document"
    response = await client.post(url, headers=headers)
    assert response.status_code == 202, response.text
    doc_id = response.json()["document_id"]
    again = await client.post(url, headers=headers)
    assert again.json()["document_id"] == doc_id  # made once
    doc = await wait_done(client, headers, doc_id)
    assert doc["status"] == "completed" and doc["filename"] == "biology.md"
    assert "00:00:00" in doc["extracted_text"]
    search = {"query": "powerhouse of the cell"}
    results = (await client.post("/api/search", headers=headers, json=search)).json()["results"]
    assert results and results[0]["document_id"] == doc_id
    assert "00:00:00" in (results[0]["heading"] or "")
    read = (await client.get(f"/transcription/{body['job_id']}", headers=headers)).json()
    assert read["document_id"] == doc_id


async def test_add_to_library_on_upload(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray
) -> None:
    _, headers = make_user()
    body = await transcribed(client, headers, "b.mp3", encode(clip, "mp3"), add_to_library=True)
    assert body["status"] == "completed" and body["document_id"] is not None
    doc = await wait_done(client, headers, body["document_id"])
    assert doc["status"] == "completed" and "powerhouse" in doc["extracted_text"]


async def test_document_of_an_unfinished_transcription_is_409(
    client: httpx.AsyncClient, make_user: UserMaker, clip: np.ndarray
) -> None:
    _, headers = make_user()
    response = await submit(client, headers, "c.wav", encode(clip, "wav"))
    job_id = response.json()["job_id"]
    early = await client.post(f"/transcription/{job_id}/document", headers=headers)
    assert early.status_code in (202, 409)  # the inline runner may already have finished
    if early.status_code == 409:
        assert early.json()["code"] == "TRANSCRIPTION_NOT_COMPLETED"
    done = await poll_json(client, f"/transcription/{job_id}", headers,
                           lambda b: b["status"] != "processing", 120)  # fmt: skip
    assert done["status"] == "completed"  # and no job outlives the test's database
