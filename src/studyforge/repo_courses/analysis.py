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
from studyforge.documents.rst_parts import API
from studyforge.repo_courses.structure import DocStructure, sections_of
from studyforge.repo_courses.wording import (
    MAX_CONCEPTS,
    MAX_OBJECTIVES,
    MAX_RELATED,
    NOT_TAUGHT,
    STEP,
    VERSION,
    item_texts,
    key_concepts,
    objectives,
    summary,
    teaching_text,
    topic,
    unique,
    word_count,
)

DOC_TYPES = ("guide", "tutorial", "api", "reference", "concept", "changelog", "overview",
             "howto", "faq", "contributing", "license", "other")  # fmt: skip
LEVELS = ("beginner", "intermediate", "advanced")
_ADVANCED_TEXT = """
    internals internal low-level metaclass metaclasses descriptor descriptors concurrency
    concurrent thread threads threading asynchronous async await coroutine coroutines
    subclass subclassing subclasses override overriding customizing customising extension
    extensions plugin plugins middleware performance optimization optimisation memory protocol
    protocols serialization serialisation signals proxy proxies architecture scalability
    advanced lifecycle dispatch dispatching hooks hook callback callbacks introspection
    bytecode compiler sandbox sandboxed interpreter allocation pointer pointers garbage
    reentrant lock locks atomic interface interfaces abstract generic generics"""
_ADVANCED = frozenset(_ADVANCED_TEXT.split())
_BEGINNER_TEXT = """
    introduction beginner beginners basics basic first simple quickstart tutorial install
    installing installation getting started hello welcome easy minimal learn learning step
    steps start overview"""
_BEGINNER = frozenset(_BEGINNER_TEXT.split())

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


# --- document type and level ------------------------------------------------------------------

_NAMES = [
    ("changelog", r"changes|changelog|history|news|release[-_ ]?notes|releases|whatsnew"),
    ("license", r"licen[cs]e|copying|copyright|notice"),
    ("contributing", r"contributing|contribute|contributors|hacking"),
    ("faq", r"faqs?"),
    ("api", r"api|api[-_]reference|autoapi|modules"),
    ("reference", r"reference|references|ref|glossary"),
    ("tutorial", r"tutorials?|quick[-_]?start|getting[-_]?started|get[-_]started|first[-_]steps"
                 r"|walkthrough"),
    ("howto", r"how[-_]?tos?|recipes|cookbook|patterns|examples"),
    ("overview", r"readme|index|overview|intro|introduction|about|welcome|contents"),
    ("concept", r"design|why|philosophy|architecture|concepts?|background|rationale|theory"),
    ("guide", r"install|installation|installing|setup|configuration|config|deploy\w*|usage|"
              r"user[-_]?guide|guides?"),
]  # fmt: skip


def _by_name(names: list[str]) -> str | None:
    for kind, pattern in _NAMES:
        if any(re.fullmatch(pattern, n) for n in names):
            return kind
    return None


def _code_share(structure: DocStructure, words: int) -> float:
    code = sum(len(b.text.split()) for b in structure.code_blocks)
    return code / max(1, code + words)


