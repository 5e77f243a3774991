"""Deleting a course or a document while its job runs: the job stops and ends CANCELLED.

Before, course jobs ended FAILED with "(sqlite3.IntegrityError) FOREIGN KEY constraint failed
[SQL: INSERT INTO lessons ...]" (or "No row was found when one was required"), and document jobs
embedded everything after the delete and then failed the same way; that text was served by
`GET /api/jobs/{id}`. The LLM here is the OpenAI-compatible adapter with only its network edge
replaced, held at the lesson call until the course has been deleted.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.documents.models import Passage
from tests.courses.conftest import with_sources
from tests.courses.test_courses_llm import answer
from tests.documents import samples
from tests.documents.conftest import upload
from tests.support.polling import poll_json

pytestmark = pytest.mark.anyio
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def _job_done(body: dict) -> bool:
    return body.get("status") in FINAL


def _held_llm(platform, reached: threading.Event, release: threading.Event) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        if prompt.startswith("Write lesson"):
            reached.set()
            release.wait(30)
        return answer(request)

    platform.ai.llm = OpenAICompatLLM(
        api_key="k", base_url="http://llm.invalid/v1", model="m", timeout=40, max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )  # fmt: skip


async def test_a_course_deleted_mid_generation_ends_cancelled(client, make_user, platform):
    _, headers = make_user()
    await with_sources(client, headers)
    reached, release = threading.Event(), threading.Event()
    _held_llm(platform, reached, release)
    body = {"topic": "Volcanoes and the immune system", "num_lessons": 2}
    queued = (await client.post("/api/courses", headers=headers, json=body)).json()
    assert await asyncio.to_thread(reached.wait, 30)  # the job is writing its lessons
    deleted = await client.delete(f"/api/courses/{queued['course_id']}", headers=headers)
    assert deleted.status_code == 204
    release.set()
    job = await poll_json(client, f"/api/jobs/{queued['job_id']}", headers, _job_done, 60)
    assert job["status"] == "CANCELLED", job
    assert job["error"] == "Cancelled"


async def test_a_document_deleted_while_processing_ends_cancelled(client, make_user, platform):
    _, headers = make_user()
    response = await upload(client, headers, "long.pdf", samples.text_pdf(repeat=12))
    doc = response.json()

    def running(body: dict) -> bool:
        return body.get("status") in ("RUNNING", *FINAL)

    job_url = f"/api/jobs/{doc['job_id']}"
    await poll_json(client, job_url, headers, running, 30)
    assert (await client.delete(f"/document/{doc['document_id']}", headers=headers)).is_success
    job = await poll_json(client, job_url, headers, _job_done, 60)
    assert job["status"] == "CANCELLED", job
    assert "sqlite3" not in (job["error"] or "") and "INSERT" not in (job["error"] or "")
    with platform.sessions() as session:
        left = session.scalar(
            select(func.count())
            .select_from(Passage)
            .where(Passage.document_id == uuid.UUID(doc["document_id"]))
        )
    assert left == 0


async def test_an_unexpected_failure_keeps_its_details_out_of_the_job_row(
    client, make_user, platform
):
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("(psycopg.errors.Secret) SELECT password FROM users")

    _, headers = make_user()
    await with_sources(client, headers)
    platform.ai.llm = OpenAICompatLLM(
        api_key="k", base_url="http://llm.invalid/v1", model="m", timeout=5, max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(broken)),
    )  # fmt: skip
    body = {"topic": "Volcanoes and the immune system", "num_lessons": 2}
    queued = (await client.post("/api/courses", headers=headers, json=body)).json()
    job = await poll_json(client, f"/api/jobs/{queued['job_id']}", headers, _job_done, 60)
    assert job["status"] == "FAILED"
    assert "SELECT" not in job["error"] and "psycopg" not in job["error"]
    course = (await client.get(f"/api/courses/{queued['course_id']}", headers=headers)).json()
    assert "SELECT" not in course["error_message"]
