"""The offline engine's course strategies: outline, lessons and checks from source sentences.

Every sentence of a lesson is copied from a source and cited; key concepts are key phrases of
the sources; the only fixed wording (learning objectives, question stems) is listed in the
outline's `templated` field so readers know it is not from the sources.
"""

from __future__ import annotations

import hashlib
from typing import Any

from studyforge.ai.offline.text import central_sentences, keyphrases, split_sentences

Source = dict[str, Any]
MAX_LESSON_SENTENCES = 9
PARAGRAPH_SENTENCES = 3


class NotEnoughSources(ValueError):
    """The sources hold fewer sentences than the course has lessons."""


def _sentences(sources: list[Source]) -> list[tuple[int, str]]:
    """(source index, sentence) in document order."""
    ordered = sorted(sources, key=lambda s: (s["path"], s.get("page") or 0, s.get("start", 0)))
    return [(s["index"], sent.text) for s in ordered for sent in split_sentences(s["text"])]


def outline(inputs: dict[str, Any]) -> dict[str, Any]:
    """One lesson per section of the sources (merged or split to `num_lessons`), in order."""
    n = int(inputs["num_lessons"])
    sentences = _sentences(inputs["sources"])
    if len(sentences) < n:
        raise NotEnoughSources(
            f"the matching sources hold {len(sentences)} sentences, too few for {n} lessons"
        )
    by_index = {s["index"]: s for s in inputs["sources"]}
    titles: set[str] = set()
    lessons = []
    for group in _partition(_segments(sentences, by_index), n):
        text = " ".join(t for segment in group for _, t in segment)
        main = max(group, key=len)
        concepts = keyphrases(text, 5) or [inputs["topic"]]
        headings = list(
            dict.fromkeys(h for seg in group if (h := by_index[seg[0][0]].get("heading")))
        )
        title = _unique(_join_titles(headings) or concepts[0].capitalize(), titles)
        central = _central(main)
        used = list(dict.fromkeys(i for segment in group for i, _ in segment))
        lessons.append(
            {
                "title": title,
                "description": central,
                "key_concepts": concepts,
                "learning_objectives": [f"Explain {c}" for c in concepts[:3]],
                "sources": used,
            }
        )
    everything = [t for _, t in sentences]
    lead = central_sentences(everything, 1)
    return {
        "course_title": inputs["topic"].strip()[:300],
        "description": everything[lead[0]] if lead else everything[0],
        "lessons": lessons,
        "templated": ["course_title", "learning_objectives"],
    }


Segment = list[tuple[int, str]]


def _join_titles(headings: list[str]) -> str:
    """ "A", "A and B", "A, B and C", or "A, B and more"."""
    if len(headings) <= 1:
        return headings[0] if headings else ""
    if len(headings) > 3:
        return f"{headings[0]}, {headings[1]} and more"
    return ", ".join(headings[:-1]) + " and " + headings[-1]


def _central(segment: Segment) -> str:
    """The most central full sentence of a segment (headings are not descriptions)."""
    full = [t for _, t in segment if len(t.split()) >= 6] or [t for _, t in segment]
    picked = central_sentences(full, 1)
    return full[picked[0]] if picked else full[0]


def _segments(sentences: list[tuple[int, str]], by_index: dict[int, Source]) -> list[Segment]:
    """Runs of sentences from one section (same document and heading, else same page)."""
    segments: list[Segment] = []
    last = None
    for index, text in sentences:
        source = by_index[index]
        key = (source["path"], source.get("heading") or source.get("page"))
        if segments and key == last:
            segments[-1].append((index, text))
        else:
            segments.append([(index, text)])
        last = key
    return segments


