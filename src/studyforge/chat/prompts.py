"""The chat task for the `LLM` interface: answer from numbered passages, citing them as [n].

Code decides whether the material holds the answer (`grounding`) before any model is asked;
the model only words an answer from the passages it is given. Its output is validated
(`ChatAnswer`), every [n] that is not one of the passages is removed (with the sentences that
cited nothing else), and an answer left
without a single valid citation is not used: the offline engine's answer is. Offline (and for
the local model, which drafts nothing here) the task's strategy is the engine's answer.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from studyforge.ai.llm import Task


class ChatAnswer(BaseModel):
    """An answer and whether the passages hold it."""

    answer: str = Field(min_length=1, max_length=6000)
    grounded: bool = Field(True, description="false when the passages do not answer")


SYSTEM = (
    "You are a patient tutor. Answer only from the numbered passages of the learner's own "
    "material, in plain prose, citing each statement with the passage's number in square "
    "brackets, like [1] or [2]. Never add facts that are not in the passages. If they do not "
    "answer the question, set grounded to false and say that the material does not cover it."
)
# The same task for a model that streams plain prose: no JSON to wait for, and a fixed reply
# instead of `grounded: false`.
NOT_COVERED = "NOT COVERED"
STREAM_SYSTEM = SYSTEM.replace(
    "set grounded to false and say that the material does not cover it",
    f"reply with exactly {NOT_COVERED} and nothing else",
)
MODES = {
    "answer": "Answer the question in two to four sentences.",
    "tutor": "Do not give the answer. Ask one guiding question that sends the learner to the "
    "passage that holds it, citing that passage as [n], so they can work it out themselves.",
}
MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


def _where(source: dict[str, Any]) -> str:
    parts = [str(source.get("filename") or "text sent with the question")]
    if source.get("page"):
        parts.append(f"page {source['page']}")
    if source.get("heading"):
        parts.append(str(source["heading"]).rsplit(" > ", 1)[-1])
    return ", ".join(parts)


def _render(inputs: dict[str, Any]) -> str:
    lines = [MODES[inputs["mode"]], ""]
    if inputs["history"]:
        lines.append("The conversation so far:")
        lines += [f"{turn['role']}: {turn['content'][:600]}" for turn in inputs["history"]]
        lines.append("")
    lines.append("Passages:")
    for number, source in enumerate(inputs["sources"], start=1):
        lines.append(f"[{number}] ({_where(source)}) {source['text'][:2500]}")
    lines += ["", f"Question: {inputs['question']}"]
    return "\n".join(lines)


def _offline(inputs: dict[str, Any]) -> dict[str, Any]:
    """The engine's answer, made before the task ran."""
    return {"answer": inputs["offline"]["text"], "grounded": inputs["offline"]["grounded"]}


ANSWER = Task("chat.answer", ChatAnswer, SYSTEM, _render, _offline)


def clean_markers(text: str, count: int) -> tuple[str, list[int], int]:
    """Drop every [n] that is not one of the `count` passages, and every sentence that cited
    only such passages (it claims support that is not there). Returns the text, the passage
    numbers it cites in the order it first cites them, and how many sentences went."""
    cited: list[int] = []
    kept: list[str] = []
    dropped = 0
    # Sentences at even places, the whitespace after each at odd ones (kept: paragraphs stay).
    parts = re.split(r"((?<=[.!?\]])\s+)", text.strip())
    for at in range(0, len(parts), 2):
        sentence, after = parts[at], parts[at + 1] if at + 1 < len(parts) else ""
        markers = [int(n) for m in MARKER.finditer(sentence) for n in m.group(1).split(",")]
        valid = [n for n in markers if 1 <= n <= count]
        if markers and not valid:
            dropped += 1
            continue
        cited.extend(n for n in valid if n not in cited)
        kept.append(
            MARKER.sub(
                lambda m: "".join(
                    f"[{n}]" for n in map(int, m.group(1).split(",")) if 1 <= n <= count
                ),
                sentence,
            )
            + after
        )
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", "".join(kept)))
    return cleaned.strip(), cited, dropped


def renumber(text: str, order: list[int]) -> str:
    """Number the citations 1, 2, ... in the order the text first cites them."""
    new = {old: i for i, old in enumerate(order, start=1)}
    return MARKER.sub(lambda m: "".join(f"[{new[int(n)]}]" for n in m.group(1).split(",")),
                      text)  # fmt: skip
