"""The offline engine's lesson text and check questions, from the lesson's own sections.

A lesson keeps its sources' order: the most central prose sentences of each passage, and every
code example as a fenced block right under the sentence that introduces it. Questions ask about
the lesson's key terms in prose sentences: a cloze with distractors drawn from other terms of
the course, and true/false statements, false ones made by swapping in another term (the
explanation quotes the source sentence). Question stems are fixed wording.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from studyforge.ai.offline.terms import defined_terms, worked_example
from studyforge.ai.offline.text import central_sentences
from studyforge.courses.offline import Source, prose_sentences, title_of

MAX_PROSE_SENTENCES = 14
MAX_CODE_BLOCKS = 10
MAX_CODE_LINES = 60
MAX_CHECKS = 3
MAX_LIST_CHARS = 1500


def lesson(inputs: dict[str, Any]) -> dict[str, Any]:
    """Sections (one per heading when the lesson spans several) of cited paragraphs and code."""
    sources: list[Source] = inputs["sources"]
    plan = inputs["lesson"]
    code = _kept_code(sources)
    keep = _chosen_sentences(sources, code)
    headings = list(dict.fromkeys(s.get("heading") for s in sources))
    sections: list[dict[str, Any]] = []
    for source in sources:
        heading = title_of(source.get("heading")) if len(headings) > 1 else ""
        if not sections or sections[-1]["heading"] != heading:
            sections.append({"heading": heading, "paragraphs": []})
        paragraphs = sections[-1]["paragraphs"]
        if source.get("kind") == "code":
            if source["index"] in code:
                paragraphs.append({"text": source["text"], "citations": [source["index"]],
                                   "kind": "code", "lang": source.get("lang")})  # fmt: skip
            continue
        if source.get("kind") == "list":
            if len(source["text"]) <= MAX_LIST_CHARS:
                paragraphs.append({"text": source["text"], "citations": [source["index"]],
                                   "kind": "list"})  # fmt: skip
            continue
        picked = [t for t in _sentences(source) if t in keep.get(source["index"], ())]
        if picked:
            paragraphs.append({"text": " ".join(picked), "citations": [source["index"]]})
    sections = [s for s in sections if s["paragraphs"]]
    terms = _term_lines(plan.get("key_concepts", []), sources)
    if terms:
        sections.append({"heading": "Key terms", "paragraphs": terms})
    return {"sections": sections, "summary": _summary(sources, plan.get("description", ""))}


def _sentences(source: Source) -> list[str]:
    return [t for _, t in prose_sentences([source])]


def _kept_code(sources: list[Source]) -> set[int]:
    """The source indexes of the code blocks shown: at most MAX_CODE_BLOCKS of those under
    MAX_CODE_LINES, worked examples before lone signature lines (an API page's ten signatures
    must not crowd out the examples that follow them)."""
    code = [s for s in sources if s.get("kind") == "code"]
    fits = [s for s in code if s["text"].count("\n") < MAX_CODE_LINES]
    ranked = sorted(fits, key=lambda s: not worked_example(s["text"]))  # stable: source order
    return {s["index"] for s in ranked[:MAX_CODE_BLOCKS]}


def _chosen_sentences(sources: list[Source], code: set[int]) -> dict[int, set[str]]:
    """Per source index, the sentences to keep: the most central ones overall, plus the
    sentence that introduces each code example or list shown; never a sentence that
    introduces code that is left out ("For example:" with nothing after it)."""
    everything = prose_sentences(sources)
    picked = central_sentences([t for _, t in everything], MAX_PROSE_SENTENCES)
    keep: dict[int, set[str]] = {}
    for i in picked:
        index, text = everything[i]
        keep.setdefault(index, set()).add(text)
    following: list[Source | None] = [*sources[1:], None]
    for before, after in zip(sources, following, strict=True):
        lead = _sentences(before) if before.get("kind", "prose") == "prose" else []
        if not lead:
            continue
        kind = after.get("kind") if after else None
        if kind == "list" or (kind == "code" and after is not None and after["index"] in code):
            keep.setdefault(before["index"], set()).add(lead[-1])
        elif lead[-1].endswith(":"):  # what it introduces is not shown (or in another lesson)
            keep.get(before["index"], set()).discard(lead[-1])
    return keep


def _term_lines(concepts: list[str], sources: list[Source]) -> list[dict[str, Any]]:
    """For each key term, the sentence that defines it, else the fullest one that uses it."""
    lines: list[dict[str, Any]] = []
    sentences = [(i, t) for i, t in prose_sentences(sources, lists=True) if not t.endswith(":")]
    for concept in concepts:
        using = [(i, t) for i, t in sentences if _contains(t, concept) and len(t.split()) >= 6]
        if not using:
            continue
        defining = [(i, t) for i, t in using if concept.lower() in
                    (d.lower() for d in defined_terms([t]))]  # fmt: skip
        index, text = (defining or sorted(using, key=lambda x: -min(len(x[1].split()), 30)))[0]
        if any(str(line["text"]).endswith(f": {text}") for line in lines):
            continue  # one sentence explains one term here
        lines.append({"text": f"{concept}: {text}", "citations": [index]})
    return lines


def _summary(sources: list[Source], description: str) -> str:
    """The lesson's most central statement other than its description."""
    sentences = [t for _, t in prose_sentences(sources) if t != description]
    full = [t for t in sentences if len(t.split()) >= 6 and not t.endswith(":")] or sentences
    picked = central_sentences(full, 1)
    return full[picked[0]] if picked else ""


