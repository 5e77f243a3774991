"""Notes through a remote OpenAI-compatible provider (only its HTTP edge is faked)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.jobs.models import Job, JobStatus
from tests.documents.conftest import ingest

pytestmark = pytest.mark.anyio

TEXT = b"Gravity pulls masses together. Tides follow the moon's gravity. " * 5


def use_llm(platform, handler) -> list[httpx.Request]:
    """Swap the platform's LLM for the OpenAI-compatible adapter over a mock transport."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    platform.ai.llm = OpenAICompatLLM(
        api_key="sk-test", base_url="http://llm.invalid/v1", model="test-model", timeout=5,
        max_retries=1, input_cost_per_mtok=2.0, output_cost_per_mtok=8.0, backoff_seconds=0,
        http_client=httpx.Client(transport=httpx.MockTransport(record)),
    )  # fmt: skip
    return seen


def completion(content: str) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "c1", "object": "chat.completion", "created": 0, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 250, "total_tokens": 1250},
    })  # fmt: skip


async def test_llm_notes_are_cited_and_usage_is_recorded(client, make_user, platform):
    answer = {
        "points": [
            {"text": "Tides follow the moon's gravity.", "passage": 0},
            {"text": "A claim citing a passage that does not exist.", "passage": 99},
        ],
        "key_terms": ["gravity", "tides"],
    }
    seen = use_llm(platform, lambda request: completion(json.dumps(answer)))
    _, headers = make_user()
    doc = await ingest(client, headers, "g.txt", TEXT)
    assert doc["status"] == "completed", doc
    data = doc["notes_data"]
    assert data["provider"] == "openai" and data["extractive"] is False
    assert [p["text"] for p in data["points"]] == ["Tides follow the moon's gravity."]
    point = data["points"][0]
    assert point["quoted"] and doc["extracted_text"][point["start"] : point["end"]] == point["text"]
    assert "Extractive" not in doc["notes"]
    sent = json.loads(seen[0].content)
    assert (
        sent["model"] == "test-model" and "Gravity pulls masses" in sent["messages"][1]["content"]
    )
    with platform.sessions() as session:
        job = session.get(Job, uuid.UUID(doc["job_id"]))
        assert job.usage == {"prompt_tokens": 1000, "completion_tokens": 250,
                             "cost_usd": 0.004, "calls": 1}  # fmt: skip


async def test_provider_outage_retries_then_fails_the_document(client, make_user, platform):
    seen = use_llm(platform, lambda request: httpx.Response(503, json={"error": "overloaded"}))
    _, headers = make_user()
    doc = await ingest(client, headers, "g.txt", TEXT)
    assert doc["status"] == "failed"
    assert "503" in doc["error"]
    attempts = platform.settings.job_max_attempts
    assert len(seen) == attempts * 2  # each job attempt: one call plus the adapter's one retry
    with platform.sessions() as session:
        job = session.get(Job, uuid.UUID(doc["job_id"]))
        assert job.status == JobStatus.FAILED and job.attempts == attempts


async def test_invalid_notes_keep_the_document_searchable(client, make_user, platform):
    seen = use_llm(platform, lambda request: completion("Sure! Here are your notes: ..."))
    _, headers = make_user()
    doc = await ingest(client, headers, "g.txt", TEXT)
    assert doc["status"] == "completed" and doc["notes"] is None
    assert doc["notes_data"]["error"].startswith("notes could not be generated")
    assert len(seen) == 2  # the answer and the corrective retry
    hits = await client.post("/api/search", headers=headers, json={"query": "tides moon"})
    assert hits.json()["results"][0]["document_id"] == doc["document_id"]


def test_a_section_of_code_only_does_not_break_the_study_guide():
    from studyforge.documents.prompts import _offline

    passages = [
        {
            "text": "Tides follow the moon. They rise twice a day.",
            "heading": "Tides",
            "kind": "prose",
        },
        {"text": ">>> tide()\n'high'", "heading": "Example", "kind": "prose"},
    ]
    draft = _offline(passages)
    assert [p.passage for p in draft.points] == [0]
