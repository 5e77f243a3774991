"""Chat through an OpenAI-compatible LLM (only its HTTP edge is faked): the model words the
answer from numbered passages; citations it invents are removed; an answer without a valid
citation, invalid output or a provider error leaves the offline engine's answer; and the
model is never asked when the material does not hold the answer."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.chat.compose import NOT_IN_MATERIAL
from studyforge.chat.models import ChatMessage
from tests.chat.conftest import ask, science

pytestmark = pytest.mark.anyio
VOLCANO = "What makes magma rise up and erupt from a volcano?"
PASSAGE = re.compile(r"^\[(\d+)\] \((.*?)\) (.*)$", re.M)


def _completion(content: str) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    })  # fmt: skip


class FakeModel:
    """The provider's HTTP edge: records prompts, answers with `reply(passages)`."""

    def __init__(self, reply) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        self.prompts.append(prompt)
        return self.reply(PASSAGE.findall(prompt))

    def llm(self) -> OpenAICompatLLM:
        return OpenAICompatLLM(api_key="k", base_url="http://llm.invalid/v1", model="m",
                               timeout=5, max_retries=0, http_client=httpx.Client(
                                   transport=httpx.MockTransport(self)))  # fmt: skip


def _volcano_number(passages) -> int:
    return next(int(n) for n, where, text in passages if "magma" in text)


def _meta(platform, reply) -> dict:
    with platform.sessions() as session:
        return dict(session.get_one(ChatMessage, uuid.UUID(reply["message_id"])).meta or {})


async def test_the_models_answer_keeps_only_citations_of_its_passages(client, make_user,
                                                                      platform):  # fmt: skip
    _, headers = make_user()
    doc = await science(client, headers)

    def words(passages):
        n = _volcano_number(passages)
        return _completion(json.dumps({
            "answer": f"Gas pressure in the magma chamber pushes molten rock up [{n}]. "
                      "Volcanoes are made of cheese [42].", "grounded": True}))  # fmt: skip

    model = FakeModel(words)
    platform.ai.llm = model.llm()
    reply = await ask(client, headers, VOLCANO)
    # The sentence that cited a passage it was not given is gone with its marker.
    assert reply["response"] == "Gas pressure in the magma chamber pushes molten rock up [1]."
    assert len(reply["citations"]) == 1 and reply["grounded"]
    cited = reply["citations"][0]
    assert cited["number"] == 1 and cited["page"] == 2
    assert cited["document_id"] == doc["document_id"] and "magma" in cited["quote"]
    assert len(model.prompts) == 1 and "Question: " + VOLCANO in model.prompts[0]
    assert "(science.pdf, page 2" in model.prompts[0]
    meta = _meta(platform, reply)
    assert meta["provider"] == "openai" and meta["extractive"] is False
    assert meta["prompt_tokens"] == 120 and meta["dropped"] == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda p: _completion(json.dumps({"answer": "Magma rises. [9]", "grounded": True})),
         "the model's answer cited none of the passages"),
        (lambda p: _completion("not json at all"), "provider error"),
        (lambda p: httpx.Response(500, json={"error": "down"}), "provider error"),
    ],
)  # fmt: skip
async def test_a_model_that_fails_leaves_the_engines_answer(client, make_user, platform, answer,
                                                            reason):  # fmt: skip
    _, headers = make_user()
    await science(client, headers)
    offline = await ask(client, headers, VOLCANO, mode="tutor")  # the engine, before the model
    platform.ai.llm = FakeModel(answer).llm()
    reply = await ask(client, headers, VOLCANO)
    assert reply["grounded"] and reply["citations"][0]["page"] == 2
    assert "[1]" in reply["response"] and "[9]" not in reply["response"]
    assert reply["response"] != offline["response"]  # an answer, not the tutor's prompt
    meta = _meta(platform, reply)
    assert meta["fallback"].startswith(reason) and meta["extractive"] is True
    # A fallback is not cached: the next question asks the model again.
    again = await ask(client, headers, VOLCANO)
    assert not _meta(platform, again).get("cached")


async def test_the_model_is_not_asked_when_the_material_does_not_answer(client, make_user,
                                                                        platform):  # fmt: skip
    _, headers = make_user()
    await science(client, headers)
    model = FakeModel(lambda p: _completion(json.dumps({"answer": "Canberra [1].",
                                                        "grounded": True})))  # fmt: skip
    platform.ai.llm = model.llm()
    reply = await ask(client, headers, "What is the capital of Australia?")
    assert not reply["grounded"] and reply["response"].startswith(NOT_IN_MATERIAL)
    assert "Canberra" not in reply["response"] and model.prompts == []


async def test_a_model_that_finds_no_answer_is_a_refusal(client, make_user, platform):
    _, headers = make_user()
    await science(client, headers)
    platform.ai.llm = FakeModel(lambda p: _completion(json.dumps({
        "answer": "The passages do not say.", "grounded": False}))).llm()  # fmt: skip
    reply = await ask(client, headers, VOLCANO)
    assert not reply["grounded"] and reply["citations"] == []
    assert reply["response"].startswith(NOT_IN_MATERIAL) and "Volcanoes" in reply["response"]


def test_citation_markers_are_cleaned_and_renumbered() -> None:
    from studyforge.chat.prompts import clean_markers, renumber

    text, cited, dropped = clean_markers(
        "Water boils at 100 C [3, 7]. Ice floats [9]. It is less dense [2][3]. So there.", 4
    )
    assert (text, cited, dropped) == ("Water boils at 100 C [3]. It is less dense [2][3]. "
                                      "So there.", [3, 2], 1)  # fmt: skip
    assert renumber(text, cited) == "Water boils at 100 C [1]. It is less dense [2][1]. So there."