def checks(inputs: dict[str, Any]) -> dict[str, Any]:
    """Up to three questions about the lesson's key terms (see the module docstring)."""
    concepts = [c for c in inputs["lesson"].get("key_concepts", []) if c]
    pool = list({c.lower(): c for c in [*inputs.get("other_concepts", []), *concepts]}.values())
    found: list[dict[str, Any]] = []
    for index, text in prose_sentences(inputs["sources"], lists=True):
        words = len(text.split())
        concept = next((c for c in concepts if _contains(text, c)), None)
        if concept is None or not 8 <= words <= 45 or text.endswith(":"):
            continue
        others = [c for c in pool if not _contains(text, c) and not _overlap(c, concept)]
        others.sort(key=lambda c: (abs(c.count(" ") - concept.count(" ")), _digest(text + c)))
        if len(found) % 2 == 0 and len(others) >= 2:
            found.append(_cloze(index, text, concept, others[:3]))
        else:
            found.append(_true_false(index, text, concept, others[:1]))
        concepts.remove(concept)
        if len(found) >= MAX_CHECKS or not concepts:
            break
    if not found:
        found.append(_fallback_check(inputs["sources"]))
    return {"checks": found}


def _fallback_check(sources: list[Source]) -> dict[str, Any]:
    """A lesson with no question on a key term: a statement of it to judge, or (a lesson of
    examples only) a templated question on its first example."""
    statements = prose_sentences(sources, lists=True)
    full = [(i, t) for i, t in statements if len(t.split()) >= 6] or statements
    if full:
        return _true_false(*full[0], concept=None, others=[])
    first = next(s for s in sources)
    return {
        "kind": "short_answer",
        "question": "In your own words: what does the first example of this lesson do?",
        "options": [],
        "answer": "Compare your answer with the example and the text around it in the source.",
        "explanation": first["text"][:500],
        "source": first["index"],
    }


def _overlap(a: str, b: str) -> bool:
    return a.lower() in b.lower() or b.lower() in a.lower()


def _whole(concept: str) -> re.Pattern[str]:
    """The concept as whole words ("error message" is not in "error messages")."""
    return re.compile(rf"(?<![\w-]){re.escape(concept)}(?![\w-])", re.IGNORECASE)


def _contains(text: str, concept: str) -> bool:
    return _whole(concept).search(text) is not None


def _blank(text: str, concept: str, replacement: str) -> str:
    return _whole(concept).sub(lambda _: replacement, text, count=1)


def _cloze(index: int, text: str, concept: str, others: list[str]) -> dict[str, Any]:
    options = sorted([concept, *others], key=lambda o: _digest(text + o))
    return {
        "kind": "multiple_choice",
        "question": f"Fill in the blank: {_blank(text, concept, '_____')}",
        "options": options,
        "answer": concept,
        "explanation": text,
        "source": index,
    }


def _true_false(index: int, text: str, concept: str | None, others: list[str]) -> dict[str, Any]:
    """The source statement, or (every other time, when a swap is possible) the statement with
    another term swapped in, which makes it false."""
    false = bool(concept and others and int(_digest(text), 16) % 2)
    statement = _blank(text, concept, others[0]) if false and concept else text
    return {
        "kind": "true_false",
        "question": f"True or false: {statement}",
        "options": ["True", "False"],
        "answer": "False" if false else "True",
        "explanation": text if not false else f"The source says: {text}",
        "source": index,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]
