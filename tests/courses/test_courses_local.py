"""A course written with the `local` provider end to end (Qwen2.5-Coder-0.5B, llama.cpp)."""

from __future__ import annotations

import uuid

import pytest

from studyforge.ai.local.gguf import MODELS
from studyforge.ai.local.llm import LocalLLM
from studyforge.jobs.models import Job
from tests.courses.conftest import wait_course, with_sources

pytestmark = pytest.mark.anyio


async def test_a_local_model_course_records_time_and_tokens(client, make_user, platform, settings):
    platform.ai.llm = LocalLLM(MODELS["qwen2.5-coder-0.5b"], settings.home, context=2048)
    _, headers = make_user()
    await with_sources(client, headers)
    queued = await client.post("/api/courses", headers=headers,
                               json={"topic": "Volcanoes and the immune system",
                                     "num_lessons": 2})  # fmt: skip
    course = await wait_course(client, headers, queued.json()["course_id"], timeout=600)
    assert course["status"] == "READY", course["error_message"]
    assert course["provider"] == "local" and course["model"] == "qwen2.5-coder-0.5b"
    assert course["prompt_tokens"] > 0 and course["completion_tokens"] > 0
    assert len(course["lessons"]) == 2
    for lesson in course["lessons"]:
        assert lesson["checks"] and lesson["learning_objectives"] and lesson["sources"]
    with platform.sessions() as session:
        usage = session.get_one(Job, uuid.UUID(course["job_id"])).usage
    assert usage["seconds"] > 0 and usage["drafted"] + usage["fallbacks"] >= 4
    events = await client.get(f"/api/courses/{course['id']}/events", headers=headers)
    assert "drafting:" in events.text  # tokens streamed as progress
