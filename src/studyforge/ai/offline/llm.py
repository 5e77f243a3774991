"""The offline LLM: runs each task's extractive strategy; never invents a fact."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from studyforge.ai.llm import Generation, Task, Usage
from studyforge.ai.offline.text import central_sentences, split_sentences

T = TypeVar("T", bound=BaseModel)


class OfflineLLM:
    """Deterministic and grounded: outputs are built from sentences of the inputs."""

    name = "offline"
    model = "extractive-v1"

    def complete(self, system: str, prompt: str) -> tuple[str, Usage]:
        """The prompt's most central sentences (an extractive summary), not a free answer."""
        sentences = [s.text for s in split_sentences(prompt)]
        picked = central_sentences(sentences, limit=5)
        return " ".join(sentences[i] for i in picked), Usage()

    def complete_json(self, task: Task[T], inputs: Any) -> Generation[T]:
        """Run the task's offline strategy and validate it against the task's schema."""
        output = task.schema.model_validate(
            task.offline(inputs), context=task.validation_context(inputs)
        )
        return Generation(output=output, provider=self.name, model=self.model, extractive=True)
