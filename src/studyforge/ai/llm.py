"""The LLM capability: a `Task` (prompt + output schema + offline strategy) -> `Generation`.

A feature declares each generation it needs as a `Task` in its `prompts.py`: the system prompt,
how to render the inputs as the user prompt, the Pydantic schema of the answer, and the offline
strategy, a plain function that builds the same schema extractively from the inputs. An LLM
provider either prompts a model (and validates the answer against the schema) or, offline, calls
the strategy. Either way the caller gets a validated instance of the schema.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)
# Where a provider that streams may report progress ("drafting: 120 tokens"), if anywhere.
progress_hook: ContextVar[Callable[[str], None] | None] = ContextVar("progress_hook", default=None)


@contextmanager
def reporting_progress(report: Callable[[str], None], every: float = 1.0) -> Iterator[None]:
    """Within the block, a streaming provider's progress goes to `report`, at most once per
    `every` seconds (a model streams many tokens); afterwards it goes nowhere again, so a
    later job on the same thread never reports to this one."""
    last = [0.0]

    def hook(message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            report(message)

    token = progress_hook.set(hook)
    try:
        yield
    finally:
        progress_hook.reset(token)


@dataclass
class Usage:
    """Tokens used by one or more calls, and their estimated cost in US dollars."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    # A local model's drafting: time spent, drafts accepted, drafts that fell back.
    seconds: float = 0.0
    drafted: int = 0
    fallbacks: int = 0
    largest_prompt: int = 0  # tokens of the longest single prompt (it must fit the context)

    def add(self, other: Usage) -> None:
        """Accumulate another call's usage into this one."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.calls += other.calls
        self.seconds += other.seconds
        self.drafted += other.drafted
        self.fallbacks += other.fallbacks
        self.largest_prompt = max(self.largest_prompt, other.largest_prompt)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored on the job row); drafting figures only when there are any."""
        out: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "calls": self.calls,
        }
        if self.seconds or self.drafted or self.fallbacks:
            out.update(seconds=round(self.seconds, 2), drafted=self.drafted,
                       fallbacks=self.fallbacks, largest_prompt=self.largest_prompt)  # fmt: skip
        return out


class Drafter(Protocol):
    """A small local model used to phrase parts of an extractive answer.

    The engine decides what is said; the model only words it. A draft that fails the caller's
    checks is dropped for the extractive text, and `fallback` records why.
    """

    model: str

    def json(self, instruction: str, context: str, schema: dict[str, Any],
             max_tokens: int = 200) -> dict[str, Any] | None:  # fmt: skip
        """A JSON object matching `schema`, or None if the model gave none."""
        ...

    def accept(self, field: str) -> None:
        """Record that a drafted `field` passed its checks and is used."""
        ...

    def fallback(self, field: str, reason: str) -> None:
        """Record that `field` keeps its extractive text, and why."""
        ...


@dataclass(frozen=True)
class Task(Generic[T]):
    """One kind of generation: prompt, output schema and the offline (extractive) strategy."""

    name: str
    schema: type[T]
    system: str
    render: Callable[[Any], str]
    # Returns the schema, or a dict the provider validates against it.
    offline: Callable[[Any], T | dict[str, Any]]
    # For a local model: improves the offline answer (inputs, offline answer, drafter).
    draft: Callable[[Any, T, Drafter], T] | None = None
    # Validation context from the inputs (`info.context` in the schema's validators), for checks
    # against the request, such as one seat per group member: a failure is a validation error
    # that the model gets its one repair attempt for.
    context: Callable[[Any], dict[str, Any]] | None = None

    def validation_context(self, inputs: Any) -> dict[str, Any] | None:
        """The context the schema's validators see for these inputs."""
        return self.context(inputs) if self.context else None


@dataclass
class Generation(Generic[T]):
    """A validated answer plus where it came from."""

    output: T
    provider: str
    model: str
    usage: Usage = field(default_factory=Usage)
    # Offline answers are extractive: every sentence is copied from the inputs.
    extractive: bool = False


class LLM(Protocol):
    """A text generator. `complete_json` returns the task's schema, validated."""

    name: str
    model: str

    def complete(self, system: str, prompt: str) -> tuple[str, Usage]:
        """Free text for a prompt."""
        ...

    def complete_json(self, task: Task[T], inputs: Any) -> Generation[T]:
        """An instance of `task.schema` for `inputs`, or a `ProviderError`."""
        ...


@runtime_checkable
class StreamingLLM(LLM, Protocol):
    """An `LLM` that can also hand over free text as the model writes it."""

    def stream(self, system: str, prompt: str, usage: Usage) -> Iterator[str]:
        """The answer's pieces in order; `usage` (a fresh one) is filled in at the end."""
        ...
