"""OpenAI-compatible adapters: OpenAI, OpenRouter, Ollama, vLLM and llama.cpp's server.

The SDK's own retries are off (`max_retries=0`); `_with_retries` retries 429, 5xx, timeouts and
connection failures with exponential backoff (honouring `Retry-After`), then maps whatever is
left to the `ProviderError` family. No `openai.*` exception leaves this module.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import numpy as np
import openai
from pydantic import BaseModel, ValidationError

from studyforge.ai.embeddings import Vectors, normalise
from studyforge.ai.errors import (
    InvalidOutput,
    ProviderAuthError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from studyforge.ai.llm import Generation, Task, Usage
from studyforge.errors import TransientError

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T", bound=BaseModel)

BACKOFF_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
EMBED_BATCH_SIZE = 256
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _translate(exc: openai.OpenAIError) -> ProviderError:
    """The project's error for an SDK error (status errors first: they carry a response)."""
    if isinstance(exc, openai.APIStatusError):
        status, detail = exc.status_code, _short(exc.message)
        if status == 429:
            return RateLimited(f"rate limited by the provider: {detail}")
        if status in (401, 403):
            return ProviderAuthError(f"the provider rejected the credentials: {detail}")
        if status >= 500:
            return ProviderUnavailable(f"provider error {status}: {detail}")
        return ProviderError(f"provider rejected the request ({status}): {detail}")
    if isinstance(exc, openai.APITimeoutError):
        return ProviderTimeout("the provider did not answer within the timeout")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailable(
            f"could not reach the provider: {_short(str(exc.__cause__ or exc))}"
        )
    return ProviderError(f"unexpected provider response: {_short(str(exc))}")


def retry_delay(headers: httpx.Headers | None, attempt: int, backoff_seconds: float) -> float:
    """Seconds to wait before retry number `attempt` (0-based): `Retry-After` if given, capped."""
    value = headers.get("retry-after") if headers is not None else None
    if value:
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                seconds = backoff_seconds * 2**attempt
        return min(max(seconds, 0.0), MAX_DELAY_SECONDS)
    return min(backoff_seconds * 2**attempt, MAX_DELAY_SECONDS)


def _with_retries(call: Callable[[], R], *, max_retries: int, backoff_seconds: float) -> R:
    """Run `call`, retrying transient failures; raise only `ProviderError`s."""
    attempt = 0
    while True:
        try:
            return call()
        except openai.OpenAIError as exc:
            error = _translate(exc)
            if not isinstance(error, TransientError) or attempt >= max_retries:
                raise error from exc
            response = getattr(exc, "response", None)
            headers = response.headers if isinstance(response, httpx.Response) else None
            delay = retry_delay(headers, attempt, backoff_seconds)
        attempt += 1
        log.warning("provider call failed (%s); retry %d in %.1fs", error, attempt, delay)
        time.sleep(delay)


