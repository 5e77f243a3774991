"""What a local model may phrase in a course, and the checks its drafts must pass.

The offline engine has already chosen the sections, facts, passages and questions. The model
words learning objectives, a lesson summary, one explanation per code example (at most
EXPLAINED per lesson) and distractors for cloze questions. A summary or explanation must come
with a quote copied word for word from the lesson's sources, and its content words must be found
there; objectives must start with a teaching verb and stay within the lesson's words;
distractors must be distinct, not the answer, and must not make the source sentence true.
Anything that fails keeps the extractive text, and the drafter records the fallback.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from studyforge.ai.llm import Drafter
from studyforge.ai.offline.terms import code_like
from studyforge.ai.offline.text import content_words
from studyforge.courses.prompts import Checks, LessonContent, Outline, Paragraph

EXPLAINED = 1
CONTEXT_CHARS = 2400
_VERB_TEXT = """explain describe use write identify compare apply recognise recognize define
predict handle create choose distinguish list read trace fix debug practise practice raise catch
test outline summarise summarize interpret analyse analyze evaluate"""
VERBS = frozenset(_VERB_TEXT.split())


def _strings(name: str, low: int, high: int) -> dict[str, Any]:
    items = {"type": "array", "items": {"type": "string"}, "minItems": low, "maxItems": high}
    return {"type": "object", "properties": {name: items}, "required": [name]}


QUOTED = {"type": "object", "required": ["text", "quote"],
           "properties": {"text": {"type": "string"}, "quote": {"type": "string"}}}  # fmt: skip


def _flat(text: str) -> str:
    return " ".join(text.replace("`", "").split()).lower()


def supported(text: str, source: str, share: float) -> bool:
    """True if at least `share` of the text's content words occur in the source."""
    words = set(content_words(text))
    known = set(content_words(source))
    stems = {w.rstrip("s") for w in known}
    found = sum(1 for w in words if w in known or w.rstrip("s") in stems)
    return bool(words) and found / len(words) >= share


def _prose(sources: list[dict[str, Any]]) -> str:
    return "\n\n".join(s["text"] for s in sources if s.get("kind", "prose") == "prose")


def draft_outline(inputs: dict[str, Any], outline: Outline, drafter: Drafter) -> Outline:
    """Objectives phrased by the model for each lesson (templated ones kept where it fails)."""
    by_index = {s["index"]: s for s in inputs["sources"]}
    accepted = 0
    for plan in outline.lessons:
        own = [by_index[i] for i in plan.sources if i in by_index]
        text = _prose(own)[:CONTEXT_CHARS]
        answer = drafter.json(
            f"Write 2 or 3 learning objectives for the lesson '{plan.title}' for "
            f"{inputs['grade_level']} students, based only on the text above. Each objective "
            "is one sentence of 5 to 15 words that starts with a verb such as Explain, "
            "Describe, Use, Identify or Compare.",
            text, _strings("objectives", 2, 3), max_tokens=120,
        )  # fmt: skip
        goals = [" ".join(str(g).split()) for g in (answer or {}).get("objectives", [])]
        good = [g for g in dict.fromkeys(goals) if objective_ok(g, text + " " + plan.title)]
        if len(good) >= 2:
            plan.learning_objectives = good[:4]
            drafter.accept("learning_objectives")
            accepted += 1
        else:
            drafter.fallback("learning_objectives", "no valid JSON" if answer is None
                             else f"{len(good)} of {len(goals)} objectives passed")  # fmt: skip
    if accepted == len(outline.lessons):
        outline.templated = [f for f in outline.templated if f != "learning_objectives"]
    return outline


def objective_ok(goal: str, source: str) -> bool:
    """A drafted objective: 3 to 20 words, a teaching verb first, no code, and 60% of the
    rest's content words in the source."""
    words = goal.split()
    return (
        3 <= len(words) <= 20
        and words[0].lower().strip(",.") in VERBS
        and not code_like(goal.replace("`", ""))
        and supported(" ".join(words[1:]), source, 0.6)
    )


