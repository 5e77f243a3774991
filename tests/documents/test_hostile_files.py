"""Hostile files (zip bombs, encrypted, corrupt, huge object counts) fail only themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyforge.config import Settings
from tests.conftest import make_settings
from tests.documents import samples
from tests.documents.conftest import ingest, upload, wait_done

pytestmark = pytest.mark.anyio

MB = 1024 * 1024


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Room for the 44 MB many-objects PDF."""
    return make_settings(
        tmp_path / "home", db_url, max_body_bytes=64 * MB, upload_max_bytes=60 * MB
    )


async def test_hostile_files_fail_cleanly_and_disturb_nothing(client, make_user, platform):
    _, headers = make_user()
    good = await ingest(client, headers, "good.pdf", samples.text_pdf())
    assert good["status"] == "completed"

    hostile = {
        "bomb.docx": (samples.zip_bomb_docx(), "zip bomb"),
        "locked.pdf": (samples.encrypted_pdf(), "encrypted"),
        "broken.pdf": (b"%PDF-1.7\n" + b"\x00garbage" * 1000, "corrupt"),
        "cut.docx": (samples.docx_file()[:2000], "corrupt"),
        "objects.pdf": (samples.many_objects_pdf(1_500_000), "no text could be extracted"),
    }
    ids = {}
    for name, (data, _) in hostile.items():
        response = await upload(client, headers, name, data)
        assert response.status_code == 202, (name, response.text)
        ids[name] = response.json()["document_id"]
    fresh = await upload(client, headers, "fresh.txt", b"Tides follow the moon's gravity.")
    for name, (_, reason) in hostile.items():
        doc = await wait_done(client, headers, ids[name])
        assert doc["status"] == "failed", (name, doc)
        assert reason in doc["error"], (name, doc["error"])
        assert doc["processed_at"] is not None
    assert (await wait_done(client, headers, fresh.json()["document_id"]))["status"] == "completed"
    again = (await client.get(f"/document/{good['document_id']}", headers=headers)).json()
    assert again["status"] == "completed" and again["extracted_text"] == good["extracted_text"]


async def test_a_file_that_takes_too_long_is_stopped(client, make_user, platform):
    platform.settings.extract_timeout_seconds = 0.3
    _, headers = make_user()
    response = await upload(client, headers, "slow.pdf", samples.many_objects_pdf(1_500_000))
    doc = await wait_done(client, headers, response.json()["document_id"])
    assert doc["status"] == "failed" and "gave up after 0.3 s" in doc["error"]
