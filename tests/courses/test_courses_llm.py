"""Courses through an OpenAI-compatible LLM (only its HTTP edge is faked): usage and cost."""

from __future__ import annotations

import json

import httpx
import pytest

from studyforge.ai.openai_compat import OpenAICompatLLM
from tests.courses.conftest import wait_course, with_sources
from tests.support.openai_stub import completion

pytestmark = pytest.mark.anyio


def answer(request: httpx.Request) -> httpx.Response:
    """Answers like a model would, choosing the schema from the prompt."""
    prompt = json.loads(request.content)["messages"][-1]["content"]
    if prompt.startswith("Plan a course"):
        lessons = [
            {
                "title": f"Part {n}",
                "description": f"About part {n}.",
                "key_concepts": ["magma"],
                "learning_objectives": ["Describe eruptions"],
                "sources": [0, 1],
            }
            for n in (1, 2)
        ]
        body = {
            "course_title": "Volcanoes Up Close",
            "description": "Why volcanoes erupt.",
            "lessons": lessons,
        }
    elif prompt.startswith("Write lesson"):
        body = {
            "sections": [
                {
                    "heading": "Eruptions",
                    "paragraphs": [{"text": "Gas pressure forces magma up.", "citations": [0]}],
                }
            ],
            "summary": "Pressure.",
        }
    else:
        body = {
            "checks": [
                {
                    "kind": "true_false",
                    "question": "Magma is molten rock.",
                    "options": ["True", "False"],
                    "answer": "True",
                    "source": 0,
                }
            ]
        }
    return httpx.Response(200, json=completion(json.dumps(body)))


def use_llm(platform) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    platform.ai.llm = OpenAICompatLLM(
        api_key="k",
        base_url="http://llm.invalid/v1",
        model="m",
        timeout=5,
        max_retries=0,
        input_cost_per_mtok=1.0,
        output_cost_per_mtok=10.0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    return seen


async def test_course_with_an_llm_records_tokens_and_cost(client, make_user, platform):
    _, headers = make_user()
    await with_sources(client, headers)
    seen = use_llm(platform)
    queued = await client.post(
        "/api/courses", headers=headers, json={"topic": "Volcanoes", "num_lessons": 2}
    )
    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY", course["error_message"]
    assert course["title"] == "Volcanoes Up Close" and course["slug"] == "volcanoes-up-close"
    assert len(seen) == 5  # outline + 2 x (lesson + checks)
    assert course["prompt_tokens"] == 500 and course["completion_tokens"] == 50
    assert course["cost_usd"] == pytest.approx(0.001)
    assert course["provider"] == "openai" and course["model"] == "m"
    lesson = course["lessons"][0]
    assert "Gas pressure forces magma up. [1]" in lesson["content_md"]
    assert lesson["sources"][0]["index"] == 0 and lesson["checks"][0]["answer"] == "True"
    outline_prompt = json.loads(seen[0].content)["messages"][-1]["content"]
    assert "[0] (science/all.pdf, p." in outline_prompt  # the model is given numbered sources


async def test_an_llm_writes_an_ungrounded_course_only_when_asked(client, make_user, platform):
    use_llm(platform)
    _, headers = make_user()
    refused = await client.post(
        "/api/courses", headers=headers, json={"topic": "Volcanoes", "num_lessons": 2}
    )
    failed = await wait_course(client, headers, refused.json()["course_id"])
    assert failed["status"] == "FAILED" and failed["lessons"] == []
    assert "don't cover 'Volcanoes'" in failed["error_message"]
    assert "allow a course that is not grounded" in failed["error_message"]
    queued = await client.post(
        "/api/courses",
        headers=headers,
        json={"topic": "Volcanoes", "num_lessons": 2, "allow_ungrounded": True},
    )
    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY" and course["sources"] == []
    assert course["grounded"] is False
    assert [lesson["sources"] for lesson in course["lessons"]] == [[], []]
