"""The `local` LLM: a packaged Qwen2.5-Coder GGUF run in this process by llama.cpp.

Small models draft, the engine decides (DESIGN.md §4): `complete_json` builds the task's
extractive answer first, then lets the task's `draft` step ask the model to phrase parts of it
(objectives, summaries, explanations, distractors). Each draft is JSON-constrained by llama.cpp
(`response_format` with the schema), packed into the model's context (sources are trimmed, never
rejected for length), streamed (progress is reported every few tokens) and checked by the task;
whatever fails falls back to the extractive text and is counted in `Usage.fallbacks`.
One generation runs at a time per process: two cores cannot do more.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from studyforge.ai.errors import ProviderError
from studyforge.ai.llm import Generation, Task, Usage, progress_hook
from studyforge.ai.local.gguf import LocalModel, model_path

T = TypeVar("T", bound=BaseModel)
log = logging.getLogger(__name__)
PROGRESS_EVERY = 16  # tokens
MARGIN = 48  # tokens kept free for the chat template


class UnsafeBuild(ProviderError):
    """llama.cpp was built with instructions that crash on this machine (AVX-512/AMX)."""

    code = "LOCAL_UNSAFE_BUILD"


class LocalLLM:
    """llama.cpp in process; the model file is joined and verified on first use."""

    name = "local"
    concurrency = 1

    def __init__(self, model: LocalModel, home: Path, threads: int = 2, context: int = 4096,
                 timeout: float = 600.0) -> None:  # fmt: skip
        self.spec, self.home, self.threads = model, home, threads
        self.context, self.timeout = min(context, model.context), timeout
        self.model = model.name
        self._llama: Any = None
        self._lock = threading.Lock()  # one generation (and one load) at a time

    def _load(self) -> Any:
        if self._llama is None:
            import llama_cpp

            info = llama_cpp.llama_print_system_info().decode(errors="replace")
            if re.search(r"(AVX512\w*|AMX\w*) = 1", info):
                raise UnsafeBuild(
                    "llama-cpp-python was built natively (AVX-512/AMX) and would crash here; "
                    "rebuild it with `make local-model` (portable AVX2 flags)"
                )
            path = model_path(self.spec, self.home)
            self._llama = llama_cpp.Llama(
                model_path=str(path), n_ctx=self.context, n_threads=self.threads,
                n_threads_batch=self.threads, n_batch=256, seed=7, verbose=False,
            )  # fmt: skip
        return self._llama

    def complete(self, system: str, prompt: str) -> tuple[str, Usage]:
        """Free text for a prompt (the prompt is trimmed to fit the context)."""
        return self._chat(system, "", prompt, None, 400)

    def complete_json(self, task: Task[T], inputs: Any) -> Generation[T]:
        """The task's extractive answer, with the parts its `draft` step words by the model."""
        context = task.validation_context(inputs)
        output = task.schema.model_validate(task.offline(inputs), context=context)
        if task.draft is None:
            return Generation(output=output, provider=self.name, model=self.model,
                              extractive=True)  # fmt: skip
        drafter = _Drafter(self, task.system)
        drafted = task.schema.model_validate(task.draft(inputs, output, drafter), context=context)
        return Generation(output=drafted, provider=self.name, model=self.model,
                          usage=drafter.usage, extractive=drafter.usage.drafted == 0)  # fmt: skip

    def _chat(self, system: str, instruction: str, context: str, schema: dict[str, Any] | None,
              max_tokens: int) -> tuple[str, Usage]:  # fmt: skip
        """One streamed chat completion; `context` is cut to what fits."""
        with self._lock:
            llama = self._load()
            fixed = len(llama.tokenize(f"{system}\n{instruction}".encode(), add_bos=False))
            room = max(self.context - max_tokens - fixed - MARGIN, 0)
            tokens = llama.tokenize(context.encode(), add_bos=False)
            if len(tokens) > room:
                context = llama.detokenize(tokens[:room]).decode(errors="ignore")
            # The passage first, the request last: calls on one lesson share a prompt prefix,
            # which llama.cpp keeps in its cache.
            prompt = f"{context}\n\n{instruction}".strip()
            started, pieces, count = time.monotonic(), [], 0
            fmt = {"type": "json_object", "schema": schema} if schema else None
            stream = llama.create_chat_completion(
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": prompt}],
                response_format=fmt, max_tokens=max_tokens, temperature=0.2,
                repeat_penalty=1.1, stream=True,
            )  # fmt: skip
            hook = progress_hook.get()
            for chunk in stream:
                pieces.append(chunk["choices"][0]["delta"].get("content") or "")
                count += 1
                if hook is not None and count % PROGRESS_EVERY == 0:
                    hook(f"{self.model} drafting: {count} tokens")
                if time.monotonic() - started > self.timeout:
                    break
            used = len(llama.tokenize(f"{system}\n{prompt}".encode()))
            seconds = time.monotonic() - started
        return "".join(pieces), Usage(prompt_tokens=used, completion_tokens=count, calls=1,
                                      seconds=seconds, largest_prompt=used)  # fmt: skip


class _Drafter:
    """What a task's draft step sees: JSON drafts, and the record of what was used."""

    def __init__(self, llm: LocalLLM, system: str) -> None:
        self.llm, self.system, self.model = llm, system, llm.model
        self.usage = Usage()
        self.reasons: list[str] = []

    def json(self, instruction: str, context: str, schema: dict[str, Any],
             max_tokens: int = 200) -> dict[str, Any] | None:  # fmt: skip
        """A JSON object from the model, or None when it gave invalid JSON."""
        text, usage = self.llm._chat(self.system, instruction, context, schema, max_tokens)
        self.usage.add(usage)
        try:
            value = json.loads(text, strict=False)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def accept(self, field: str) -> None:
        """Count a draft that passed its checks."""
        self.usage.drafted += 1

    def fallback(self, field: str, reason: str) -> None:
        """Count a draft that did not, and log why (at debug level: it is expected)."""
        self.usage.fallbacks += 1
        self.reasons.append(f"{field}: {reason}")
        log.debug("local draft of %s fell back: %s", field, reason)
