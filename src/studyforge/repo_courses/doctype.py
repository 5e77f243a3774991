"""What kind of document a page is and how hard it reads, measured from its structure.

`doc_type` names one of `DOC_TYPES` from the path, the headings and the directives;
`complexity` gives one of `LEVELS` from a score (`complexity_score`) of code share, API density
and vocabulary. Stage 2 (`analysis.py`) uses both; stage 3 orders by `LEVELS`.
"""

from __future__ import annotations

import re
from collections import Counter

from studyforge.ai.offline.terms import code_like
from studyforge.documents.rst_parts import API
from studyforge.repo_courses.structure import DocStructure
from studyforge.repo_courses.wording import STEP, VERSION, teaching_text, word_count

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
