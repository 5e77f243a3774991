"""Stage 4 of repository → course, offline: the text of one module, from its own documents.

`write_module(module, documents, analyses, complexity_level=..., additional_info=...)` returns
a `ModuleText`. Nothing in it is invented (DESIGN §4, §6): every sentence is copied from a
document and cited, code is shown verbatim as fenced code, headings are the sources' own
section titles, and the few fixed phrases are named in `ModuleText.templated`. Which
sentences may be shown is decided by the checks in `content_checks`.

- Introduction: the module's description when it is a sentence of a document (stage 3's
  offline descriptions are; fixed wording such as "Reading: ..." is left out, the lesson
  shows it anyway), what each document says it is about (the first sentences of its first
  paragraph, else of its analysis summary), and the module's learning objectives (the
  analyses' when it has none) after "In this module you will:". The main content does not
  repeat those sentences (unless a sentence leaning on one needs it).
- Main content: see `content_main`.
- Conclusion: the key takeaways, the most central self-contained statement of each main
  section (those saying what their section is about first, at most MAX_TAKEAWAYS; none for
  a main content under TAKEAWAYS_FROM words, which they would only repeat), and the
  page the documents point to next ("Continue to ..."), when they do.
- Summary: two or three central statements on the documents' titles (one per document when
  there are several), other than the introduction's and, when possible, the takeaways'.
- Assessment and checks: `content_checks.write_checks`.

Citations: sources are numbered 1..n in first-cited order. `start`/`end` are character offsets
into `document_text(doc)` (the document's blocks joined by a blank line: the parser keeps no
offsets of its own); `quote` is that span's text, whitespace collapsed, cut at a word boundary
to at most 300 characters. A prose paragraph cites each run of consecutive sentences it copies
on its own, so its quotes are exactly the words shown.

Templated wording, by field: "introduction" ("Introduction", "In this module you will:",
"Estimated time: ..."), "main_content" (only when used: "The example goes on for N more
lines in ...", "The list goes on with N more items.", "Not covered here: ..."), "conclusion"
("Key takeaways", "What comes next", "Continue with ..."), "assessment" (`content_checks`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from studyforge.ai.offline.terms import code_like
from studyforge.ai.offline.text import central_sentences, content_words, split_sentences
from studyforge.courses.render import fence, list_items
from studyforge.repo_courses import content_checks as rules
from studyforge.repo_courses.content_checks import Passage, assessment_markdown, write_checks
from studyforge.repo_courses.content_main import (
    CODE_PER_SECTION,
    MAX_CODE,
    PROSE_WORDS,
    Examples,
    fit,
    main_parts,
    prepare,
)
from studyforge.repo_courses.content_main import units as read_units
from studyforge.repo_courses.content_model import (
    Doc,
    Para,
    Part,
    Ref,
    Statement,
    Unit,
    collapse,
    document_text,
    furniture,
)
from studyforge.repo_courses.structure import DocStructure, name_title

__all__ = ["PROSE_WORDS", "ModuleText", "collapse", "document_text", "write_module"]

QUOTE_MAX = 300
PRACTICAL_SHARE = 0.85  # of the prose budget, when the note asks for practical examples
MAX_TAKEAWAYS = 5
TAKEAWAYS_FROM = 150  # words of main content: below that, takeaways would only repeat it
INTRO_WORDS = 140
LEAD = "In this module you will:"
_PRACTICAL = re.compile(r"\b(?:practical|examples?|hands[- ]on|code|exercises?|demos?)\b", re.I)
_ONWARD = re.compile(
    r"\b(?:continue|next|move on|read on|before reading the rest|recommend|go on to)\b", re.I
)
_EXT = re.compile(r"\.[^./]+$")


@dataclass
class ModuleText:
    """One module's text (Markdown citing `sources` as [n]) and what it rests on."""

    introduction: str
    main_content: str
    conclusion: str
    assessment: str
    summary: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)  # the lessons' shape
    checks: list[dict[str, Any]] = field(default_factory=list)
    templated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The module as plain JSON-ready values."""
        return dataclasses.asdict(self)


# --- introduction, conclusion, summary --------------------------------------------------------


def _opening(doc: Doc, analysis: dict[str, Any] | None) -> list[tuple[str, Ref]]:
    """What the document says it is about: the first sentences of its first paragraph (two
    when they follow on), else the first sentence of its analysis summary found in it."""
    for section in doc.s.sections:
        if section.title and furniture(section.title, doc.s):
            continue
        for block in (b for b in section.blocks if b.kind == "prose"):
            at = doc.offset(block)
            found = [s for s in split_sentences(block.text)
                     if rules.admissible(s.text) and not rules.lead_in(s.text)]  # fmt: skip
            if at is not None and found and not rules.leans(found[0].text):
                two = len(found) > 1 and found[1].start - found[0].end < 3
                return [(s.text, Ref(doc.number, at + s.start, at + s.end))
                        for s in found[: 1 + two]]  # fmt: skip
    for s in split_sentences(str((analysis or {}).get("summary") or "")):
        at = doc.text.find(s.text)
        if at >= 0 and rules.admissible(s.text) and rules.self_contained(s.text):
            return [(s.text, Ref(doc.number, at, at + len(s.text)))]
    return []


def _introduction(
    module: dict[str, Any], docs: list[Doc], analyses: list[dict[str, Any] | None]
) -> Part:
    part = Part("Introduction", 1)
    description = collapse(str(module.get("description") or ""))
    found = [(d, at) for d in docs if description and (at := d.text.find(description)) >= 0]
    if found and not rules.codey(description):
        doc, at = found[0]
        part.paras.append(Para("prose", description, [Ref(doc.number, at, at + len(description))]))
    else:
        description = ""
    words, said = len(description.split()), set(content_words(description))
    for doc, analysis in zip(docs, analyses, strict=True):
        texts, refs = [], []
        for text, ref in _opening(doc, analysis):
            bag = set(content_words(text))
            if words + len(text.split()) <= INTRO_WORDS and len(bag & said) <= 0.7 * len(bag):
                texts.append(text)
                refs.append(ref)
                words, said = words + len(text.split()), said | bag
        if texts:
            part.paras.append(Para("prose", " ".join(texts), refs))
    goals = [collapse(str(g)) for g in module.get("learning_objectives") or []]
    if not goals:
        goals = [collapse(str(g)) for a in analyses if a for g in a.get("learning_objectives", [])]
    goals = list(dict.fromkeys(g for g in goals if g and not rules.codey(g)))[:6]
    if goals:
        part.paras.append(Para("prose", LEAD, []))
        part.paras.append(Para("list", "\n".join(f"- {g}" for g in goals), []))
    if module.get("estimated_time"):
        part.paras.append(Para("prose", f"*Estimated time: {module['estimated_time']}.*", []))
    return part


def _central(pool: list[Statement], k: int) -> list[Statement]:
    return [pool[i] for i in central_sentences([s.text for s in pool], k)]


def _on_topic(pool: list[Statement], title: str) -> list[Statement]:
    """The statements using a word of the title (all when none does)."""
    words = set(content_words(title))
    return [s for s in pool if words & set(content_words(s.text))] or pool


def _impersonal(pool: list[Statement]) -> list[Statement]:
    """The statements without "you" or "we" (all when none is)."""
    return [s for s in pool if not rules.personal(s.text)] or pool


def _standing(unit: Unit) -> list[Statement]:
    """The unit's shown sentences that read on their own, asides ("Note: ...", "There is a
    screencast ...") apart."""
    return [s for i in sorted(unit.picked) if rules.self_contained((s := unit.sentences[i]).text)
            and not rules.aside(s.text)]  # fmt: skip