def draft_lesson(inputs: dict[str, Any], content: LessonContent, drafter: Drafter) -> LessonContent:
    """A drafted summary and code explanations, each checked against the sources."""
    sources = inputs["sources"]
    everything = "\n\n".join(s["text"] for s in sources)
    prose = _prose(sources)
    answer = drafter.json(
        f"Summarise the text above in two sentences for {inputs['grade_level']} students, in "
        "`text`. In `quote`, copy word for word the one sentence of the text that best "
        "supports your summary.",
        prose[:CONTEXT_CHARS], QUOTED, max_tokens=160,
    )  # fmt: skip
    reason = quoted_reason(answer, prose, 0.8)
    if reason is None and answer is not None:
        content.summary = " ".join(answer["text"].split())
        drafter.accept("summary")
    else:
        drafter.fallback("summary", reason or "no valid JSON")
    explained = 0
    for section in content.sections:
        for k, paragraph in enumerate(list(section.paragraphs)):
            if paragraph.kind != "code" or explained >= EXPLAINED:
                continue
            explained += 1
            note = _explain(inputs, section.paragraphs, k, everything, drafter)
            if note is not None:
                section.paragraphs.insert(section.paragraphs.index(paragraph) + 1, note)
    return content


def _explain(inputs: dict[str, Any], paragraphs: list[Paragraph], k: int, everything: str,
             drafter: Drafter) -> Paragraph | None:  # fmt: skip
    code = paragraphs[k]
    lead = paragraphs[k - 1].text if k > 0 and paragraphs[k - 1].kind == "prose" else ""
    answer = drafter.json(
        "In `text`, explain in one or two plain sentences what the example above shows, for "
        f"{inputs['grade_level']} students. In `quote`, copy word for word the sentence of the "
        "text that introduces the example.",
        f"{lead}\n\n{code.text}"[:CONTEXT_CHARS], QUOTED, max_tokens=140,
    )  # fmt: skip
    reason = quoted_reason(answer, everything, 0.75)
    if reason is not None or answer is None:
        drafter.fallback("explanation", reason or "no valid JSON")
        return None
    drafter.accept("explanation")
    text = " ".join(answer["text"].split())
    return Paragraph(text=text, citations=code.citations, kind="prose", drafted=True)


def quoted_reason(answer: dict[str, Any] | None, source: str, share: float) -> str | None:
    """Why a drafted text with its quote is not usable, or None if it is."""
    if answer is None:
        return "no valid JSON"
    text, quote = str(answer.get("text", "")), str(answer.get("quote", ""))
    if not 6 <= len(text.split()) <= 80:
        return "the text is too short or too long"
    if len(quote.split()) < 4 or _flat(quote) not in _flat(source):
        return "the quote is not in the sources word for word"
    if code_like(re.sub(r"`[^`]*`", "x", text)):
        return "the text reads as code"
    if not supported(text, source, share):
        return "the text uses words the sources do not"
    return None


def draft_checks(inputs: dict[str, Any], checks: Checks, drafter: Drafter) -> Checks:
    """Distractors phrased by the model for cloze questions, when they pass the checks."""
    everything = _flat(" ".join(s["text"] for s in inputs["sources"]))
    for check in checks.checks:
        if check.kind != "multiple_choice" or "_____" not in check.question:
            continue
        stem = check.question.removeprefix("Fill in the blank: ")
        answer = drafter.json(
            f"The blank in this sentence is '{check.answer}'. Give 3 different wrong answers "
            "of the same kind (1 to 4 words each) that a student might confuse with it.",
            stem, _strings("distractors", 3, 3), max_tokens=60,
        )  # fmt: skip
        offered = [" ".join(str(d).split()) for d in (answer or {}).get("distractors", [])]
        good = [d for d in dict.fromkeys(offered) if _distractor_ok(d, check.answer, stem,
                                                                   everything)]  # fmt: skip
        if len(good) >= 2:
            keep = [o for o in check.options if o != check.answer][: 3 - min(len(good), 3)]
            options = [check.answer, *good[:3], *keep][:4]
            check.options = sorted(options, key=lambda o: hashlib.sha256(
                (stem + o).encode()).hexdigest())  # fmt: skip
            drafter.accept("distractors")
        else:
            drafter.fallback("distractors", f"{len(good)} of {len(offered)} distractors passed")
    return checks


def _distractor_ok(option: str, answer: str, stem: str, everything: str) -> bool:
    low, right = option.lower(), answer.lower()
    if not 1 <= len(option.split()) <= 5 or low in right or right in low:
        return False
    if low in stem.lower() or (code_like(option) and not code_like(answer)):
        return False
    # A distractor that makes the source sentence true is a second right answer.
    return _flat(stem.replace("_____", option)) not in everything
