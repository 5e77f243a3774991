"""Stage 2 of repository → course, offline: what one document teaches, read from its structure.

`analyze_offline` fills the fields of the `analyzed_documents` table without a model, the
way DESIGN §4 and §6 ask (the wording rules are in `repo_courses.wording`): every title,
concept, summary sentence and prerequisite is copied from the document; code is never read
for them. The one fixed wording is an objective built as "Understand <heading>", and
`templated` lists each such item ("learning_objectives[2]"). The type comes from the path and
the structure, the level from measurements (`complexity`). `chunk` cuts a long document at
section boundaries (the LLM path reads it in parts) and `merge` joins the parts' analyses
into one of the same shape.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from studyforge.ai.offline.terms import code_like, verb_form
from studyforge.ai.offline.text import central_sentences, content_words, split_sentences
from studyforge.documents.blocks import Block
from studyforge.repo_courses.doctype import LEVELS, complexity, doc_type
from studyforge.repo_courses.structure import DocStructure, sections_of
from studyforge.repo_courses.wording import (
    MAX_CONCEPTS,
    MAX_OBJECTIVES,
    MAX_RELATED,
    NOT_TAUGHT,
    item_texts,
    key_concepts,
    objectives,
    summary,
    teaching_text,
    topic,
    unique,
    word_count,
)

_PREREQ_HEADING = re.compile(
    r"^(?:prerequisites?|requirements|system requirements|dependencies|before you (?:begin|start)"
    r"|what you(?:'ll| will)? need)$",
    re.I,
)
_CLAUSE = r"([^.;:!?()\[\]]{2,90})"
_PREREQ_PATTERNS = [
    re.compile(r"\b(?:requires?|required|needs?|supports?)\s+(?:at least\s+)?(Python\s+\d+(?:"
               r"\.\d+)*(?:\s+(?:or|and)\s+(?:newer|later|higher|above|greater))?)", re.I),
    re.compile(r"\b(?:you|your|reader|readers|assum\w*|requir\w*|expect\w*|should|need)\b.*?\b"
               r"(?:familiar(?:ity)? with|knowledge of|experience (?:with|in)|comfortable with|"
               r"understanding of)\s+" + _CLAUSE, re.I),
    re.compile(r"\byou (?:should|need to|must|will need to|'ll need to|have to) (?:already )?"
               r"(?:know|understand|have installed|be familiar with)\s+" + _CLAUSE, re.I),
    re.compile(r"\bassumes? (?:that )?you (?:already )?(?:know|have|understand)\s+" + _CLAUSE,
               re.I),
    re.compile(r"\bbefore (?:you )?(?:begin|start|starting|beginning|continuing|proceeding)"
               r"\b,?\s+(?:you (?:should|need to|must|will need to)\s+)?" + _CLAUSE, re.I),
]  # fmt: skip
_PREREQ_CUT = re.compile(
    r"\s+(?:and then|then|to (?:get|follow|use|build|learn|make)|so|which|that|because|if|when|"
    r"but|in order|as well|is a|are|you|we|it|they|there)\b.*$",
    re.I,
)
_LINK_CUE = re.compile(
    r"\b(?:before|first|prerequisite|familiar|already|get(?:ting)? started with|start with|"
    r"assum\w*|requir\w*)\b",
    re.I,
)
_CODE_MARK = re.compile(r"[(){}\[\]<>=$]|\w_\w|[A-Za-z]\.[A-Za-z]|>>>|::")


@dataclass
class DocAnalysis:
    """One row of `analyzed_documents` (plus the outline, links and templated marks)."""

    title: str
    doc_type: str
    complexity_level: str
    key_concepts: list[str] = field(default_factory=list)
    learning_objectives: list[str] = field(default_factory=list)
    summary: str = ""
    prerequisites: list[str] = field(default_factory=list)
    related_topics: list[str] = field(default_factory=list)
    word_count: int = 0
    code_count: int = 0  # code examples (pathways time them)
    headings: list[str] = field(default_factory=list)  # heading paths "A > B", in order
    links: list[str] = field(default_factory=list)
    toctree: list[str] = field(default_factory=list)
    templated: list[str] = field(default_factory=list)  # fields holding fixed wording

    def as_dict(self) -> dict[str, Any]:
        """The analysis as plain JSON-ready values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocAnalysis:
        """An analysis from `as_dict` output (unknown keys ignored, missing ones defaulted)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("title", "")
        values.setdefault("doc_type", "other")
        values.setdefault("complexity_level", "intermediate")
        return cls(**values)


# --- what it needs, what it leads to ----------------------------------------------------------


def _phrase(raw: str, version: bool = False) -> str | None:
    """A prerequisite phrase: cut before a clause or verb goes on, at most 8 words, no code
    ("Python 3.9 and newer" is a `version` and kept whole)."""
    text = raw.replace("`", "").strip(" ,-\u2013\u2014")
    if not version:
        words = _PREREQ_CUT.sub("", text).split()
        cut = next((i for i, w in enumerate(words) if i and verb_form(w, True)), len(words))
        text = re.sub(r"^(?:the|a|an|some|basic|how to)\s+", "", " ".join(words[:cut]), flags=re.I)
        if _CODE_MARK.search(text):  # a package name in CamelCase ("MarkupSafe") is fine here
            return None
    return text if 0 < len(text.split()) <= 8 and content_words(text) else None


def prerequisites(structure: DocStructure) -> list[str]:
    """What the document says it needs, as short phrases found in it, then the documents it
    links to from a "before you start" / "first read" context. Possibly empty."""
    found: list[str] = []
    for text in teaching_text(structure):
        for sentence in split_sentences(text):
            for n, pattern in enumerate(_PREREQ_PATTERNS):
                for match in pattern.finditer(sentence.text):
                    lead = sentence.text[: match.start()]
                    if not re.search(r"\b(?:if|unless|whether|once|when)\b", lead, re.I):
                        found.append(_phrase(match.group(1), version=n == 0) or "")
    for section in structure.sections:
        if _PREREQ_HEADING.match(topic(section.title)):
            for block in (b for b in section.blocks if b.kind == "list"):
                found += [_phrase(re.split(r":|\s[-\u2013\u2014]\s", x)[0]) or ""
                          for x in item_texts(block)]  # fmt: skip
    named = [w.lower() for w in structure.link_text.values() if w]
    found = [f for f in found if f and not any(n in f.lower() for n in named)]  # the link says it
    found += [p for p in structure.links if _LINK_CUE.search(structure.link_context.get(p, ""))]
    return unique(found)


def related_topics(structure: DocStructure, leftover: list[str]) -> list[str]:
    """The linked documents (by the link's own words, else by path), :ref: labels in words,
    then the key terms that did not make the concepts."""
    names: list[str] = []
    for path in structure.links:
        words = re.sub(r"^(?:the|a|an)\s+", "", structure.link_text.get(path, ""), flags=re.I)
        weak = not words or code_like(words) or len(words.split()) > 8
        weak = weak or words.lower() in ("here", "this", "link", "docs", "this page")
        names.append(path if weak else words)
    refs = [re.sub(r"[-_]+", " ", r.split(":")[-1]) for r in structure.refs]
    terms = [t for t in leftover if " " in t or t[:1].isupper()][:5]
    return unique([*names[:MAX_RELATED], *refs[:5], *terms])


# --- the whole document, chunks and their merge ----------------------------------------------


def analyze_offline(
    path: str, structure: DocStructure, complexity_level: str, additional_info: str | None
) -> DocAnalysis:
    """What `structure` (the document at `path`) teaches, extractively (module docstring);
    `complexity_level` only breaks ties, `additional_info` only reorders the concepts."""
    kind = doc_type(path, structure)
    concepts, leftover = key_concepts(structure, additional_info)
    if kind in NOT_TAUGHT:  # a changelog's "Fix bug" or a licence's "Software" teach nothing
        concepts, leftover = [], []
    goals, templated = objectives(structure, kind, concepts)
    return DocAnalysis(
        title=structure.title, doc_type=kind,
        complexity_level=complexity(structure, kind, complexity_level),
        key_concepts=concepts, learning_objectives=goals,
        summary="" if kind == "changelog" else summary(structure),
        prerequisites=prerequisites(structure),
        related_topics=[t for t in related_topics(structure, leftover)
                        if t.lower() not in {c.lower() for c in concepts}],
        word_count=word_count(structure), code_count=structure.code_count,
        headings=[s.heading for s in structure.sections if s.level],
        links=list(structure.links), toctree=list(structure.toctree),
        templated=[f"learning_objectives[{i}]" for i in templated],
    )  # fmt: skip


def chunk(structure: DocStructure, max_words: int) -> list[DocStructure]:
    """The document cut into parts of at most `max_words` words (all text, code included),
    whole sections together where they fit: a part that would overflow is cut at its last
    section boundary; only a section longer than `max_words` is cut between its blocks (a
    single longer block is a part of its own). Each part keeps the document's title, links,
    toctree and directives, and every block keeps its heading path."""
    parts: list[list[Block]] = [[]]
    size = 0
    for block in structure.blocks:
        words = len(block.text.split())
        if parts[-1] and size + words > max_words:
            current = parts[-1]
            cut = max((i for i, b in enumerate(current) if b.kind == "heading" and i), default=0)
            if block.kind == "heading" or not cut:
                parts.append([])
            else:  # carry the unfinished section over
                parts[-1:] = [current[:cut], current[cut:]]
            size = sum(len(b.text.split()) for b in parts[-1])
            if parts[-1] and size + words > max_words:
                parts.append([])
                size = 0
        parts[-1].append(block)
        size += words
    return [
        dataclasses.replace(structure, blocks=blocks, sections=sections_of(blocks),
                            code_blocks=[b for b in blocks if b.kind == "code"])
        for blocks in parts if blocks
    ]  # fmt: skip


def merge(parts: list[DocAnalysis]) -> DocAnalysis:
    """One analysis from those of a document's chunks, in order. Concepts and objectives are
    taken in turn from each part (so a long tail of chunks is heard), objectives then put
    back in source order and still marked templated where they were; the summary is the
    first part's lead sentence and the most central of the other parts' sentences; type and
    level are the parts' weighted by their word counts; the other lists are joined."""
    if not parts:
        raise ValueError("nothing to merge")
    weights: Counter[str] = Counter()
    level = 0.0
    for part in parts:
        weights[part.doc_type] += part.word_count or 1
        level += LEVELS.index(part.complexity_level) * (part.word_count or 1)
    total = sum(p.word_count or 1 for p in parts)
    kind = max(weights, key=lambda k: (weights[k], -[p.doc_type for p in parts].index(k)))
    sentences = [s.text for p in parts for s in split_sentences(p.summary)]
    rest = sentences[1:]
    picked = [0, *(i + 1 for i in central_sentences(rest, 2))] if sentences else []
    while len(picked) > 1 and sum(len(sentences[i].split()) for i in picked) > 80:
        picked.pop()
    concepts = _round_robin([p.key_concepts for p in parts])[:MAX_CONCEPTS]
    chosen = set(_round_robin([p.learning_objectives for p in parts])[:MAX_OBJECTIVES])
    goals = unique(o for p in parts for o in p.learning_objectives if o in chosen)
    fixed = {p.learning_objectives[int(m[1])] for p in parts for t in p.templated
             if (m := re.fullmatch(r"learning_objectives\[(\d+)\]", t))
             and int(m[1]) < len(p.learning_objectives)}  # fmt: skip
    other = {t for p in parts for t in p.templated if not t.startswith("learning_objectives[")}
    related = unique(t for p in parts for t in p.related_topics)
    return DocAnalysis(
        title=parts[0].title, doc_type=kind, complexity_level=LEVELS[round(level / total)],
        key_concepts=concepts, learning_objectives=goals,
        summary=" ".join(sentences[i] for i in picked),
        prerequisites=unique(x for p in parts for x in p.prerequisites),
        related_topics=[t for t in related if t.lower() not in {c.lower() for c in concepts}],
        word_count=sum(p.word_count for p in parts),
        code_count=sum(p.code_count for p in parts),
        headings=list(dict.fromkeys(h for p in parts for h in p.headings)),
        links=unique(x for p in parts for x in p.links),
        toctree=unique(x for p in parts for x in p.toctree),
        templated=[f"learning_objectives[{i}]" for i, o in enumerate(goals) if o in fixed]
        + sorted(other),
    )  # fmt: skip


def _round_robin(lists: list[list[str]]) -> list[str]:
    """Items taken in turn from each list (first items first), without repeats."""
    longest = max((len(x) for x in lists), default=0)
    return unique(x[i] for i in range(longest) for x in lists if i < len(x))
