"""Quiz test helpers: real documents (the six-topic PDF, Python's tutorial chapter on errors
printed to PDF), quizzes asked for over HTTP, and reading a passage's text back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.documents import pdf_samples, samples
from tests.documents.conftest import ingest
from tests.support.polling import poll_json


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def errors_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Python's tutorial chapter "Errors and Exceptions" (10 pages), printed by Chromium."""
    out = tmp_path_factory.mktemp("errors") / "errors.pdf"
    data = pdf_samples.chromium_pdf(pdf_samples.ERRORS_HTML, out)
    if data is None:
        pytest.skip("needs chromium and python3-doc (scripts/system-deps.sh installs both)")
    return data


async def science(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """The six-topic science PDF (one topic a page), processed."""
    doc = await ingest(client, headers, "science.pdf", samples.text_pdf(), path="science/all.pdf")
    assert doc["status"] == "completed", doc
    return doc


async def python_errors(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes
) -> dict[str, Any]:
    """The tutorial chapter on errors, processed."""
    doc = await ingest(client, headers, "errors.pdf", data, path="python/errors.pdf")
    assert doc["status"] == "completed", doc
    return doc


async def make_quiz(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    """POST /quiz/generate and, for a queued quiz, wait until it is READY or FAILED."""
    response = await client.post("/quiz/generate", headers=headers, json=body)
    assert response.status_code in (201, 202), response.text
    quiz = response.json()
    if response.status_code == 202:
        quiz = await poll_json(client, f"/quiz/{quiz['quiz_id']}", headers,
                               lambda b: b["status"] in ("READY", "FAILED"), 120)  # fmt: skip
    return quiz


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], quiz_id: str, answers: dict[str, Any]
) -> httpx.Response:
    """POST /quiz/submit."""
    return await client.post(
        "/quiz/submit", headers=headers, json={"quiz_id": quiz_id, "answers": answers}
    )


def text_of(doc: dict[str, Any]) -> str:
    """The document's extracted text (what citations' spans index)."""
    return str(doc["extracted_text"])


DOCS = Path("/usr/share/doc/python3.11/html")
