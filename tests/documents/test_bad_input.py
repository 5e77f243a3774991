"""Careless and hostile uploads: clear errors in the shared shape, nothing else disturbed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.documents import samples
from tests.documents.conftest import upload, wait_done

pytestmark = pytest.mark.anyio


def assert_error(response, status: int, code: str) -> None:
    """The response is the shared error shape with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["error"] and body["timestamp"], body


async def test_rejected_uploads(client, make_user, platform):
    _, headers = make_user()
    assert_error(await upload(client, headers, "empty.txt", b""), 422, "EMPTY_FILE")
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    assert_error(await upload(client, headers, "tool.pdf", elf), 415, "UNSUPPORTED_MEDIA_TYPE")
    zipped = samples.zip_bomb_docx(1)[:0] + b"PK\x03\x04" + b"\x00" * 100
    assert_error(await upload(client, headers, "a.zip", zipped), 415, "UNSUPPORTED_MEDIA_TYPE")
    for bad_path in ("../../etc/passwd", "a/../../b"):
        response = await upload(client, headers, "a.txt", b"hello", path=bad_path)
        assert_error(response, 422, "INVALID_PATH")
    for bad_path in ("x\x00y", "a" * 600):  # refused by the form's schema, as its OpenAPI says
        response = await upload(client, headers, "a.txt", b"hello", path=bad_path)
        assert_error(response, 422, "VALIDATION_ERROR")
        assert response.json()["details"][0]["loc"] == ["body", "path"]
    other = "00000000-0000-0000-0000-000000000001"
    assert_error(await upload(client, headers, "a.txt", b"hi", user_id=other), 403, "USER_MISMATCH")
    no_file = await client.post("/upload", headers=headers, data={"path": "x"})
    assert_error(no_file, 422, "VALIDATION_ERROR")
    platform.settings.upload_max_bytes = 2000
    assert_error(await upload(client, headers, "big.txt", b"a " * 1500), 413, "FILE_TOO_LARGE")
    too_big_body = b"a" * (platform.settings.max_body_bytes + 10)
    assert_error(await upload(client, headers, "huge.txt", too_big_body), 413, "PAYLOAD_TOO_LARGE")
    listing = await client.get("/documents", headers=headers)
    assert listing.json()["total"] == 0  # none of these left a row behind
    assert_error(
        await client.get("/documents", headers=headers, params={"user_id": other}),
        403,
        "USER_MISMATCH",
    )


async def test_hostile_filename_stays_inside_the_blob_store(client, make_user, platform, settings):
    user_id, headers = make_user()
    name = "../../../../etc/cron.d/evil.txt"
    response = await upload(client, headers, name, b"harmless text", path="/notes//week1/./a.txt")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["filename"] == "evil.txt"
    assert body["path"] == "notes/week1/a.txt"
    assert body["s3_key"] == f"documents/{user_id}/{body['document_id']}.txt"
    stored = Path(settings.home / "blobs" / body["s3_key"]).resolve()
    assert stored.is_relative_to((settings.home / "blobs").resolve()) and stored.exists()
    done = await wait_done(client, headers, body["document_id"])
    assert done["status"] == "completed"


async def test_search_validation(client, make_user):
    _, headers = make_user()
    for body in (
        {"query": ""},
        {"query": "x", "k": 0},
        {"query": "x", "k": 1000},
        {"query": "x", "unknown": 1},
        {"query": "x", "document_ids": ["not-a-uuid"]},
        {"k": 3},
    ):
        response = await client.post("/api/search", headers=headers, json=body)
        assert_error(response, 422, "VALIDATION_ERROR")
    odd = await client.post(
        "/api/search", headers=headers, json={"query": 'NEAR("a" b) * OR -"; DROP TABLE x; --'}
    )
    assert odd.status_code == 200 and odd.json() == {"results": []}
    assert (await client.get("/document/not-a-uuid", headers=headers)).status_code == 422
