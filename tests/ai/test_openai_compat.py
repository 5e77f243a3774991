"""The OpenAI-compatible adapters against a faked HTTP edge (`httpx.MockTransport`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import BaseModel

from studyforge.ai.errors import (
    InvalidOutput,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from studyforge.ai.llm import Task
from studyforge.ai.openai_compat import OpenAICompatEmbedder, OpenAICompatLLM, retry_delay
from studyforge.errors import TransientError

BASE_URL = "http://provider.test/v1"
Handler = Callable[[httpx.Request], httpx.Response]


class Flashcard(BaseModel):
    front: str
    back: str


def _offline(inputs: Any) -> Flashcard:
    return Flashcard(front=str(inputs), back=str(inputs))


CARD = Task(
    name="flashcard",
    schema=Flashcard,
    system="You write flashcards.",
    render=lambda topic: f"One flashcard about {topic}.",
    offline=_offline,
)


class Recorder:
    """Serves scripted responses in order (the last one repeats) and keeps every request."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    def body(self, index: int) -> dict[str, Any]:
        return dict(json.loads(self.requests[index].content))


def chat(
    content: str, finish_reason: str = "stop", usage: dict[str, int] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content},
            }
        ],
    }
    if usage is not None:
        body["usage"] = {**usage, "total_tokens": sum(usage.values())}
    return httpx.Response(200, json=body)


def error(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers=headers, json={"error": {"message": f"status {status}", "type": "x"}}
    )


def make_llm(handler: Handler, max_retries: int = 2, **kwargs: Any) -> OpenAICompatLLM:
    return OpenAICompatLLM(
        api_key="sk-test",
        base_url=BASE_URL,
        model="test-model",
        timeout=5,
        max_retries=max_retries,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        backoff_seconds=0,
        **kwargs,
    )


GOOD = '{"front": "What is ATP?", "back": "The cell\'s energy currency."}'
TOKENS = {"prompt_tokens": 100, "completion_tokens": 20}


def test_complete_returns_text_usage_and_cost() -> None:
    rec = Recorder(chat("Mitochondria make ATP.", usage=TOKENS))
    llm = make_llm(rec, input_cost_per_mtok=2.0, output_cost_per_mtok=10.0, max_tokens=77)

    text, usage = llm.complete("Be brief.", "What do mitochondria do?")

    assert text == "Mitochondria make ATP."
    assert (usage.prompt_tokens, usage.completion_tokens, usage.calls) == (100, 20, 1)
    assert usage.cost_usd == pytest.approx(100 * 2.0 / 1e6 + 20 * 10.0 / 1e6)
    body = rec.body(0)
    assert rec.requests[0].url.path == "/v1/chat/completions"
    assert rec.requests[0].headers["authorization"] == "Bearer sk-test"
    assert body["model"] == "test-model" and body["max_tokens"] == 77
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What do mitochondria do?"},
    ]


def test_complete_json_returns_validated_generation() -> None:
    rec = Recorder(chat(f"```json\n{GOOD}\n```", usage=TOKENS))

    gen = make_llm(rec).complete_json(CARD, "ATP")

    assert gen.output == Flashcard(front="What is ATP?", back="The cell's energy currency.")
    assert (gen.provider, gen.model, gen.extractive) == ("openai", "test-model", False)
    assert gen.usage.calls == 1 and gen.usage.prompt_tokens == 100
    body = rec.body(0)
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert system["content"].startswith("You write flashcards.")
    assert '"front"' in system["content"] and '"required"' in system["content"]
    assert user == {"role": "user", "content": "One flashcard about ATP."}


def test_missing_usage_is_tolerated() -> None:
    text, usage = make_llm(Recorder(chat("hi"))).complete("s", "p")
    assert text == "hi"
    assert (usage.prompt_tokens, usage.completion_tokens, usage.calls) == (0, 0, 1)


def test_rate_limit_then_success_retries() -> None:
    rec = Recorder(error(429), error(429), chat("ok", usage=TOKENS))

    text, usage = make_llm(rec, max_retries=2).complete("s", "p")

    assert text == "ok" and usage.calls == 1
    assert len(rec.requests) == 3


def test_rate_limited_forever_raises_after_max_retries() -> None:
    rec = Recorder(error(429, {"Retry-After": "0"}))

    with pytest.raises(RateLimited) as info:
        make_llm(rec, max_retries=3).complete("s", "p")

    assert isinstance(info.value, TransientError)
    assert "status 429" in str(info.value)
    assert len(rec.requests) == 4


def test_server_error_raises_provider_unavailable() -> None:
    rec = Recorder(error(500))
    with pytest.raises(ProviderUnavailable) as info:
        make_llm(rec, max_retries=1).complete("s", "p")
    assert isinstance(info.value, TransientError)
    assert len(rec.requests) == 2


def test_connection_error_raises_provider_unavailable() -> None:
    rec = Recorder(httpx.ConnectError("connection refused"))
    with pytest.raises(ProviderUnavailable, match="connection refused"):
        make_llm(rec, max_retries=1).complete("s", "p")
    assert len(rec.requests) == 2


def test_timeout_raises_provider_timeout() -> None:
    rec = Recorder(httpx.ReadTimeout("read timed out"))
    with pytest.raises(ProviderTimeout) as info:
        make_llm(rec, max_retries=1).complete("s", "p")
    assert isinstance(info.value, TransientError)
    assert len(rec.requests) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_not_retried(status: int) -> None:
    rec = Recorder(error(status))
    with pytest.raises(ProviderAuthError) as info:
        make_llm(rec, max_retries=3).complete("s", "p")
    assert not isinstance(info.value, TransientError)
    assert len(rec.requests) == 1