def _takeaways(units: list[Unit]) -> list[Statement]:
    """Per unit, its most central statement on its heading's words; of those, in order,
    the ones saying what their section is about first, the most central filling up to
    MAX_TAKEAWAYS (MMR keeps them apart)."""
    if sum(u.words() for u in units) < TAKEAWAYS_FROM:
        return []
    best = [(s, u.heading) for u in units if (pool := _standing(u))
            for s in _central(_on_topic(_impersonal(pool), u.heading), 1)]  # fmt: skip
    if len(best) > MAX_TAKEAWAYS:
        defining = [b for b in best if rules.defines(b[0].text, b[1])][:MAX_TAKEAWAYS]
        more = _central(
            [s for s, h in best if (s, h) not in defining], MAX_TAKEAWAYS - len(defining)
        )
        best = [b for b in best if b in defining or b[0] in more]
    return [s for s, _ in best]


def _onward(docs: list[Doc]) -> tuple[str, str] | None:
    """(words, path) of the page the documents point to next, outside this module."""
    own = {_EXT.sub("", d.s.path) for d in docs}
    for doc in reversed(docs):
        for path in doc.s.links:
            cue = f"{doc.s.link_context.get(path, '')} {doc.s.link_text.get(path, '')}"
            if _EXT.sub("", path) not in own and _ONWARD.search(cue):
                words = doc.s.link_text.get(path) or ""
                return (words if words and not code_like(words) else name_title(path)), path
    return None


