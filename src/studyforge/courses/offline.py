"""The offline engine's course outline: one lesson per section of the sources, in their order.

Sources arrive as whole sections in document order (`courses.sources`). Each section (a run of
passages under one heading) becomes a lesson titled by its heading; sections are merged with a
neighbour or split in parts to reach the number of lessons asked for. Sources without headings
are cut where neighbouring passages share the fewest words and named by a key term found in
them. Descriptions and summaries are source sentences; key concepts are terms of the text
(`ai.offline.terms`); only the learning objectives are fixed wording, listed in `templated`.
"""

from __future__ import annotations

import re
from typing import Any

from studyforge.ai.offline.terms import code_like, defined_terms, key_terms, strip_numbering
from studyforge.ai.offline.text import content_words, split_sentences

Source = dict[str, Any]
Segment = list[Source]


class NotEnoughSources(ValueError):
    """The sources cannot be divided into as many lessons as asked."""


def outline(inputs: dict[str, Any]) -> dict[str, Any]:
    """The course outline built from the sources' own sections (see the module docstring)."""
    n = int(inputs["num_lessons"])
    sources: list[Source] = inputs["sources"]
    groups = _partition(_segments(sources), n)
    paths = [s.get("heading") or "" for s in sources]
    lessons = [_plan(group, paths) for group in groups]
    _number_parts(lessons)
    statements = [s for s in prose_sentences(sources) if len(s[1].split()) >= 6]
    return {
        "course_title": inputs["topic"].strip()[:300],
        "description": statements[0][1] if statements else lessons[0]["description"],
        "lessons": lessons,
        "templated": ["course_title", "learning_objectives"],
    }


def prose_sentences(sources: list[Source], lists: bool = False) -> list[tuple[int, str]]:
    """(source index, sentence) of the prose sources (and list items, with `lists`), in
    order; code is never a sentence, nor is a line without closing punctuation (a caption,
    "Author: ..."), except a list item."""
    kinds = ("prose", "list") if lists else ("prose",)
    return [
        (s["index"], text)
        for s in sources
        if s.get("kind", "prose") in kinds
        for text in _statements(s)
        if not code_like(text)
    ]


def _statements(source: Source) -> list[str]:
    if source.get("kind") == "list":
        return [re.sub(r"^\s*(?:[-*]|\d+[.)])\s+", "", line) for line in source["text"].split("\n")
                if line.strip()]  # fmt: skip
    return [
        x.text for x in split_sentences(source["text"]) if x.text.endswith((".", "!", "?", ":"))
    ]


def title_of(heading: str | None) -> str:
    """A lesson title from a heading path: its last heading, without its number."""
    return strip_numbering((heading or "").rsplit(" > ", 1)[-1])


def _segments(sources: list[Source]) -> list[Segment]:
    """Runs of sources under one heading of one document; heading-less documents are cut
    into topical runs later, by `_split`."""
    segments: list[Segment] = []
    for source in sources:
        key = (source.get("document_id"), source.get("heading"))
        last = segments[-1][-1] if segments else None
        if last is not None and (last.get("document_id"), last.get("heading")) == key:
            segments[-1].append(source)
        else:
            segments.append([source])
    return segments


def _partition(segments: list[Segment], n: int) -> list[list[Segment]]:
    """Exactly `n` groups of consecutive segments: the smallest neighbours merged, the
    largest split, until the count is right."""
    groups = [[segment] for segment in segments]
    while len(groups) > n:
        sizes = [_size(g) for g in groups]
        k = min(range(len(groups) - 1), key=lambda i: (sizes[i] + sizes[i + 1], i))
        groups[k : k + 2] = [groups[k] + groups[k + 1]]
    while len(groups) < n:
        k = max(range(len(groups)), key=lambda i: _size(groups[i]))
        parts = _split(groups[k])
        if parts is None:
            raise NotEnoughSources(
                f"the documents that cover this topic hold {len(groups)} "
                f"section{'s' if len(groups) != 1 else ''}, too few for {n} lessons; ask for "
                f"{'one lesson' if len(groups) == 1 else f'at most {len(groups)} lessons'}"
            )
        groups[k : k + 1] = parts
    return groups


def _size(group: list[Segment]) -> int:
    return sum(len(s["text"]) for segment in group for s in segment)


