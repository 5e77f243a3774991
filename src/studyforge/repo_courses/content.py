"""Stage 4 of repository → course, offline: the text of one module, from its own documents.

`write_module(module, documents, analyses, complexity_level=..., additional_info=...)` returns
a `ModuleText`. Nothing in it is invented (DESIGN §4, §6): every sentence is copied from a
document and cited, code is shown verbatim as fenced code, headings are the sources' own
section titles; the few fixed phrases are listed in `ModuleText.templated`.

- Introduction: the module's description, the opening of each document (its analysis
  summary where those sentences are found in the text, else its first sentences), and the
  module's learning objectives after the fixed lead "In this module you will:".
- Main content: per document, per section in the source's order, the section's most central
  prose sentences (`central_sentences`: TF-IDF TextRank + MMR), the sentence that introduces
  each example shown, its lists and tables, and its first one or two code examples (a module
  shows an example once). A sentence that leans on the one before it ("This ...") brings that
  one along. Left out: page furniture (sections titled Contents, Links, Changelog, Donate ...;
  badges, link lists, "See ..." pointers, "New in version ..." notes) and prose that is code
  flattened by the reader (`click:example` bodies, say): a block with no complete sentence.
- Conclusion: the key takeaways (the most central self-contained sentence of each main
  section, at most MAX_TAKEAWAYS, chosen by MMR) and, when a document points onward
  ("Continue to ..."), the page it names.
- Summary: two or three central sentences of the main content. Assessment:
  `content_checks` (questions from the same sentences, by the quiz engine).

Length: the main content holds at most PROSE_WORDS[level] words of prose, lists and tables
(1,300 / 1,100 / 900 for beginner / intermediate / advanced; 15% less when the note asks for
practical examples). When the sections hold more, each section's share of sentences is in
proportion to its prose, the largest shares are cut first, and if one sentence per section is
still too much the last sections are left out and named in a closing note. Introduction,
takeaways and summary add at most about 400 words. Code does not count: at most
CODE_PER_SECTION[level] examples per section (one more for a practical note), MAX_CODE per
module, each cut at a line boundary after CODE_LINES[level] lines with a note saying how many
lines follow in the source.

Citations: sources are numbered 1..n in first-cited order. `start`/`end` are character
offsets into `document_text(doc)` (the document's block texts joined by a blank line: the
parser keeps no offsets of its own), `quote` is that span's text with whitespace collapsed,
cut at a word boundary to at most 300 characters. A prose paragraph cites each run of
consecutive sentences it copies, so every quote is the exact text shown.

Templated wording, by field: "introduction" (the "Introduction" heading, "In this module you
will:", "Estimated time: ..."), "main_content" (only when present: "The example goes on for
N more lines in ...", "The list goes on ...", "Not covered here: ..."), "conclusion"
("Key takeaways", "What comes next", "Continue with ..."), "assessment" (question stems and
labels, see `content_checks`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from studyforge.ai.offline.terms import VERBS, code_like, defined_terms, strip_numbering
from studyforge.ai.offline.text import central_sentences, content_words, split_sentences
from studyforge.courses.render import fence, list_items
from studyforge.documents.blocks import Block
from studyforge.repo_courses.content_checks import Passage, assessment_markdown, write_checks
from studyforge.repo_courses.structure import DocStructure, Section

SEPARATOR = "\n\n"  # between blocks in `document_text`
QUOTE_MAX = 300
PROSE_WORDS = {"beginner": 1300, "intermediate": 1100, "advanced": 900}
CODE_PER_SECTION = {"beginner": 2, "intermediate": 2, "advanced": 2}
CODE_LINES = {"beginner": 30, "intermediate": 40, "advanced": 50}
MAX_CODE = 12
MAX_TAKEAWAYS = 5
INTRO_WORDS = 140
LIST_CHARS, LIST_ITEMS, TABLE_CHARS, TABLE_ROWS = 2000, 15, 2000, 15
LEAD = "In this module you will:"

_FURNITURE = frozenset({
    "contents", "table of contents", "toc", "changelog", "changes", "change log", "history",
    "release notes", "license", "licence", "copyright", "links", "badges", "donate",
    "sponsors", "sponsor", "funding", "indices and tables", "acknowledgements",
    "acknowledgments", "credits", "authors", "contributors", "useful links", "status",
    "documentation", "contribute", "contributing", "community", "getting help", "help",
    "support", "security", "code of conduct", "citation", "citing", "how to cite",
    "related projects", "see also", "further reading", "resources", "table of content",
})  # fmt: skip
_VERSION_TITLE = re.compile(r"^(?:version|release|v)?\s*\d+(?:\.\d+)+\b", re.I)
_VERSION_NOTE = re.compile(r"^(?:New in version|Changed in version|Deprecated since version|"
                           r"Added in version|Version added)\b", re.I)  # fmt: skip
_POINTER = re.compile(
    r"^(?:See also|See|Refer to|Read more|Continue (?:to|with|on|reading)|Check out|Head over|"
    r"Jump to|Click here|For more (?:information|details)|More information|Please (?:see|refer|"
    r"read|donate)|Visit the (?:docs|documentation|website|page)|To do)\b|\b(?:see below|see "
    r"above|see the|head over to|check out|refer to)\b|!\[|shields\.io|badge", re.I
)
_LEAD_IN = re.compile(r"(?::|\.\.\.|\u2026)[\"')\]]*$|\b(?:the following|below|as follows)\b",
                      re.I)  # fmt: skip
# Sentences that lean on the one before: they need it, or are left out with it.
_LEANS = re.compile(r"^(?!(?:This|These) (?:tutorial|guide|page|document|chapter|section|library|"
                    r"package|project|module|book|course|notebook)s?\b)"
                    r"(?:This|These|That|Those|It|Its|They|Their|Them|Such|However|But|Also|Which|"
                    r"Or|And|Plus|"
                    r"So|Then|Instead|Otherwise|Both|Either|Another|The (?:first|second|third|"
                    r"last|other|latter|former|rest|same|answer|reason)|One of|Similarly|"
                    r"Likewise|Conversely|Additionally|Furthermore|Moreover|Finally|For (?:instance|"
                    r"example)|In (?:this|that|such a|either) case|(?:To|With|Because of|Since) "
                    r"(?:\w+ )?(?:this|that))\b")  # fmt: skip
# ... and, for a sentence that must stand alone, a pointer early on ("... as it will eat up").
_POINTS_BACK = re.compile(r"^(?!It (?:is|was) )(?:\S+\s+){0,5}(?:this|these|those|it|its|they|"
                          r"their|them|such|he|she)\b", re.I)  # fmt: skip
# Narrative glue and looks back at an example: only next to what they talk about.
_GLUE = re.compile(r"^(?:After (?:doing )?(?:this|that)|Either way|A few \w+ later|Now,? let's|"
                   r"Let's|Once (?:this|that|done)|That's it|As you can see)\b|\b(?:the above|"
                   r"above example|previous example|(?:this|the) (?:particular )?example)\b",
                   re.I)  # fmt: skip
_TOPIC = re.compile(r"^(?:\d+[.)]?\s+|step \d+\W*|how to\s+|about\s+)", re.I)
# An instruction to the reader opens with a bare verb ("Create the directory ...").
_INSTRUCTIONS = VERBS | frozenset("install import add remember visit enter type note try "
                                  "place go run open call".split())  # fmt: skip
_ASIDE = re.compile(r"^(?:Note|Warning|Tip|Hint|Important|Caution|Attention|Danger|Error):")
_PERSONAL = re.compile(r"\b(?:you|your|we|our|us|I)\b", re.I)
_ENDS = re.compile(r"[.!?:][\"')\]*_]*$")
_STARTS = re.compile(r"^[\"'(\[*_]*[A-Z0-9`]")
_SPAN = re.compile(r"`[^`]+`")
_PRACTICAL = re.compile(r"\b(?:practical|examples?|hands[- ]on|code|exercises?|demos?)\b", re.I)
_ONWARD = re.compile(r"\b(?:continue|next|move on|read on|before reading the rest|recommend|"
                     r"go on to|further)\b", re.I)  # fmt: skip


@dataclass
class ModuleText:
    """One module's text (Markdown with [n] citations) and what it rests on."""

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


