"""Chat test helpers: the science PDF and Python's chapter on errors, asking over HTTP, and
reading SSE answers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.quizzes.conftest import errors_pdf, python_errors, science, text_of

__all__ = ["ask", "errors_pdf", "events_of", "flat", "python_errors", "science", "text_of"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def ask(
    client: httpx.AsyncClient, headers: dict[str, str], message: str, **body: Any
) -> dict[str, Any]:
    """POST /chat; asserts 200 and returns the reply."""
    response = await client.post("/chat", headers=headers, json={"message": message, **body})
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def events_of(text: str) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a Server-Sent Events body."""
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def flat(text: str) -> str:
    """Whitespace and typographic quotes normalised, for comparing quotes with the source."""
    return " ".join(text.replace("\u2019", "'").split()).casefold()