def doc_type(path: str, structure: DocStructure) -> str:
    """One of DOC_TYPES. In order: the file's name says changelog/license/contributing/faq;
    its folder says changelog/faq/tutorial/howto (whatsnew/3.10.rst, howto/sockets.rst);
    version headings make a changelog; autodoc (or mkdocstrings), dense API directives or
    mostly signature headings make api (reference in a reference/ folder); an api/ or
    reference/ folder; numbered steps with 3+ code blocks, or "Tutorial"/"Quickstart"/"Getting
    started" in the title make a tutorial, "How to" a howto; then the name or folder (README
    and index are overviews); question headings make a faq; a near-empty page is other;
    else concept when under 10% of its words are code, guide otherwise."""
    parts = [p.lower() for p in path.split("/") if p]
    stem = re.sub(r"\.[^.]+$", "", parts[-1] if parts else "")
    heads = [s.title for s in structure.sections if s.level]
    words = word_count(structure)
    autodoc = sum(n for k, n in structure.directives.items() if k.startswith("auto")
                  or k == "mkdocstrings")  # fmt: skip
    api = sum(n for k, n in structure.directives.items() if k in API)
    signatures = sum(1 for h in heads if code_like(h) or re.search(r"\w\(.*\)$", h))
    named, by_folder = _by_name([stem]), _by_name(parts[:-1][::-1])
    if named in ("changelog", "license", "contributing", "faq"):
        return named
    if by_folder in ("changelog", "faq", "tutorial", "howto"):
        return by_folder
    if len(heads) >= 4 and sum(bool(VERSION.match(h)) for h in heads) >= 0.6 * len(heads):
        return "changelog"
    if autodoc or (api >= 3 and api * 400 >= words) or (heads and signatures >= 0.5 * len(heads)):
        return "api" if by_folder != "reference" else "reference"
    if by_folder in ("api", "reference"):
        return by_folder
    title = structure.title.lower()
    steps = sum(1 for h in heads if STEP.match(h)) + sum(
        1 for b in structure.blocks if b.kind == "list" and re.match(r"\d+\. ", b.text)
    )
    if (steps >= 3 and len(structure.code_blocks) >= 3) or re.search(
        r"\b(?:tutorial|quick ?start|getting started)\b", title
    ):
        return "tutorial"
    if re.match(r"how[ -]to\b", title):
        return "howto"
    kind = (None if named == "overview" else named) or by_folder or named
    if kind:
        return kind
    if len(heads) >= 4 and sum(h.endswith("?") for h in heads) >= 0.6 * len(heads):
        return "faq"
    if words < 30 and not structure.code_blocks:
        return "other"
    return "concept" if _code_share(structure, words) < 0.1 else "guide"


def complexity_score(structure: DocStructure, kind: str) -> float:
    """The measured difficulty behind `complexity` (see there)."""
    texts = teaching_text(structure)
    words = max(1, sum(len(t.split()) for t in texts))
    spans = 100 * sum(len(re.findall(r"`[^`]+`", t)) for t in texts) / words
    api = 100 * sum(n for k, n in structure.directives.items() if k in API) / words
    vocab = Counter(w.lower() for t in texts for w in re.findall(r"[A-Za-z][\w-]+", t))
    net = 100 * (sum(vocab[w] for w in _ADVANCED) - sum(vocab[w] for w in _BEGINNER)) / words
    prior = {"api": 0.1, "reference": 0.1, "tutorial": -0.1, "overview": -0.1}.get(kind, 0.0)
    return (
        0.3 * _code_share(structure, words)
        + min(0.3, 0.03 * max(0.0, spans - 3) + 0.05 * api)
        + max(-0.4, min(0.4, 0.1 * net))
        + prior
    )


def complexity(structure: DocStructure, kind: str, requested: str) -> str:
    """beginner / intermediate / advanced from what the text measures, not what was asked.

    score = 0.3 x code share (code words / all words)
          + API density: 0.03 x inline code spans per 100 prose words beyond 3 (prose about
            code always quotes some) + 0.05 x API directives per 100 words, at most 0.3
          + 0.1 x (advanced - beginner vocabulary hits, e.g. "metaclass", "concurrency" vs
            "introduction", "basic") per 100 words, within +-0.4
          + 0.1 for api/reference, -0.1 for tutorial/overview.
    Below 0.1 is beginner, from 0.3 advanced (calibrated on Python's own docs: tutorial
    mostly beginner, C API mostly advanced). Only a score within 0.03 of a threshold is a
    tie, and then the requested level decides; otherwise the request is ignored.
    """
    score = complexity_score(structure, kind)
    low, high, margin = 0.1, 0.3, 0.03
    wanted = LEVELS.index(requested) if requested in LEVELS else 1
    if abs(score - low) < margin:
        return LEVELS[0] if wanted == 0 else LEVELS[1]
    if abs(score - high) < margin:
        return LEVELS[2] if wanted == 2 else LEVELS[1]
    return LEVELS[0] if score < low else LEVELS[2] if score >= high else LEVELS[1]


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