def document_text(doc: DocStructure) -> str:
    """The text a source's `start`/`end` refer to: the document's blocks joined by a blank
    line (headings included, code as the parser kept it)."""
    return SEPARATOR.join(b.text for b in doc.blocks)


def collapse(text: str) -> str:
    """Whitespace runs as one space (how quotes are compared)."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Ref:
    """A cited span: document number (in the module's list), offsets in its text."""

    doc: int
    start: int
    end: int


@dataclass
class Para:
    """A paragraph of the module, before citations are numbered."""

    kind: str  # prose | list | code | table
    text: str
    refs: list[Ref]
    lang: str | None = None


@dataclass
class Part:
    """A headed part of the module; `level` 1 is a document or a part of the module's own."""

    heading: str
    level: int
    paras: list[Para] = field(default_factory=list)


class Doc:
    """A document of the module with its text and where each block starts in it."""

    def __init__(self, number: int, structure: DocStructure) -> None:
        self.number, self.s = number, structure
        self.text = document_text(structure)
        self._at: dict[int, int] = {}
        pos = 0
        for block in structure.blocks:
            self._at[id(block)] = pos
            pos += len(block.text) + len(SEPARATOR)

    def offset(self, block: Block) -> int | None:
        """Where `block` starts in `self.text`, None if it is not there."""
        at = self._at.get(id(block))
        if at is None:
            found = self.text.find(block.text)
            return found if found >= 0 and block.text else None
        return at


@dataclass
class Sentence:
    """A prose sentence of a section, where it is, and how the module uses it."""

    text: str
    ref: Ref
    block: int  # position of its block in the section
    pos: int  # position in the block
    last: bool  # the block's last sentence
    state: str  # "candidate" | "lead" (a lead-in) | "drop"


@dataclass
class Unit:
    """One section of one document, read for the main content."""

    doc: Doc
    heading: str  # "" to go on under the previous heading
    level: int
    blocks: list[tuple[Block, int]]  # with their offsets
    sentences: list[Sentence] = field(default_factory=list)
    shown: dict[int, Para] = field(default_factory=dict)  # block position -> code/list/table
    notes: dict[int, Para] = field(default_factory=dict)  # templated notes after a block
    forced: set[int] = field(default_factory=set)  # sentence numbers always kept
    picked: set[int] = field(default_factory=set)
    k: int = 0

    def words(self, which: set[int]) -> int:
        shown = sum(len(p.text.split()) for p in self.shown.values() if p.kind != "code")
        return shown + sum(len(self.sentences[i].text.split()) for i in which | self.forced)


def _admissible(text: str, least: int = 4) -> bool:
    """A complete prose sentence a teacher would keep (not code, a pointer or a label)."""
    words = text.split()
    return (
        least <= len(words) <= 80
        and bool(_ENDS.search(text))
        and bool(_STARTS.match(text))
        and not _codey(text)
        and not _VERSION_NOTE.match(text)
        and not _POINTER.search(text)
        and not (len(words) < 6 and text.endswith("!"))
        and text.count("(") == text.count(")")
        and text.count("`") % 2 == 0
    )


def _codey(text: str) -> bool:
    """Code rather than words (inline `code spans` in a sentence are words here)."""
    return code_like(_SPAN.sub("X", text))


def _furniture(title: str, doc: DocStructure) -> bool:
    low = strip_numbering(title).lower().strip(" :")
    own = low == doc.title.lower().strip()
    return not own and (low in _FURNITURE or bool(_VERSION_TITLE.match(low)))


def _heading(section: Section, doc: DocStructure, module_title: str) -> tuple[str, int]:
    """(heading, level) of a section: its own title without its number; for the text before
    the first heading, and a top title that is code ("$ click_"), the document's title, or
    the module's when that is a file name or another section's; "" for a deeper code-like
    title (its text goes on under the heading before)."""
    if section.level and not code_like(section.title):
        return strip_numbering(section.title), section.level
    if section.level > 1:
        return "", section.level
    title = doc.title
    if code_like(title) or title.lower() in ("readme", "index") or any(
        s.level and s.title == title for s in doc.sections
    ):
        title = module_title
    return title, 1


def _units(docs: list[Doc], module_title: str) -> list[Unit]:
    units: list[Unit] = []
    for doc in docs:
        for section in doc.s.sections:
            if section.title and _furniture(section.title, doc.s):
                continue
            heading, level = _heading(section, doc.s, module_title)
            blocks = [(b, at) for b in section.blocks if (at := doc.offset(b)) is not None]
            units.append(Unit(doc, heading, level, blocks))
    return units


def _trimmed_code(block: Block, limit: int) -> tuple[str, int]:
    """The code cut at a line boundary (a blank line when one is near), and lines left out."""
    lines = block.text.split("\n")
    if len(lines) <= limit:
        return block.text, 0
    blank = [i for i in range(limit // 2, limit + 1) if not lines[i].strip()]
    cut = blank[-1] if blank else limit
    return "\n".join(lines[:cut]).rstrip(), len(lines) - cut


def _trimmed_list(text: str) -> tuple[str, int]:
    lines = text.split("\n")
    top = [i for i, line in enumerate(lines) if not line.startswith(" ")]
    keep = len(lines)
    for n, i in enumerate(top):
        if n >= LIST_ITEMS or len("\n".join(lines[:i])) > LIST_CHARS:
            keep = top[n - 1] if n > 1 and len("\n".join(lines[:i])) > LIST_CHARS else i
            break
    return "\n".join(lines[:keep]), len([i for i in top if i >= keep])


def _prepare(unit: Unit, level: str, code_cap: int, seen_code: set[str], used: set[str]) -> None:
    """Sentences classified, examples, lists and tables chosen, lead-ins of what is shown
    forced in."""
    ref_of = unit.doc.number
    for p, (block, at) in enumerate(unit.blocks):
        ref = Ref(ref_of, at, at + len(block.text))
        if block.kind == "prose":
            found = split_sentences(block.text)
            for j, s in enumerate(found):
                state = "candidate" if _admissible(s.text) else "drop"
                if _LEAD_IN.search(s.text):
                    last = j == len(found) - 1
                    state = "lead" if last and _admissible(s.text, least=1) else "drop"
                if collapse(s.text).casefold() in used and state == "candidate":
                    state = "said"  # in the introduction: brought back only for one leaning on it
                if _GLUE.search(s.text) and (p - 1) not in unit.shown:
                    state = "drop"
                unit.sentences.append(Sentence(s.text, Ref(ref_of, at + s.start, at + s.end), p,
                                               j, j == len(found) - 1, state))  # fmt: skip
        elif block.kind == "code" and block.text.strip():
            shown_here = sum(1 for x in unit.shown.values() if x.kind == "code")
            if shown_here >= code_cap or len(seen_code) >= MAX_CODE:
                continue
            if collapse(block.text) in seen_code:
                continue
            seen_code.add(collapse(block.text))
            text, more = _trimmed_code(block, CODE_LINES.get(level, 30))
            unit.shown[p] = Para("code", text, [ref], block.lang)
            if more:
                note = f"*The example goes on for {more} more lines in `{unit.doc.s.path}`.*"
                unit.notes[p] = Para("prose", note, [])
        elif block.kind == "list" and _teaching_list(block.text):
            text, more = _trimmed_list(block.text)
            unit.shown[p] = Para("list", text, [ref])
            if more:
                unit.notes[p] = Para("prose", f"*The list goes on with {more} more items.*", [])
        elif block.kind == "table":
            rows = block.text.split("\n")
            if len(rows) <= TABLE_ROWS and len(block.text) <= TABLE_CHARS:
                unit.shown[p] = Para("table", block.text, [ref])
    kinds = [b.kind for b, _ in unit.blocks] + [""]
    for i, s in enumerate(unit.sentences):
        introduces = s.last and (s.block + 1) in unit.shown
        unshown = s.last and kinds[s.block + 1] == "code" and not introduces
        if s.state == "lead" and not introduces:
            s.state = "drop"
        if unshown and (_LEANS.match(s.text) or len(s.text.split()) < 10):
            s.state = "drop"  # it introduces an example that is not shown
        if introduces and s.state in ("lead", "candidate"):
            unit.forced.add(i)


def _teaching_list(text: str) -> bool:
    """Not a list of links or badges, nor one bare line (a link or a label)."""
    items = [x for x in text.split("\n") if x.strip()]
    links = sum(1 for x in items if re.search(r"https?://|!\[", x))
    bare = len(items) == 1 and not re.search(r"[.:;!?`]", items[0])
    return bool(items) and links * 2 < len(items) and not bare


def _candidates(unit: Unit) -> list[int]:
    return [i for i, s in enumerate(unit.sentences) if s.state == "candidate" and
            i not in unit.forced]  # fmt: skip


def _pick(unit: Unit, k: int, note: set[str]) -> set[int]:
    """The k most central candidates (those on the note's words first), and the sentence
    before any that leans on it."""
    pool = _candidates(unit)
    if k >= len(pool):
        chosen = set(pool)
    else:
        first = [i for i in pool if note & set(content_words(unit.sentences[i].text))][:k]
        rest = [i for i in pool if i not in first]
        texts = [unit.sentences[i].text for i in rest]
        chosen = set(first) | {rest[j] for j in central_sentences(texts, k - len(first))}
    for i in sorted(chosen):  # what a sentence leans on comes with it, or it is left out
        s = unit.sentences[i]
        leans = bool(_LEANS.match(s.text))
        if not leans and not _POINTS_BACK.match(s.text):
            continue
        if s.pos > 0 and (i - 1 in pool or unit.sentences[i - 1].state == "said"):
            chosen.add(i - 1)
        elif leans and s.pos > 0 or leans and not (s.block - 1 in unit.shown or any(
                unit.sentences[j].block == s.block - 1 for j in chosen | unit.forced)):  # fmt: skip
            chosen.discard(i)
    return chosen


def _fit(units: list[Unit], budget: int, note: set[str]) -> list[Unit]:
    """Sentences picked within the word budget (module docstring); units left out returned."""
    for u in units:
        u.k = len(_candidates(u))
        u.picked = _pick(u, u.k, note)
    total = sum(u.words(u.picked) for u in units)
    if total > budget:
        fixed = sum(u.words(set()) for u in units)
        sizes = {id(u): sum(len(u.sentences[i].text.split()) for i in _candidates(u)) for u in units}
        pool = sum(sizes.values()) or 1
        for u in units:
            if u.k:
                mean = sizes[id(u)] / u.k
                u.k = max(1, min(u.k, round(max(0, budget - fixed) * sizes[id(u)] / pool / mean)))
                u.picked = _pick(u, u.k, note)
    while sum(u.words(u.picked) for u in units) > budget:
        wide = [u for u in units if u.k > 1]
        if not wide:
            break
        u = max(reversed(wide), key=lambda x: x.k)
        u.k -= 1
        u.picked = _pick(u, u.k, note)
    left: list[Unit] = []
    while len(units) > 1 and sum(u.words(u.picked) for u in units) > budget:
        left.insert(0, units.pop())
    return left


def _unit_paras(unit: Unit) -> list[Para]:
    """The unit's paragraphs in source order: picked sentences by block (one citation per
    run of consecutive sentences), and what is shown."""
    keep = sorted(unit.picked | unit.forced)
    paras: list[Para] = []
    for p in range(len(unit.blocks)):
        mine = [i for i in keep if unit.sentences[i].block == p]
        if mine:
            runs: list[list[int]] = []
            for i in mine:
                if runs and runs[-1][-1] == i - 1:
                    runs[-1].append(i)
                else:
                    runs.append([i])
            refs = [Ref(unit.doc.number, unit.sentences[r[0]].ref.start,
                        unit.sentences[r[-1]].ref.end) for r in runs]  # fmt: skip
            paras.append(Para("prose", " ".join(unit.sentences[i].text for i in mine), refs))
        if p in unit.shown:
            paras.append(unit.shown[p])
        if p in unit.notes:
            paras.append(unit.notes[p])
    return paras


def _opening(doc: Doc, analysis: dict[str, Any] | None) -> list[tuple[str, Ref]]:
    """What the document says it is about: the first complete sentences of its first
    paragraph of prose (two when the second follows on), else the first sentence of its
    analysis summary that is found in its text."""
    for block in (b for sec in doc.s.sections if not (sec.title and _furniture(sec.title, doc.s))
                  for b in sec.blocks if b.kind == "prose"):  # fmt: skip
        at = doc.offset(block)
        found = [s for s in split_sentences(block.text) if _admissible(s.text)
                 and not _LEAD_IN.search(s.text)] if at is not None else []  # fmt: skip
        if found and at is not None and not _LEANS.match(found[0].text):
            keep = found[:2] if len(found) > 1 and found[1].start - found[0].end < 3 else found[:1]
            return [(s.text, Ref(doc.number, at + s.start, at + s.end)) for s in keep]
    for s in split_sentences(str((analysis or {}).get("summary") or "")):
        at = doc.text.find(s.text)
        if at >= 0 and _admissible(s.text) and _self_contained(s.text):
            return [(s.text, Ref(doc.number, at, at + len(s.text)))]
    return []


def _introduction(module: dict[str, Any], docs: list[Doc],
                  analyses: list[dict[str, Any] | None]) -> Part:  # fmt: skip
    part = Part("Introduction", 1)
    description = collapse(str(module.get("description") or ""))
    words = 0
    if description and not _codey(description):
        refs = [Ref(d.number, at, at + len(description)) for d in docs
                if (at := d.text.find(description)) >= 0][:1]  # fmt: skip
        part.paras.append(Para("prose", description, refs))
        words += len(description.split())
    said = set(content_words(description))
    for doc, analysis in zip(docs, analyses, strict=True):
        texts, refs = [], []
        for text, ref in _opening(doc, analysis):
            bag = set(content_words(text))
            if words + len(text.split()) > INTRO_WORDS or len(bag & said) > 0.7 * len(bag):
                continue
            texts.append(text)
            refs.append(ref)
            words += len(text.split())
            said |= bag
        if texts:
            part.paras.append(Para("prose", " ".join(texts), refs))
    goals = [collapse(str(g)) for g in module.get("learning_objectives") or []]
    if not goals:
        goals = [collapse(str(g)) for a in analyses if a for g in a.get("learning_objectives", [])]
    goals = list(dict.fromkeys(g for g in goals if g and not _codey(g)))[:6]
    if goals:
        part.paras.append(Para("prose", LEAD, []))
        part.paras.append(Para("list", "\n".join(f"- {g}" for g in goals), []))
    if module.get("estimated_time"):
        part.paras.append(Para("prose", f"*Estimated time: {module['estimated_time']}.*", []))
    return part


def _self_contained(text: str) -> bool:
    """A sentence that reads on its own (a takeaway, a summary line, a question's fact)."""
    return (6 <= len(text.split()) <= 40 and not _LEANS.match(text) and not _GLUE.search(text)
            and not _POINTS_BACK.match(text) and not _LEAD_IN.search(text)
            and not text.endswith("?") and not re.match(r"^\S+ [-\u2013\u2014] ", text)
            and not _instruction(text))  # fmt: skip


def _instruction(text: str) -> bool:
    """An instruction to the reader: a bare verb first, or after an opening phrase ("From
    the terminal, tell Flask ...")."""
    after = re.match(r"^(?:[^,]{1,40}),\s+(\w+)", text)
    first = [text.split()[0], after.group(1)] if after else text.split()[:1]
    return any(w.lower() in _INSTRUCTIONS for w in first)


def _on_topic(pool: list[Sentence], title: str) -> list[Sentence]:
    """The sentences that use a word of the title (all of them when none does)."""
    words = set(content_words(title))
    return [s for s in pool if words & set(content_words(s.text))] or pool


def _most_central(pool: list[Sentence], k: int) -> list[Sentence]:
    return [pool[i] for i in central_sentences([s.text for s in pool], k)]


def _standing(unit: Unit) -> list[Sentence]:
    """The unit's shown sentences that read on their own (asides such as "Note: ..." apart)."""
    return [s for i in sorted(unit.picked) if _self_contained((s := unit.sentences[i]).text)
            and not _ASIDE.match(s.text)]  # fmt: skip


def _impersonal(pool: list[Sentence]) -> list[Sentence]:
    """The statements of fact among the sentences (no "you" or "we"; all when none is)."""
    return [s for s in pool if not _PERSONAL.search(s.text)] or pool


def _defines(sentence: str, heading: str) -> bool:
    """Whether the sentence says what its section is about ("Boolean flags are options
    that ...") or defines a term ("... is called X")."""
    topic = re.escape(_TOPIC.sub("", heading.lower()).strip() or "\x00")
    says = re.match(rf"^(?:(?:A|An|The)\s+)?{topic}\s+(?:is|are|means|lets|allows|provides|"
                    rf"have|has|work|can)\b", sentence, re.I)  # fmt: skip
    return bool(says or defined_terms([sentence]))


def _takeaways(units: list[Unit]) -> list[Sentence]:
    """Per unit, its most central self-contained statement on its heading's words; then
    MAX_TAKEAWAYS of those in source order: those saying what their section is about first,
    the rest the most central (MMR keeps them apart)."""
    best = [(s, u.heading) for u in units if (pool := _standing(u)) for s in
            _most_central(_on_topic(_impersonal(pool), u.heading), 1)]  # fmt: skip
    if len(best) > MAX_TAKEAWAYS:
        defining = [b for b in best if _defines(b[0].text, b[1])][:MAX_TAKEAWAYS]
        rest = [b[0] for b in best if b not in defining]
        more = _most_central(rest, MAX_TAKEAWAYS - len(defining))
        best = [b for b in best if b in defining or b[0] in more]
    return [s for s, _ in best]


def _onward(docs: list[Doc]) -> tuple[str, str] | None:
    """(words, path) of the page the documents point to next, outside this module."""
    own = {re.sub(r"\.[^./]+$", "", d.s.path) for d in docs}
    for doc in reversed(docs):
        for path in doc.s.links:
            cue = f"{doc.s.link_context.get(path, '')} {doc.s.link_text.get(path, '')}"
            if re.sub(r"\.[^./]+$", "", path) not in own and _ONWARD.search(cue):
                words = doc.s.link_text.get(path) or path.rsplit("/", 1)[-1]
                return (words if not code_like(words) else path.rsplit("/", 1)[-1]), path
    return None


def _conclusion(units: list[Unit], docs: list[Doc]) -> list[Part]:
    parts = []
    takeaways = _takeaways(units)
    if takeaways:
        parts.append(Part("Key takeaways", 1, [Para("prose", s.text, [s.ref]) for s in takeaways]))
    onward = _onward(docs)
    if onward:
        line = f"Continue with {onward[0]} (`{onward[1]}`)."
        parts.append(Part("What comes next", 1, [Para("prose", line, [])]))
    return parts


def _summary(units: list[Unit], said: set[str], takeaways: list[Sentence]) -> list[Sentence]:
    """Two or three central, self-contained statements on the documents' titles (one per
    document when there are several), other than the introduction's and, when there are
    others, the takeaways'; at most about 80 words."""
    taken = {s.text for s in takeaways}
    docs = list(dict.fromkeys(u.doc for u in units))
    chosen: list[Sentence] = []
    for doc in docs[:3]:
        pool = _impersonal([s for u in units if u.doc is doc for s in _standing(u)
                            if collapse(s.text).casefold() not in said])  # fmt: skip
        pool = _on_topic([s for s in pool if s.text not in taken] or pool, doc.s.title)
        chosen += _most_central(pool, 1 if len(docs) > 1 else 3)
    while len(chosen) > 2 and sum(len(s.text.split()) for s in chosen) > 80:
        chosen.pop()
    return chosen


def _passages(units: list[Unit]) -> tuple[list[Passage], set[str], int]:
    """The module's blocks to ask about (its sections' prose and lists, and the examples it
    shows), the sentences it shows (casefolded) and how many words it shows."""
    passages: list[Passage] = []
    for u in units:
        said = {u.sentences[i].block for i in u.picked | u.forced}
        for p, (block, at) in enumerate(u.blocks):
            if block.kind in ("prose", "list") or (block.kind == "code" and p in u.shown):
                text = u.shown[p].text if block.kind == "code" else block.text
                passages.append(Passage(u.doc.number, u.doc.s.path, block.kind, text, at,
                                        u.heading, p in said or p in u.shown))  # fmt: skip
    taught = {collapse(u.sentences[i].text).casefold() for u in units
              for i in u.picked | u.forced}  # fmt: skip
    for u in units:
        for para in u.shown.values():
            if para.kind == "list":
                taught |= {collapse(x.lstrip(" -*0123456789.)")).casefold()
                           for x in para.text.split("\n")}  # fmt: skip
    return passages, taught, sum(u.words(u.picked) for u in units)


class Numbering:
    """Sources numbered 1..n in first-cited order; the same span is one source."""

    def __init__(self, docs: list[Doc]) -> None:
        self.docs = docs
        self.sources: list[dict[str, Any]] = []
        self._by_ref: dict[Ref, int] = {}

    def number(self, ref: Ref) -> int:
        """The source number of a span (added on first use)."""
        if ref not in self._by_ref:
            doc = self.docs[ref.doc]
            block = next((b for b in doc.s.blocks if (at := doc.offset(b)) is not None
                          and at <= ref.start < at + len(b.text) + 1), None)  # fmt: skip
            quote = collapse(doc.text[ref.start : ref.end])
            if len(quote) > QUOTE_MAX:
                quote = quote[: quote.rfind(" ", 0, QUOTE_MAX + 1)].rstrip() or quote[:QUOTE_MAX]
            self._by_ref[ref] = len(self.sources) + 1
            self.sources.append({"index": len(self.sources) + 1, "path": doc.s.path,
                                 "heading": (block.heading if block else None) or None,
                                 "quote": quote, "start": ref.start, "end": ref.end})  # fmt: skip
        return self._by_ref[ref]

    def marks(self, refs: list[Ref]) -> str:
        return "".join(f"[{n}]" for n in dict.fromkeys(self.number(r) for r in refs))


def _table_lines(text: str) -> list[str]:
    rows = [[c.strip().replace("|", "\\|") for c in r.split(" | ")] for r in text.split("\n")]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = [f"| {' | '.join(r)} |" for r in rows]
    return [lines[0], "|" + " --- |" * width, *lines[1:]]


def _markdown(parts: list[Part], numbering: Numbering) -> str:
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
                lines += [*_table_lines(p.text), *([""] if tail else []), *tail, ""]
            else:
                lines += [f"{p.text} {marks}".rstrip(), ""]
    return "\n".join(lines).strip()


def _sections(parts: list[Part], numbering: Numbering) -> list[dict[str, Any]]:
    return [{"heading": part.heading, "paragraphs": [
        {"kind": p.kind, "text": p.text, "lang": p.lang if p.kind == "code" else None,
         "citations": list(dict.fromkeys(numbering.number(r) for r in p.refs))}
        for p in part.paras]} for part in parts]  # fmt: skip


def write_module(
    module: dict[str, Any],
    documents: list[DocStructure],
    analyses: list[dict[str, Any] | None] | None = None,
    *,
    complexity_level: str,
    additional_info: str | None,
) -> ModuleText:
    """The text of one module of a pathway from its documents in reading order (module
    docstring); `analyses` (one per document, or None) give the introductions' summaries and
    fallback objectives, `complexity_level` the length bounds and the questions' difficulty,
    `additional_info` the sentences and examples preferred."""
    level = complexity_level if complexity_level in PROSE_WORDS else "intermediate"
    found = list(analyses or [])
    found = [*found[: len(documents)], *[None] * (len(documents) - len(found))]
    docs = [Doc(i, d) for i, d in enumerate(documents)]
    title = collapse(str(module.get("title") or "")) or (documents[0].title if documents else "")
    note = str(additional_info or "")
    practical = bool(_PRACTICAL.search(note))
    note_words = set(content_words(_PRACTICAL.sub(" ", note))) - {"focus", "please", "more"}
    intro = _introduction(module, docs, found)
    said = {collapse(x.text).casefold() for p in intro.paras for x in split_sentences(p.text)}
    used = set(said)
    units, seen_code = _units(docs, title), set[str]()
    cap = CODE_PER_SECTION[level] + practical
    for unit in units:
        _prepare(unit, level, cap, seen_code, used)
        for s in unit.sentences:  # a sentence said twice in the module is shown once
            used.add(collapse(s.text).casefold())
    budget = round(PROSE_WORDS[level] * (0.85 if practical else 1.0))
    left = _fit(units, budget, note_words)
    main: list[Part] = []
    for unit in units:
        paras = _unit_paras(unit)
        if unit.heading or not main:
            if paras or unit.level == 1:
                main.append(Part(unit.heading or title, unit.level, paras))
        else:
            main[-1].paras.extend(paras)
    main = [p for i, p in enumerate(main)
            if p.paras or (i + 1 < len(main) and main[i + 1].level > p.level)]  # fmt: skip
    templated = ["introduction"]
    if left:
        names = list(dict.fromkeys(u.heading for u in left if u.heading))
        if names:
            line = f"*Not covered here: {', '.join(names)} (in `{left[0].doc.s.path}`).*"
            main.append(Part("", 2, [Para("prose", line, [])]))
    if any(not p.refs for part in main for p in part.paras):
        templated.append("main_content")
    conclusion = _conclusion(units, docs)
    takeaways = _takeaways(units)
    numbering = Numbering(docs)
    texts = {name: _markdown(parts, numbering) for name, parts in
             (("introduction", [intro]), ("main_content", main), ("conclusion", conclusion))}  # fmt: skip
    summary = " ".join(f"{s.text} {numbering.marks([s.ref])}" for s in _summary(units, said,
                                                                            takeaways))  # fmt: skip
    checks = write_checks(*_passages(units), level, _self_contained,
                          lambda d, a, b: numbering.number(Ref(d, a, b)))  # fmt: skip
    if conclusion:
        templated.append("conclusion")
    if checks:
        templated.append("assessment")
    return ModuleText(
        introduction=texts["introduction"], main_content=texts["main_content"],
        conclusion=texts["conclusion"], assessment=assessment_markdown(checks), summary=summary,
        sources=numbering.sources, sections=_sections([intro, *main, *conclusion], numbering),
        checks=checks, templated=templated,
    )  # fmt: skip
