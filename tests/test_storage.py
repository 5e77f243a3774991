"""Blob store: local folder and a real S3 server behave the same; keys cannot escape."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from studyforge.storage import (
    BlobNotFound,
    BlobStore,
    InvalidBlobKey,
    LocalBlobStore,
    S3BlobStore,
    make_s3_client,
)

BAD_KEYS = [
    "../etc/passwd",
    "a/../../b",
    "/abs/path",
    "a//b",
    "a/./b",
    "",
    ".hidden",
    "a\\..\\b",
    "a\x00b",
]


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    s3: Any = request.getfixturevalue("s3")
    client = make_s3_client(s3.endpoint_url, "us-east-1", s3.access_key, s3.secret_key)
    bucket = f"test-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    return S3BlobStore(client, bucket)


def test_round_trip_and_delete(store: BlobStore):
    key = "uploads/u1/notes.pdf"
    assert store.put(key, b"%PDF-1.7 data", "application/pdf") == key
    assert store.get(key) == b"%PDF-1.7 data"
    store.put(key, b"replaced")
    assert store.get(key) == b"replaced"
    store.delete(key)
    with pytest.raises(BlobNotFound):
        store.get(key)
    store.ping()


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_cannot_escape(store: BlobStore, key: str):
    with pytest.raises(InvalidBlobKey):
        store.put(key, b"x")
    with pytest.raises(InvalidBlobKey):
        store.get(key)


def test_local_store_writes_only_inside_root(tmp_path: Path):
    store = LocalBlobStore(tmp_path / "root")
    store.put("a/b/c.txt", b"hello")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [tmp_path / "root" / "a" / "b" / "c.txt"]


def test_settings_choose_s3_and_create_the_bucket(tmp_path: Path, s3: Any):
    from studyforge.platform import make_blobs
    from tests.conftest import make_settings

    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'x.db'}",
        s3_bucket=f"sf-{uuid.uuid4().hex[:8]}",
        s3_endpoint_url=s3.endpoint_url,
        s3_access_key_id=s3.access_key,
        s3_secret_access_key=s3.secret_key,
    )
    store = make_blobs(settings)
    assert store.name == "s3"
    store.put("exports/course.json", b"{}")
    assert make_blobs(settings).get("exports/course.json") == b"{}"
    assert not (tmp_path / "blobs").exists()