def test_other_client_errors_raise_provider_error_without_retry() -> None:
    rec = Recorder(error(400))
    with pytest.raises(ProviderError) as info:
        make_llm(rec, max_retries=3).complete("s", "p")
    assert type(info.value) is ProviderError
    assert len(rec.requests) == 1


def test_invalid_json_is_retried_with_the_validation_error() -> None:
    rec = Recorder(chat("Sure! Here is a flashcard.", usage=TOKENS), chat(GOOD, usage=TOKENS))

    gen = make_llm(rec).complete_json(CARD, "ATP")

    assert gen.output.front == "What is ATP?"
    assert len(rec.requests) == 2
    assert (gen.usage.calls, gen.usage.prompt_tokens, gen.usage.completion_tokens) == (2, 200, 40)
    messages = rec.body(1)["messages"]
    assert messages[:2] == rec.body(0)["messages"]
    assert messages[2] == {"role": "assistant", "content": "Sure! Here is a flashcard."}
    assert messages[3]["role"] == "user" and "Invalid JSON" in messages[3]["content"]


def test_schema_mismatch_is_retried_naming_the_field() -> None:
    rec = Recorder(chat('{"front": "Q"}'), chat(GOOD))
    gen = make_llm(rec).complete_json(CARD, "ATP")
    assert gen.output.back == "The cell's energy currency."
    assert "back: Field required" in rec.body(1)["messages"][3]["content"]


def test_invalid_twice_raises_invalid_output() -> None:
    rec = Recorder(chat("not json"), chat('{"front": 1}'))

    with pytest.raises(InvalidOutput) as info:
        make_llm(rec).complete_json(CARD, "ATP")

    assert len(rec.requests) == 2
    message = str(info.value)
    assert "flashcard" in message and "Flashcard" in message
    assert "front: Input should be a valid string" in message
    assert len(message) < 1000


def test_truncated_output_is_retried() -> None:
    rec = Recorder(chat('{"front": "What is A', finish_reason="length"), chat(GOOD))

    gen = make_llm(rec).complete_json(CARD, "ATP")

    assert gen.output.front == "What is ATP?"
    assert len(rec.requests) == 2
    assert "cut off" in rec.body(1)["messages"][3]["content"]


def test_retry_delay_honours_retry_after_capped() -> None:
    assert retry_delay(httpx.Headers({"Retry-After": "3"}), 0, 1.0) == 3.0
    assert retry_delay(httpx.Headers({"Retry-After": "3600"}), 0, 1.0) == 30.0
    assert retry_delay(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), 0, 1) == 0
    assert retry_delay(None, 0, 1.0) == 1.0
    assert retry_delay(httpx.Headers(), 3, 1.0) == 8.0
    assert retry_delay(None, 10, 1.0) == 30.0


# --- embeddings ---------------------------------------------------------------------------------


def embeddings(*vectors: list[float]) -> httpx.Response:
    # Out of order on purpose: rows must follow `index`, not list order.
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)][
        ::-1
    ]
    return httpx.Response(
        200,
        json={
            "object": "list",
            "model": "embed-model",
            "data": data,
            "usage": {"prompt_tokens": 4, "total_tokens": 4},
        },
    )


def make_embedder(handler: Handler, max_retries: int = 1) -> OpenAICompatEmbedder:
    return OpenAICompatEmbedder(
        api_key="sk-test",
        base_url=BASE_URL,
        model="embed-model",
        timeout=5,
        max_retries=max_retries,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        backoff_seconds=0,
    )


def test_embed_batch_returns_normalised_rows_in_order() -> None:
    rec = Recorder(embeddings([3.0, 4.0, 0.0], [0.0, 0.0, 2.0]))
    embedder = make_embedder(rec)

    vectors = embedder.embed_batch(["first", "second"])

    assert embedder.name == "openai:embed-model"
    assert vectors.dtype == np.float32 and vectors.shape == (2, 3)
    np.testing.assert_allclose(vectors, [[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], rtol=1e-6)
    assert embedder.dim == 3
    assert len(rec.requests) == 1
    assert rec.requests[0].url.path == "/v1/embeddings"
    assert rec.body(0)["input"] == ["first", "second"]


def test_dim_probes_lazily() -> None:
    rec = Recorder(embeddings([1.0, 0.0, 0.0, 0.0]))
    embedder = make_embedder(rec)
    assert rec.requests == []
    assert embedder.dim == 4
    assert len(rec.requests) == 1


def test_embed_errors_are_mapped() -> None:
    rec = Recorder(error(503))
    with pytest.raises(ProviderUnavailable):
        make_embedder(rec, max_retries=2).embed_batch(["x"])
    assert len(rec.requests) == 3

    rec = Recorder(error(401))
    with pytest.raises(ProviderAuthError):
        make_embedder(rec, max_retries=2).embed_batch(["x"])
    assert len(rec.requests) == 1

    rec = Recorder(error(429), embeddings([1.0, 1.0]))
    vectors = make_embedder(rec, max_retries=2).embed_batch(["x"])
    assert vectors.shape == (1, 2) and len(rec.requests) == 2


def test_embedding_count_mismatch_is_a_provider_error() -> None:
    rec = Recorder(embeddings([1.0, 0.0]))
    with pytest.raises(ProviderError, match="asked for 2 embeddings, got 1"):
        make_embedder(rec).embed_batch(["a", "b"])