def _split(group: list[Segment]) -> list[list[Segment]] | None:
    """Two halves of a group: between its segments, or inside its one segment where
    neighbouring passages share the fewest words (parts keep their heading)."""
    if len(group) > 1:
        return [group[: len(group) // 2], group[len(group) // 2 :]]
    segment = group[0]
    if len(segment) < 2:
        return None
    cut = _weakest_link(segment)
    return [[segment[:cut]], [segment[cut:]]]


def _weakest_link(segment: Segment) -> int:
    """Where to cut a run of passages: near its middle, between the least similar pair."""
    bags = [set(content_words(s["text"])) for s in segment]
    middle = len(segment) / 2

    def cost(i: int) -> float:
        overlap = len(bags[i - 1] & bags[i]) / (len(bags[i - 1] | bags[i]) or 1)
        return overlap + abs(i - middle) / len(segment)

    return min(range(1, len(segment)), key=cost)


def _number_parts(lessons: list[dict[str, Any]]) -> None:
    """A section split over several lessons: "Title (part 1)", "Title (part 2)"...; any
    other repeated title gets a number."""
    counts: dict[str, int] = {}
    for plan in lessons:
        counts[plan["title"]] = counts.get(plan["title"], 0) + 1
    numbers: dict[str, int] = {}
    for plan in lessons:
        title = plan["title"]
        if counts[title] > 1:
            numbers[title] = numbers.get(title, 0) + 1
            plan["title"] = f"{title} (part {numbers[title]})"


def _plan(group: list[Segment], paths: list[str]) -> dict[str, Any]:
    """One lesson of the outline from consecutive segments."""
    sources = [s for segment in group for s in segment]
    sentences = prose_sentences(sources)
    prose = " ".join(t for _, t in prose_sentences(sources, lists=True))
    headings = [title_of(h) for seg in group if (h := seg[0].get("heading"))]
    concepts = key_terms(prose, headings, 5)
    title = _title(group, concepts, paths)
    main = max(group, key=lambda seg: _size([seg]))  # the section the lesson is titled by
    description = _description(prose_sentences(main)) if len(group) > 1 else ""
    description = description or _description(sentences)
    has_code = any(s.get("kind") == "code" for s in sources)
    return {
        "title": title,
        "description": description,
        "key_concepts": concepts,
        "learning_objectives": objectives(title, defined_terms(t for _, t in sentences), has_code),
        "sources": [s["index"] for s in sources],
    }


def _title(group: list[Segment], concepts: list[str], paths: list[str]) -> str:
    """The heading of a section that is most of the text, when the rest are its subsections
    ("More on Lists" with its stacks and comprehensions); else the heading of the group's main
    section, or "A and B" for two equal ones, or the parent heading when the group holds all of
    its sections, else "A, B and C" ("and more" beyond three); a key term of the text where
    there are no headings."""
    paths_here = [seg[0].get("heading") or "" for seg in group]
    for path, seg in zip(paths_here, group, strict=True):
        if not path or not all(p == path or p.startswith(path + " > ") for p in paths_here):
            continue
        others = [_size([o]) for p, o in zip(paths_here, group, strict=True) if p != path]
        if _size([seg]) >= max(others, default=0):  # most of the text, with its subsections
            return title_of(path)
    # A chapter's short introduction merged with its first sections does not name the lesson.
    named = [
        (title_of(path), _size([seg]))
        for path, seg in zip(paths_here, group, strict=True)
        if path and not any(other.startswith(path + " > ") for other in paths_here)
    ]
    if not named:
        return concepts[0][:1].upper() + concepts[0][1:] if concepts else "Overview"
    titles = list(dict.fromkeys(t for t, _ in named))
    if len(titles) == 1:
        return titles[0]
    main, size = max(named, key=lambda x: x[1])
    if size * 3 >= 2 * sum(s for _, s in named):  # one section is most of the lesson
        return main
    if len(titles) == 2:
        return f"{titles[0]} and {titles[1]}"
    mine = {seg[0].get("heading") or "" for seg in group}
    parent = _common_parent(sorted(mine))
    if parent and all(p in mine for p in paths if _common_parent([p, *mine]) == parent):
        return strip_numbering(parent.rsplit(" > ", 1)[-1])
    listed = f"{titles[0]}, {titles[1]} and {titles[2]}"
    return listed if len(titles) == 3 else f"{titles[0]}, {titles[1]}, {titles[2]} and more"


def _common_parent(paths: list[str]) -> str:
    """The longest heading path all of `paths` lie under ("" if none)."""
    parts = [p.split(" > ") for p in paths]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return " > ".join(common)


def _description(sentences: list[tuple[int, str]]) -> str:
    """The section's opening statement (a full prose sentence that does not announce code)."""
    full = [t for _, t in sentences if len(t.split()) >= 6 and not t.rstrip().endswith(":")]
    if not full:
        full = [t for _, t in sentences] or ["(This section has no prose: see its examples.)"]
    return full[0]


_GERUND = re.compile(r"^[A-Z][a-z]+ing\b")
# A heading's lead-in that is not what is learnt: "More on Lists" teaches lists.
_LEAD_IN = re.compile(
    r"^(?:more (?:on|about)|(?:an |a )?(?:introduction|intro) to|getting started with|"
    r"(?:the )?basics of|a (?:first |brief |quick )?look at|notes on)\s+(?=\S)",
    re.I,
)


def objectives(title: str, defined: list[str], has_code: bool) -> list[str]:
    """Templated objectives from the title, with a verb that fits the kind of heading."""
    phrase = _lower(_LEAD_IN.sub("", re.sub(r"\s*\(part \d+\)$", "", title)))
    if _GERUND.match(title):
        goals = [f"Practise {phrase}"]
    elif title.lower().startswith(("what ", "how ", "why ", "when ")):
        goals = [f"Answer: {title.rstrip('?')}?"]
    elif re.search(r"\b(?:vs\.?|versus|compared)\b|^differences? between", phrase):
        goals = [f"Compare {phrase}"]
    else:
        goals = [f"Explain {phrase}"]
    goals += [f"Define {term}" for term in defined[:2] if term.lower() not in phrase.lower()]
    if has_code:
        goals.append(f"Read and run the code examples on {phrase}")
    return goals[:4]


def _lower(title: str) -> str:
    """Title case to running text; acronyms and words with inner capitals keep their case."""
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in title.split())
