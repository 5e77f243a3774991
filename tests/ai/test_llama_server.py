"""The OpenAI-compatible adapter against a real llama.cpp server running SmolLM2-135M."""

from __future__ import annotations

from pydantic import BaseModel

from studyforge.ai.errors import InvalidOutput
from studyforge.ai.llm import Task
from studyforge.ai.openai_compat import OpenAICompatLLM
from tests.support.llama import LlamaServer


class Capital(BaseModel):
    country: str
    capital: str


CAPITAL = Task(
    name="capital",
    schema=Capital,
    system="You answer geography questions.",
    render=lambda country: f"What is the capital of {country}?",
    offline=lambda country: Capital(country=country, capital="unknown"),
)


def make_llm(llama: LlamaServer) -> OpenAICompatLLM:
    return OpenAICompatLLM(
        api_key="x",
        base_url=llama.base_url,
        model="smollm2",
        timeout=120,
        max_retries=1,
        max_tokens=48,
    )


def test_complete_returns_text_and_usage(llama: LlamaServer) -> None:
    text, usage = make_llm(llama).complete("You are a helpful assistant.", "Say hello.")

    assert text.strip()
    assert usage.calls == 1
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


def test_complete_json_validates_or_fails_cleanly(llama: LlamaServer) -> None:
    llm = make_llm(llama)
    try:
        gen = llm.complete_json(CAPITAL, "France")
    except InvalidOutput as exc:
        # The tiny model often gets the schema wrong: the failure must name the schema and
        # what the model actually said, proving the round trip happened.
        message = str(exc)
        assert "Capital" in message and "output began" in message
        assert len(message) < 1000
    else:
        assert isinstance(gen.output, Capital)
        assert gen.provider == "openai" and gen.model == "smollm2"
        assert gen.usage.calls in (1, 2)
        assert gen.usage.prompt_tokens > 0 and gen.usage.completion_tokens > 0
