"""Helpers for document tests: upload a file and wait until its processing ends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.polling import poll_json


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    data: bytes,
    **form: Any,
) -> httpx.Response:
    """POST /upload with one file and optional form fields."""
    return await client.post(
        "/upload", headers=headers, files={"file": (name, data)},
        data={k: str(v) for k, v in form.items()},
    )  # fmt: skip


async def wait_done(
    client: httpx.AsyncClient, headers: dict[str, str], doc_id: str, timeout: float = 90
) -> dict[str, Any]:
    """Poll GET /document/<id> until it is completed or failed."""
    return await poll_json(
        client, f"/document/{doc_id}", headers, lambda b: b.get("status") != "processing", timeout
    )


async def ingest(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, **form: Any
) -> dict[str, Any]:
    """Upload and wait; asserts the upload was accepted."""
    response = await upload(client, headers, name, data, **form)
    assert response.status_code == 202, response.text
    return await wait_done(client, headers, response.json()["document_id"])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