def _partition(segments: list[Segment], n: int) -> list[list[Segment]]:
    """Exactly `n` groups of consecutive segments of similar size (splitting if too few)."""
    segments = list(segments)
    while len(segments) < n:  # split the largest segment in two
        k = max(range(len(segments)), key=lambda i: len(segments[i]))
        half = len(segments[k]) // 2
        segments[k : k + 1] = [segments[k][:half], segments[k][half:]]
    target = sum(len(s) for s in segments) / n
    groups: list[list[Segment]] = []
    current: list[Segment] = []
    for k, segment in enumerate(segments):
        current.append(segment)
        left, to_make = len(segments) - k - 1, n - len(groups) - 1
        size = sum(len(s) for s in current)
        if to_make > 0 and (left == to_make or (size >= target and left >= to_make)):
            groups.append(current)
            current = []
    groups.append(current)
    return groups


def _unique(title: str, seen: set[str]) -> str:
    base, number = title[:280], 2
    while title in seen:
        title, number = f"{base} (part {number})", number + 1
    seen.add(title)
    return title


def lesson(inputs: dict[str, Any]) -> dict[str, Any]:
    """The lesson's most central, non-redundant source sentences as cited paragraphs."""
    everything = _sentences(inputs["sources"])
    # Headings and captions are not statements: they make poor lesson text.
    sentences = [(i, t) for i, t in everything if t.endswith((".", "!", "?"))] or everything
    picked = [
        sentences[i] for i in central_sentences([t for _, t in sentences], MAX_LESSON_SENTENCES)
    ]
    paragraphs = [
        {"text": " ".join(t for _, t in chunk), "citations": sorted({i for i, _ in chunk})}
        for chunk in (
            picked[k : k + PARAGRAPH_SENTENCES] for k in range(0, len(picked), PARAGRAPH_SENTENCES)
        )
    ]
    plan = inputs["lesson"]
    concept_lines = []
    for concept in plan.get("key_concepts", []):
        for index, text in sentences:
            if concept.lower() in text.lower():
                concept_lines.append({"text": f"{concept}: {text}", "citations": [index]})
                break
    sections = [{"heading": "Key ideas", "paragraphs": paragraphs}]
    if concept_lines:
        sections.append({"heading": "Key concepts", "paragraphs": concept_lines})
    return {"sections": sections, "summary": plan.get("description", "")}


def checks(inputs: dict[str, Any]) -> dict[str, Any]:
    """Multiple choice (cloze on a key concept) and true/false questions from key sentences."""
    concepts = [c for c in inputs["lesson"].get("key_concepts", []) if c]
    pool = list(dict.fromkeys(concepts + list(inputs.get("other_concepts", []))))
    found: list[dict[str, Any]] = []
    for index, text in _sentences(inputs["sources"]):
        concept = next((c for c in concepts if c.lower() in text.lower()), None)
        if concept is None or len(text.split()) < 6:
            continue
        start = text.lower().index(concept.lower())
        stem = text[:start] + "_____" + text[start + len(concept) :]
        distractors = [c for c in pool if c.lower() not in text.lower()][:3]
        if len(distractors) >= 2:
            options = _shuffle([concept, *distractors], text)
            found.append(
                {
                    "kind": "multiple_choice",
                    "question": f"Fill in the blank: {stem}",
                    "options": options,
                    "answer": concept,
                    "explanation": text,
                    "source": index,
                }
            )
        else:
            found.append(_true_false(index, text))
        concepts.remove(concept)
        if len(found) >= 3 or not concepts:
            break
    if not found:
        index, text = _sentences(inputs["sources"])[0]
        found.append(_true_false(index, text))
    return {"checks": found}


def _true_false(index: int, text: str) -> dict[str, Any]:
    """A true statement copied from the source (the offline engine never invents a false one)."""
    return {
        "kind": "true_false",
        "question": f"True or false: {text}",
        "options": ["True", "False"],
        "answer": "True",
        "explanation": text,
        "source": index,
    }


def _shuffle(options: list[str], seed: str) -> list[str]:
    """A deterministic shuffle, so the answer is not always first."""
    return sorted(options, key=lambda o: hashlib.sha256((seed + o).encode()).hexdigest())
