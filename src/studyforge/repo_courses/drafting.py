"""What a local model may phrase in stage 2: a document's learning objectives and summary.

The offline engine has analysed the document (type, level, concepts, its own objectives and an
extractive summary). A small model is asked once per document, with the start of the
document's prose as its context (a fixed budget, so no prompt outgrows an 8k context), to
word 2 or 3 objectives and a two-sentence summary with a supporting quote. The checks are the
course drafting's (`courses.drafting`): an objective starts with a teaching verb and stays
within the document's words; a summary comes with a quote of a sentence of the document (a
changed word or two is forgiven: `anchor` finds the sentence it copies) and its content words
are found there. Whatever fails keeps the engine's text, and
the drafter records the fallback.
"""

from __future__ import annotations

from typing import Any

from studyforge.ai.llm import Drafter
from studyforge.ai.offline.text import content_words, split_sentences
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
        "Explain, Describe, Use, Identify or Compare (never Understand or Learn); in "
        "`summary`, summarise the page in two sentences; in `quote`, copy word for word the "
        "one sentence of the text that best supports your summary.",
        text, _SCHEMA, max_tokens=220,
    )  # fmt: skip
    if answer is None:
        drafter.fallback("learning_objectives", "no valid JSON")
        drafter.fallback("summary", "no valid JSON")
        return out
    goals = [measurable(" ".join(str(g).split())) for g in answer.get("objectives") or []]
    good = [g for g in dict.fromkeys(goals) if objective_ok(g, f"{text} {inputs['title']}")]
    if len(good) >= 2:
        out.learning_objectives = good[:3]
        drafter.accept("learning_objectives")
    else:
        drafter.fallback("learning_objectives", f"{len(good)} of {len(goals)} objectives passed")
    summary = {"text": answer.get("summary", ""), "quote": anchor(str(answer.get("quote")), text)}
    reason = quoted_reason(summary, text, 0.8)
    if reason is None:
        out.summary = " ".join(str(summary["text"]).split())
        drafter.accept("summary")
    else:
        drafter.fallback("summary", reason)
    return out


_VAGUE = (
    ("learn how to ", ""), ("understand how to ", ""), ("understand ", "Explain "),
    ("learn about ", "Describe "), ("learn ", "Describe "), ("explore ", "Describe "),
)  # fmt: skip


def measurable(goal: str) -> str:
    """An objective a small model began with a verb no one can check ("Understand X", "Learn
    how to X"), begun with one that can be ("Explain X", "X")."""
    low = goal.lower()
    for vague, verb in _VAGUE:
        if low.startswith(vague) and len(goal) > len(vague):
            rest = goal[len(vague) :]
            return verb + rest if verb else rest[0].upper() + rest[1:]
    return goal


def anchor(quote: str, text: str) -> str:
    """The sentence of `text` that `quote` copies, allowing a small model's slips (a changed
    word or two): one sharing 85% of the quote's content words and 70% of its own; else the
    quote as given (which then fails the word-for-word check)."""
    said = set(content_words(quote))
    if len(said) < 3:
        return quote
    for sentence in split_sentences(text):
        own = set(content_words(sentence.text))
        if own and len(said & own) >= 0.85 * len(said) and len(said & own) >= 0.7 * len(own):
            return sentence.text
    return quote