def _conclusion(takeaways: list[Statement], docs: list[Doc]) -> list[Part]:
    parts = []
    if takeaways:
        parts.append(Part("Key takeaways", 1, [Para("prose", s.text, [s.ref]) for s in takeaways]))
    onward = _onward(docs)
    if onward:
        line = f"Continue with {onward[0]} (`{onward[1]}`)."
        parts.append(Part("What comes next", 1, [Para("prose", line, [])]))
    return parts


def _summary(units: list[Unit], said: set[str], takeaways: list[Statement]) -> list[Statement]:
    """Two or three central statements on the documents' titles (one per document when
    there are several), not the introduction's, and the takeaways' only when nothing else
    is left; at most about 80 words."""
    taken = {s.text for s in takeaways}
    docs = list(dict.fromkeys(u.doc for u in units))
    chosen: list[Statement] = []
    for doc in docs[:3]:
        pool = [s for u in units if u.doc is doc for s in _standing(u)
                if collapse(s.text).casefold() not in said]  # fmt: skip
        pool = _impersonal(pool)
        pool = _on_topic([s for s in pool if s.text not in taken] or pool, doc.s.title)
        chosen += _central(pool, 1 if len(docs) > 1 else 3)
    while len(chosen) > 2 and sum(len(s.text.split()) for s in chosen) > 80:
        chosen.pop()
    return chosen


def _passages(units: list[Unit]) -> tuple[list[Passage], set[str], int]:
    """What the questions may ask about: each run of sentences, list and example the module
    shows, and its sections' other prose (not shown); the sentences it shows (collapsed,
    casefolded) and how many words it shows."""
    passages: list[Passage] = []
    taught: set[str] = set()
    for u in units:
        keep = sorted(u.picked | u.forced)
        taught |= {collapse(u.sentences[i].text).casefold() for i in keep}
        for p, (block, at) in enumerate(u.blocks):
            where = (u.doc.number, u.doc.s.path)
            if p in u.shown:
                passages.append(Passage(*where, block.kind, u.shown[p].text, at, u.heading))
                if block.kind == "list":
                    items = (
                        re.sub(r"^\s*(?:[-*]|\d+[.)])\s+", "", x) for x in block.text.split("\n")
                    )
                    taught |= {collapse(x).casefold() for x in items}
            elif block.kind in ("prose", "list"):
                passages.append(Passage(*where, block.kind, block.text, at, u.heading, False))
            for ref in u.runs([i for i in keep if u.sentences[i].block == p]):
                text = u.doc.text[ref.start : ref.end]
                passages.append(Passage(*where, "prose", text, ref.start, u.heading))
    return passages, taught, sum(u.words() for u in units)


# --- numbering and Markdown -------------------------------------------------------------------


class Numbering:
    """Sources numbered 1..n in first-cited order; one span is one source."""

    def __init__(self, docs: list[Doc]) -> None:
        self.docs = docs
        self.sources: list[dict[str, Any]] = []
        self._by_ref: dict[Ref, int] = {}

    def number(self, ref: Ref) -> int:
        """The source number of a span (a new source on its first citation)."""
        if ref not in self._by_ref:
            doc = self.docs[ref.doc]
            block = next((b for b in doc.s.blocks if (at := doc.offset(b)) is not None
                          and at <= ref.start <= at + len(b.text)), None)  # fmt: skip
            quote = collapse(doc.text[ref.start : ref.end])
            if len(quote) > QUOTE_MAX:
                quote = quote[: quote.rfind(" ", 0, QUOTE_MAX + 1)].rstrip() or quote[:QUOTE_MAX]
            self._by_ref[ref] = len(self.sources) + 1
            self.sources.append({
                "index": len(self.sources) + 1, "path": doc.s.path,
                "heading": (block.heading if block else None) or None, "quote": quote,
                "start": ref.start, "end": ref.end,
            })  # fmt: skip
        return self._by_ref[ref]

    def of(self, refs: list[Ref]) -> list[int]:
        return list(dict.fromkeys(self.number(r) for r in refs))

    def marks(self, refs: list[Ref]) -> str:
        return "".join(f"[{n}]" for n in self.of(refs))