def _strip_fences(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text.strip()


def _validation_summary(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return _short("; ".join(parts) + more, 600)


def _client(
    api_key: str, base_url: str | None, timeout: float, http_client: httpx.Client | None
) -> openai.OpenAI:
    """The SDK client; retries are ours (`_with_retries`), so the SDK makes none."""
    # Recent SDKs type `http_client` as httpx2.Client but accept a legacy httpx one too.
    client: Any = http_client
    return openai.OpenAI(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=client
    )


class OpenAICompatLLM:
    """An `LLM` over any OpenAI-compatible chat completions endpoint."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float,
        max_retries: int,
        input_cost_per_mtok: float = 0.0,
        output_cost_per_mtok: float = 0.0,
        http_client: httpx.Client | None = None,
        max_tokens: int = 1024,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self._max_retries, self._backoff = max_retries, backoff_seconds
        self._costs = (input_cost_per_mtok, output_cost_per_mtok)
        self._client = _client(api_key, base_url, timeout, http_client)

    def complete(self, system: str, prompt: str) -> tuple[str, Usage]:
        """Free text for a prompt."""
        text, _, usage = self._chat(
            [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        )
        return text, usage

    def complete_json(self, task: Task[T], inputs: Any) -> Generation[T]:
        """An instance of `task.schema`; one corrective retry, then `InvalidOutput`."""
        schema = json.dumps(task.schema.model_json_schema(), separators=(",", ":"))
        system = (
            f"{task.system}\n\nAnswer with exactly one JSON object and nothing else (no prose, "
            f"no code fences). It must match this JSON schema:\n{schema}"
        )
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": task.render(inputs)},
        ]
        usage = Usage()
        for attempt in range(2):
            text, finish_reason, call_usage = self._chat(messages, json_mode=True)
            usage.add(call_usage)
            try:
                output = task.schema.model_validate_json(
                    _strip_fences(text), context=task.validation_context(inputs)
                )
            except ValidationError as exc:
                problem = _validation_summary(exc)
                if finish_reason == "length":
                    problem = f"the answer was cut off at the token limit ({problem})"
            else:
                return Generation(output=output, provider=self.name, model=self.model, usage=usage)
            if attempt == 0:
                log.info("%s: invalid model output, retrying once: %s", task.name, problem)
                messages += [
                    {"role": "assistant", "content": text},
                    {
                        "role": "user",
                        "content": f"That answer was invalid: {problem}. Reply again with only "
                        "one complete, shorter JSON object that matches the schema.",
                    },
                ]
        raise InvalidOutput(
            f"{task.name}: the model's output did not match {task.schema.__name__} after a "
            f"corrective retry: {problem}; output began {_short(text, 120)!r}"
        )

    def stream(self, system: str, prompt: str, usage: Usage) -> Iterator[str]:
        """Free text for a prompt, as the model writes it: the pieces of its answer in order.

        Opening the stream is retried like any call; once a piece has arrived nothing is
        retried (the caller has it), and a failure mid-answer is a `ProviderError`. `usage` is
        filled in when the stream ends.
        """
        messages: list[Any] = [{"role": "system", "content": system},
                               {"role": "user", "content": prompt}]  # fmt: skip
        chunks = _with_retries(
            lambda: self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=self.max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            ),
            max_retries=self._max_retries,
            backoff_seconds=self._backoff,
        )
        try:
            with chunks:
                for chunk in chunks:
                    if chunk.usage is not None:
                        usage.add(self._usage(chunk.usage))
                    for choice in chunk.choices[:1]:
                        if choice.delta.content:
                            yield choice.delta.content
        except openai.OpenAIError as exc:
            raise _translate(exc) from exc
        except httpx.HTTPError as exc:  # the body broke off: no SDK error wraps a read
            raise ProviderUnavailable(
                f"the provider's answer broke off: {_short(str(exc))}"
            ) from exc
        if not usage.calls:  # a server that sends no usage chunk still made one call
            usage.calls = 1

    def _chat(
        self, messages: list[dict[str, str]], json_mode: bool = False
    ) -> tuple[str, str | None, Usage]:
        """One chat completion: (text, finish_reason, usage)."""
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_mode else {}
        response = _with_retries(
            lambda: self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=self.max_tokens,
                **extra,
            ),
            max_retries=self._max_retries,
            backoff_seconds=self._backoff,
        )
        if not response.choices:
            raise ProviderError("the provider returned no choices")
        choice = response.choices[0]
        return choice.message.content or "", choice.finish_reason, self._usage(response.usage)

    def _usage(self, raw: Any) -> Usage:
        prompt = int(getattr(raw, "prompt_tokens", 0) or 0)
        completion = int(getattr(raw, "completion_tokens", 0) or 0)
        cost = prompt * self._costs[0] / 1e6 + completion * self._costs[1] / 1e6
        return Usage(prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost, calls=1)


class OpenAIEndpoint:
    """What the audio adapters (`openai_stt`, `openai_tts`) share: one model behind an
    OpenAI-style API, its client, time limit and retry count."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float,
        max_retries: int,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self._client = _client(api_key, base_url, timeout, http_client)


class OpenAICompatEmbedder:
    """An `Embedder` over an OpenAI-compatible `/embeddings` endpoint."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float,
        max_retries: int,
        http_client: httpx.Client | None = None,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self._dim: int | None = None
        self._max_retries, self._backoff = max_retries, backoff_seconds
        self._client = _client(api_key, base_url, timeout, http_client)

    @property
    def dim(self) -> int:
        """Vector size, learned from the first response (embeds a probe if none yet)."""
        if self._dim is None:
            self.embed_batch(["dimension probe"])
        assert self._dim is not None
        return self._dim

    @dim.setter
    def dim(self, value: int) -> None:
        # Only here so the class matches the `Embedder` Protocol's plain `dim: int` attribute.
        self._dim = value

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH_SIZE):
            rows.extend(self._embed(list(texts[start : start + EMBED_BATCH_SIZE])))
        sizes = {len(row) for row in rows}
        if len(sizes) != 1 or (self._dim is not None and sizes != {self._dim}):
            raise ProviderError(f"inconsistent embedding sizes from the provider: {sorted(sizes)}")
        self._dim = sizes.pop()
        return normalise(np.asarray(rows, dtype=np.float32))

    def _embed(self, batch: list[str]) -> list[list[float]]:
        response = _with_retries(
            lambda: self._client.embeddings.create(
                model=self.model, input=batch, encoding_format="float"
            ),
            max_retries=self._max_retries,
            backoff_seconds=self._backoff,
        )
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(batch):
            raise ProviderError(f"asked for {len(batch)} embeddings, got {len(data)}")
        return [list(item.embedding) for item in data]
