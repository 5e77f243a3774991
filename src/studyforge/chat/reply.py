"""One reply from the evidence: refuse, or answer offline, or let the configured LLM word it.

The decision to answer is the engine's (`Evidence.covered`); a model is asked only when the
material holds the answer, and its answer is used only when it cites the passages it was
given. Whatever goes wrong with the model (a provider error, invalid output, no valid
citation) leaves the offline engine's answer, with the reason in `meta["fallback"]`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from studyforge.ai.errors import ProviderError
from studyforge.ai.registry import AIProviders
from studyforge.chat import compose
from studyforge.chat.compose import Answer
from studyforge.chat.grounding import Evidence
from studyforge.chat.prompts import ANSWER, clean_markers, renumber

log = logging.getLogger(__name__)


def make_reply(
    ai: AIProviders,
    evidence: Evidence,
    question: str,
    mode: str,
    history: Sequence[dict[str, str]],
    covers: Callable[[], list[str]],
) -> Answer:
    """The reply to `question` (`covers`: what the material covers, asked only to refuse)."""
    if not evidence.covered:
        return compose.refusal(evidence, question, covers())
    offline, inputs, meta = prepare(ai, evidence, question, mode, history)
    try:
        generation = ai.llm.complete_json(ANSWER, inputs)
    except ProviderError as exc:
        return provider_failed(offline, meta, exc)
    meta.update(generation.usage.as_dict())
    if generation.extractive:
        offline.meta.update(meta, extractive=True)
        return offline
    output = generation.output
    return settle(evidence, question, covers, offline, meta, output.answer, output.grounded)


def prepare(
    ai: AIProviders, evidence: Evidence, question: str, mode: str,
    history: Sequence[dict[str, str]],
) -> tuple[Answer, dict[str, Any], dict[str, Any]]:  # fmt: skip
    """The engine's answer (the fallback), the model's inputs, and the reply's meta so far."""
    offline = compose.tutor(evidence, question) if mode == "tutor" else compose.answer(evidence)
    inputs = {"mode": mode, "history": list(history), "question": question,
              "sources": [asdict(s) for s in evidence.sources],
              "offline": offline.as_dict()}  # fmt: skip
    return offline, inputs, {"provider": ai.llm.name, "model": ai.llm.model}


def settle(evidence: Evidence, question: str, covers: Callable[[], list[str]], offline: Answer,
           meta: dict[str, Any], text: str, grounded: bool) -> Answer:  # fmt: skip
    """The reply from a model's whole answer: a refusal if it found none, the engine's answer
    if it cites none of its passages, else its text with valid citations renumbered."""
    if not grounded:
        refused = compose.refusal(evidence, question, covers())
        refused.meta.update(meta, model_refused=True)
        return refused
    text, cited, dropped = clean_markers(text, len(evidence.sources))
    if not cited:
        return _offline(offline, meta, "the model's answer cited none of the passages")
    citations = [_citation(evidence, number, new) for new, number in enumerate(cited, start=1)]
    return Answer(renumber(text, cited), citations, True,
                  {**meta, "extractive": False, "templated": [], "dropped": dropped})  # fmt: skip


def provider_failed(offline: Answer, meta: dict[str, Any], exc: ProviderError) -> Answer:
    """The engine's answer, when the provider failed."""
    log.warning("chat answer from the offline engine: %s", exc)
    return _offline(offline, meta, f"provider error: {str(exc)[:300]}")


def _offline(offline: Answer, meta: dict[str, Any], reason: str) -> Answer:
    offline.meta.update(meta, extractive=True, fallback=reason)
    return offline


def _citation(evidence: Evidence, number: int, new: int) -> dict[str, Any]:
    """Passage `number` (1-based, as the model saw it) cited as [new]: its best sentence for
    the question, or the whole passage when none of its sentences answers (code)."""
    index = number - 1
    source = evidence.sources[index]
    mine = [c for c in evidence.candidates if c.source == index]
    if mine:
        best = max(mine, key=lambda c: c.score)
        return compose.citation(new, source, best.start, best.end)
    return compose.citation(new, source, 0, len(source.text))
