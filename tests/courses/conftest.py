"""Course test helpers: a user with source documents, and waiting for a course to finish."""

from __future__ import annotations

from typing import Any

import httpx

from tests.documents import samples
from tests.documents.conftest import ingest
from tests.support.polling import poll_json

FINAL = ("READY", "FAILED")


async def with_sources(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Upload the six-topic science PDF under `science/`."""
    doc = await ingest(client, headers, "science.pdf", samples.text_pdf(), path="science/all.pdf")
    assert doc["status"] == "completed", doc
    return doc


async def wait_course(
    client: httpx.AsyncClient, headers: dict[str, str], course_id: str, timeout: float = 120
) -> dict[str, Any]:
    """Poll GET /api/courses/<id> until READY or FAILED."""
    return await poll_json(
        client, f"/api/courses/{course_id}", headers, lambda b: b.get("status") in FINAL, timeout
    )
