"""What a local model may phrase in stage 2: a document's learning objectives and summary.

The offline engine has analysed the document (type, level, concepts, its own objectives and an
extractive summary). A small model is asked once per document, with the start of the
document's prose as its context (a fixed budget, so no prompt outgrows an 8k context), to
word 2 or 3 objectives and a two-sentence summary with a supporting quote. The checks are the
course drafting's (`courses.drafting`): an objective starts with a teaching verb and stays
within the document's words; a summary comes with a quote copied word for word from the
document and its content words are found there. Whatever fails keeps the engine's text, and
the drafter records the fallback.
"""

from __future__ import annotations

from typing import Any

from studyforge.ai.llm import Drafter
from studyforge.courses.drafting import objective_ok, quoted_reason

CONTEXT_CHARS = 2400
_SCHEMA = {
    "type": "object",
    "required": ["objectives", "summary", "quote"],
    "properties": {
        "objectives": {"type": "array", "items": {"type": "string"}, "minItems": 2,
                       "maxItems": 3},
        "summary": {"type": "string"},
        "quote": {"type": "string"},
    },
}  # fmt: skip


def draft_phrasing(inputs: dict[str, Any], out: Any, drafter: Drafter) -> Any:
    """`out` (a `prompts.Phrasing`) with the parts the model worded that pass the checks."""
    text = inputs["text"][:CONTEXT_CHARS]
    answer = drafter.json(
        f"The text above is the start of the documentation page '{inputs['title']}'. For "
        f"{inputs['level']} learners, based only on it: in `objectives`, write 2 or 3 learning "
        "objectives, each one sentence of 5 to 15 words that starts with a verb such as "
        "Explain, Describe, Use, Identify or Compare; in `summary`, summarise the page in two "
        "sentences; in `quote`, copy word for word the one sentence of the text that best "
        "supports your summary.",
        text, _SCHEMA, max_tokens=220,
    )  # fmt: skip
    if answer is None:
        drafter.fallback("learning_objectives", "no valid JSON")
        drafter.fallback("summary", "no valid JSON")
        return out
    goals = [" ".join(str(g).split()) for g in answer.get("objectives") or []]
    good = [g for g in dict.fromkeys(goals) if objective_ok(g, f"{text} {inputs['title']}")]
    if len(good) >= 2:
        out.learning_objectives = good[:3]
        drafter.accept("learning_objectives")
    else:
        drafter.fallback("learning_objectives", f"{len(good)} of {len(goals)} objectives passed")
    summary = {"text": answer.get("summary", ""), "quote": answer.get("quote", "")}
    reason = quoted_reason(summary, text, 0.8)
    if reason is None:
        out.summary = " ".join(str(summary["text"]).split())
        drafter.accept("summary")
    else:
        drafter.fallback("summary", reason)
    return out
