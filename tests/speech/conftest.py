"""Helpers for speech tests: one spoken clip per session, upload and wait."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest

from tests.speech.audio import speak
from tests.support.polling import poll_json

SPOKEN = (
    "The mitochondria is the powerhouse of the cell. "
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar."
)


@pytest.fixture(scope="session")
def clip() -> np.ndarray:
    """`SPOKEN`, read aloud by the offline TTS (about six seconds)."""
    return speak(SPOKEN)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, **form: Any
) -> httpx.Response:
    """POST /transcribe with one file and optional form fields."""
    return await client.post(
        "/transcribe", headers=headers, files={"file": (name, data)},
        data={k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()},
    )  # fmt: skip


async def transcribed(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, data: bytes, **form: Any
) -> dict[str, Any]:
    """Submit and wait until the transcription completed or failed."""
    response = await submit(client, headers, name, data, **form)
    assert response.status_code == 202, response.text
    return await poll_json(
        client, f"/transcription/{response.json()['job_id']}", headers,
        lambda b: b.get("status") != "processing", 120,
    )  # fmt: skip
