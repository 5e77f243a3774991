"""Blob store: `put(key, data)` / `get(key)` on a local folder (default) or any S3 store."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from studyforge.errors import AppError, NotFound

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,1023}$")


class InvalidBlobKey(AppError):
    """A key that could escape the store (`..`, absolute, odd characters)."""

    code = "INVALID_BLOB_KEY"


class BlobNotFound(NotFound):
    """No blob under that key."""

    code = "BLOB_NOT_FOUND"


def check_key(key: str) -> str:
    """Validate a blob key: relative, no `..` or empty segments, safe characters only."""
    parts = key.split("/")
    if not _KEY_RE.match(key) or any(p in ("", ".", "..") for p in parts):
        raise InvalidBlobKey(f"Invalid blob key {key!r}")
    return key


class BlobStore(Protocol):
    """Where uploads, audio and exports live."""

    name: str

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Store `data` under `key`; returns the key."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`, or BlobNotFound."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        ...

    def ping(self) -> None:
        """Raise unless the store is usable."""
        ...


class LocalBlobStore:
    """Files under one root folder; writes are atomic (temp file + rename)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidBlobKey(f"Invalid blob key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Store `data` under `key` atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        """Read the blob under `key`."""
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(f"No blob {key!r}")
        return path.read_bytes()

    def delete(self, key: str) -> None:
        """Remove the blob under `key` if present."""
        self._path(key).unlink(missing_ok=True)

    def ping(self) -> None:
        """Check the folder is writable."""
        if not os.access(self.root, os.W_OK):
            raise OSError(f"{self.root} is not writable")


class S3BlobStore:
    """Objects in one bucket of an S3-compatible store (AWS, SeaweedFS, MinIO...)."""

    name = "s3"

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Upload `data` under `key`."""
        self.client.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
        )
        return key

    def get(self, key: str) -> bytes:
        """Download the object under `key`."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise BlobNotFound(f"No blob {key!r}") from exc
        body: bytes = response["Body"].read()
        return body

    def delete(self, key: str) -> None:
        """Delete the object under `key`."""
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def ping(self) -> None:
        """Check the bucket answers."""
        self.client.head_bucket(Bucket=self.bucket)

    def presign(self, key: str, seconds: int, content_type: str) -> str:
        """A URL that downloads the object for `seconds`, served as `content_type`."""
        params = {"Bucket": self.bucket, "Key": check_key(key), "ResponseContentType": content_type}
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=seconds
        )
        return url


def s3_origin(endpoint_url: str | None) -> str:
    """The origin presigned URLs point at (a browser page must be allowed to play from it):
    the endpoint's, or any AWS host when none is set."""
    if not endpoint_url:
        return "https://*.amazonaws.com"
    parts = urlsplit(endpoint_url)
    return f"{parts.scheme}://{parts.netloc}"


def make_s3_client(
    endpoint_url: str | None, region: str, key_id: str | None, secret: str | None
) -> Any:
    """A boto3 S3 client with short timeouts and path-style addressing."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",  # presigned URLs too (boto3 would sign those with v2)
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