def _table_lines(text: str) -> list[str]:
    rows = [[c.strip().replace("|", "\\|") for c in r.split(" | ")] for r in text.split("\n")]
    width = max(len(r) for r in rows)
    lines = [f"| {' | '.join(r + [''] * (width - len(r)))} |" for r in rows]
    return [lines[0], "|" + " --- |" * width, *lines[1:]]


def _markdown(parts: list[Part], numbering: Numbering) -> str:
    """Parts as Markdown, paragraphs as `courses.render.lesson_lines` writes them."""
    lines: list[str] = []
    for part in parts:
        if part.heading:
            lines += [f"{'#' * min(part.level + 1, 6)} {part.heading}", ""]
        for p in part.paras:
            marks = numbering.marks(p.refs)
            tail = [marks] if marks else []
            if p.kind == "code":
                lines += [*fence(p.text, p.lang), *tail, ""]
            elif p.kind == "list":
                lines += [*list_items(p.text), *tail, ""]
            elif p.kind == "table":
                lines += [*_table_lines(p.text), "", *tail, *([""] if tail else [])]
            else:
                lines += [f"{p.text} {marks}".rstrip(), ""]
    return "\n".join(lines).strip()


def _sections(parts: list[Part], numbering: Numbering) -> list[dict[str, Any]]:
    return [
        {"heading": part.heading, "paragraphs": [
            {"kind": p.kind, "text": p.text, "lang": p.lang if p.kind == "code" else None,
             "citations": numbering.of(p.refs)} for p in part.paras]}
        for part in parts
    ]  # fmt: skip


def write_module(
    module: dict[str, Any],
    documents: list[DocStructure],
    analyses: list[dict[str, Any] | None] | None = None,
    *,
    complexity_level: str,
    additional_info: str | None,
) -> ModuleText:
    """The text of one module of a pathway from its documents, in reading order (module
    docstring). `analyses` (one per document, or None) give fallback openings and
    objectives; `complexity_level` sets the length bounds and the questions' difficulty;
    `additional_info` (the user's note) puts sentences using its words first, and a note
    asking for practical examples shows one more example per section."""
    level = complexity_level if complexity_level in PROSE_WORDS else "intermediate"
    found = list(analyses or [])[: len(documents)]
    found += [None] * (len(documents) - len(found))
    docs = [Doc(i, d) for i, d in enumerate(documents)]
    title = collapse(str(module.get("title") or "")) or (documents[0].title if documents else "")
    note = str(additional_info or "")
    practical = bool(_PRACTICAL.search(note))
    note_words = set(content_words(_PRACTICAL.sub(" ", note))) - {"focus", "please", "more"}
    intro = _introduction(module, docs, found)
    said = {collapse(s.text).casefold() for p in intro.paras for s in split_sentences(p.text)}
    used, units = set(said), read_units(docs, title)
    examples = Examples(CODE_PER_SECTION + practical, -(-MAX_CODE // max(1, len(docs))))
    for unit in units:
        prepare(unit, level, examples, used)
    budget = round(PROSE_WORDS[level] * (PRACTICAL_SHARE if practical else 1.0))
    left = fit(units, budget, note_words)
    main = main_parts(units, left, title)
    takeaways = _takeaways(units)
    conclusion = _conclusion(takeaways, docs)
    numbering = Numbering(docs)
    opening = [intro] if intro.paras else []
    texts = [_markdown(parts, numbering) for parts in (opening, main, conclusion)]
    summary = " ".join(f"{s.text} {numbering.marks([s.ref])}"
                       for s in _summary(units, said, takeaways))  # fmt: skip
    checks = write_checks(*_passages(units), level, lambda d, a, b: numbering.number(Ref(d, a, b)))
    templated = ["introduction"]
    templated += ["main_content"] if any(not p.refs for q in main for p in q.paras) else []
    templated += ["conclusion"] if conclusion else []
    templated += ["assessment"] if checks else []
    return ModuleText(
        introduction=texts[0], main_content=texts[1], conclusion=texts[2],
        assessment=assessment_markdown(checks), summary=summary, sources=numbering.sources,
        sections=_sections([*opening, *main, *conclusion], numbering), checks=checks,
        templated=templated,
    )  # fmt: skip
