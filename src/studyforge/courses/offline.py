"""The offline engine's course strategies: outline, lessons and checks from source sentences.

Every sentence of a lesson is copied from a source and cited; key concepts are key phrases of
the sources; the only fixed wording (learning objectives, question stems) is listed in the
outline's `templated` field so readers know it is not from the sources.
"""

from __future__ import annotations

import hashlib
from collections import Counter
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
    """Split the sources, in document order, into `num_lessons` contiguous parts."""
    n = int(inputs["num_lessons"])
    sentences = _sentences(inputs["sources"])
    if len(sentences) < n:
        raise NotEnoughSources(
            f"the matching sources hold {len(sentences)} sentences, too few for {n} lessons"
        )
    by_index = {s["index"]: s for s in inputs["sources"]}
    size = len(sentences) / n
    groups = [sentences[round(i * size) : round((i + 1) * size)] for i in range(n)]
    titles: set[str] = set()
    lessons = []
    for group in groups:
        text = " ".join(t for _, t in group)
        concepts = keyphrases(text, 5) or [inputs["topic"]]
        used = list(dict.fromkeys(i for i, _ in group))
        headings = Counter(by_index[i].get("heading") for i in used if by_index[i].get("heading"))
        title = headings.most_common(1)[0][0] if headings else concepts[0].capitalize()
        title = _unique(title, titles)
        central = central_sentences([t for _, t in group], 1)
        lessons.append(
            {
                "title": title,
                "description": group[central[0]][1] if central else group[0][1],
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


def _unique(title: str, seen: set[str]) -> str:
    base, number = title[:280], 2
    while title in seen:
        title, number = f"{base} (part {number})", number + 1
    seen.add(title)
    return title


def lesson(inputs: dict[str, Any]) -> dict[str, Any]:
    """The lesson's most central, non-redundant source sentences as cited paragraphs."""
    sentences = _sentences(inputs["sources"])
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
            found.append(
                {
                    "kind": "true_false",
                    "question": f"True or false: {text}",
                    "options": ["True", "False"],
                    "answer": "True",
                    "explanation": text,
                    "source": index,
                }
            )
        concepts.remove(concept)
        if len(found) >= 3 or not concepts:
            break
    if not found:
        index, text = _sentences(inputs["sources"])[0]
        found.append(
            {
                "kind": "true_false",
                "question": f"True or false: {text}",
                "options": ["True", "False"],
                "answer": "True",
                "explanation": text,
                "source": index,
            }
        )
    return {"checks": found}


def _shuffle(options: list[str], seed: str) -> list[str]:
    """A deterministic shuffle, so the answer is not always first."""
    return sorted(options, key=lambda o: hashlib.sha256((seed + o).encode()).hexdigest())
