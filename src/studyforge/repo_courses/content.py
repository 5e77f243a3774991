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
- Main content: per document, per section in the source's order: the section's most central
  prose sentences (`central_sentences`, TF-IDF TextRank + MMR; sentences using the note's
  words first), the sentence that introduces each example shown, its lists and tables, and
  its first one or two code examples (an example is shown once per module). A sentence that
  leans on the one before brings it along, or is left out. Left out: page furniture
  (sections titled Contents, Links, Changelog, Donate ...; badges, link lists, "See ..."
  pointers, "New in version" notes), what introduces an example that is not shown, and
  prose that is code the reader flattened (a `click:example` body, say): a block without a
  complete sentence.
- Conclusion: the key takeaways, the most central self-contained statement of each main
  section (those saying what their section is about first, at most MAX_TAKEAWAYS; none for
  a main content under TAKEAWAYS_FROM words, which they would only repeat), and the
  page the documents point to next ("Continue to ..."), when they do.
- Summary: two or three central statements on the documents' titles (one per document when
  there are several), other than the introduction's and, when possible, the takeaways'.
- Assessment and checks: `content_checks.write_checks`.

Length: the main content holds at most PROSE_WORDS[level] words of prose, lists and tables
(1,300 / 1,100 / 900 for beginner / intermediate / advanced; 15% less when the note asks for
practical examples). When the sections hold more, each section keeps a share of its
sentences in proportion to its prose, the largest shares shrink first, and when one sentence
per section is still too much, sections are left out from the end of the document that shows
the most (never its first), each document's named in a note after it.
Introduction (INTRO_WORDS), takeaways and summary add about 400 words at most. Code does not
count: at most CODE_PER_SECTION examples per section (one more for a practical note) and
MAX_CODE per module (shared out among its documents), each cut at a line boundary after
CODE_LINES[level] lines with a note saying how many lines follow in the source.

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

from studyforge.ai.offline.terms import code_like, strip_numbering
from studyforge.ai.offline.text import central_sentences, content_words, split_sentences
from studyforge.courses.render import fence, list_items
from studyforge.documents.blocks import Block
from studyforge.repo_courses import content_checks as rules
from studyforge.repo_courses.content_checks import Passage, assessment_markdown, write_checks
from studyforge.repo_courses.structure import DocStructure, Section, name_title

SEPARATOR = "\n\n"  # between blocks in `document_text`
QUOTE_MAX = 300
PROSE_WORDS = {"beginner": 1300, "intermediate": 1100, "advanced": 900}
PRACTICAL_SHARE = 0.85  # of the prose budget, when the note asks for practical examples
CODE_PER_SECTION = 2
CODE_LINES = {"beginner": 30, "intermediate": 40, "advanced": 50}
MAX_CODE = 12
MAX_TAKEAWAYS = 5
TAKEAWAYS_FROM = 150  # words of main content: below that, takeaways would only repeat it
INTRO_WORDS = 140
LIST_CHARS, LIST_ITEMS, TABLE_CHARS, TABLE_ROWS = 2000, 15, 2000, 15
LEAD = "In this module you will:"
_FURNITURE = {
    "contents", "table of contents", "table of content", "toc", "changelog", "changes",
    "change log", "history", "release notes", "license", "licence", "copyright", "links",
    "useful links", "badges", "status", "donate", "sponsors", "sponsor", "funding",
    "indices and tables", "acknowledgements", "acknowledgments", "credits", "authors",
    "contributors", "documentation", "contribute", "contributing", "community", "help",
    "getting help", "support", "security", "code of conduct", "citation", "citing",
    "how to cite", "related projects", "see also", "further reading", "resources",
}  # fmt: skip
_VERSION_TITLE = re.compile(r"^(?:version|release|v)?\s*\d+(?:\.\d+)+\b", re.I)
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


def document_text(doc: DocStructure) -> str:
    """The text a source's `start`/`end` refer to: the document's blocks (headings and code
    included, as the parser read them) joined by a blank line."""
    return SEPARATOR.join(b.text for b in doc.blocks)


def collapse(text: str) -> str:
    """Runs of whitespace as one space (how quotes are written and compared)."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Ref:
    """A cited span: the document's number in the module, offsets in its text."""

    doc: int
    start: int
    end: int


@dataclass
class Para:
    """A paragraph of the module, before its citations are numbered."""

    kind: str  # prose | list | code | table
    text: str
    refs: list[Ref]
    lang: str | None = None


@dataclass
class Part:
    """A headed part; `level` 1 is a document's title or a part of the module's own."""

    heading: str
    level: int
    paras: list[Para] = field(default_factory=list)


class Doc:
    """A document of the module: its text and where each block starts in it."""

    def __init__(self, number: int, structure: DocStructure) -> None:
        self.number, self.s = number, structure
        self.text = document_text(structure)
        self._at: dict[int, int] = {}
        pos = 0
        for block in structure.blocks:
            self._at[id(block)] = pos
            pos += len(block.text) + len(SEPARATOR)

    def offset(self, block: Block) -> int | None:
        """Where `block` starts in the text; None if it is not there."""
        if id(block) in self._at:
            return self._at[id(block)]
        found = self.text.find(block.text) if block.text else -1
        return found if found >= 0 else None


@dataclass
class Statement:
    """A sentence of a section, where it is, and what the module may do with it."""

    text: str
    ref: Ref
    block: int  # its block's position in the section
    pos: int  # its position in the block
    last: bool  # the block's last sentence
    state: str  # candidate | lead (a lead-in) | said (in the introduction) | drop


@dataclass
class Unit:
    """One section of one document, as read for the main content."""

    doc: Doc
    heading: str  # "" to go on under the heading before
    level: int
    blocks: list[tuple[Block, int]]  # with their offsets
    sentences: list[Statement] = field(default_factory=list)
    shown: dict[int, Para] = field(default_factory=dict)  # block position -> code/list/table
    notes: dict[int, Para] = field(default_factory=dict)  # templated notes after a block
    forced: set[int] = field(default_factory=set)  # sentences kept whatever the budget
    picked: set[int] = field(default_factory=set)
    k: int = 0  # how many candidates to pick

    def candidates(self) -> list[int]:
        return [i for i, s in enumerate(self.sentences)
                if s.state == "candidate" and i not in self.forced]  # fmt: skip

    def words(self, picked: set[int] | None = None) -> int:
        """Words shown: lists and tables, forced sentences and `picked` (default: its own)."""
        chosen = (self.picked if picked is None else picked) | self.forced
        shown = sum(len(p.text.split()) for p in self.shown.values() if p.kind != "code")
        return shown + sum(len(self.sentences[i].text.split()) for i in chosen)

    def runs(self, sentences: list[int]) -> list[Ref]:
        """The spans of the runs of consecutive sentences among `sentences` (one block's)."""
        runs: list[list[int]] = []
        for i in sentences:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        at = self.sentences
        return [Ref(self.doc.number, at[r[0]].ref.start, at[r[-1]].ref.end) for r in runs]


# --- sections and what each shows -------------------------------------------------------------


def _furniture(title: str, doc: DocStructure) -> bool:
    low = strip_numbering(title).lower().strip(" :")
    own = low == doc.title.lower().strip()
    return not own and (low in _FURNITURE or bool(_VERSION_TITLE.match(low)))


def _heading(section: Section, doc: DocStructure, module_title: str) -> tuple[str, int]:
    """(heading, level) of a section: its own title without its number; for the text before
    the first heading and a top title that is code ("$ click_"), the document's title, or
    the module's when that is a file name or another section's; "" for a deeper code-like
    title (its text goes on under the heading before)."""
    if section.level and not code_like(section.title):
        return strip_numbering(section.title), section.level
    if section.level > 1:
        return "", section.level
    title = doc.title
    named = any(s.level and s.title == title for s in doc.sections)
    if named or code_like(title) or title.lower() in ("readme", "index"):
        title = module_title
    return title, 1


def _units(docs: list[Doc], module_title: str) -> list[Unit]:
    units = []
    for doc in docs:
        for section in doc.s.sections:
            if not (section.title and _furniture(section.title, doc.s)):
                heading, level = _heading(section, doc.s, module_title)
                blocks = [(b, at) for b in section.blocks if (at := doc.offset(b)) is not None]
                units.append(Unit(doc, heading, level, blocks))
    return units


def _trimmed_code(text: str, limit: int) -> tuple[str, int]:
    """The code cut at a line boundary (a blank line when one is near), and lines left out."""
    lines = text.split("\n")
    if len(lines) <= limit:
        return text, 0
    blank = [i for i in range(limit // 2, limit + 1) if not lines[i].strip()]
    cut = blank[-1] if blank else limit
    return "\n".join(lines[:cut]).rstrip(), len(lines) - cut


def _trimmed_list(text: str) -> tuple[str, int]:
    """The list's first items (nested lines with their item) within LIST_ITEMS and
    LIST_CHARS, and how many items are left out."""
    lines = text.split("\n")
    tops = [i for i, line in enumerate(lines) if not line.startswith(" ")]
    keep = len(lines)
    for n, i in enumerate(tops):
        if n >= LIST_ITEMS or (n and len("\n".join(lines[:i])) > LIST_CHARS):
            keep = tops[n - 1] if n > 1 and len("\n".join(lines[:i])) > LIST_CHARS else i
            break
    return "\n".join(lines[:keep]), len([i for i in tops if i >= keep])


def _teaching_list(text: str) -> bool:
    """Not a list of links or badges, nor one bare line (a link or a label)."""
    items = [x for x in text.split("\n") if x.strip()]
    links = sum(1 for x in items if re.search(r"https?://|!\[", x))
    bare = len(items) == 1 and not re.search(r"[.:;!?`]", items[0])
    return bool(items) and links * 2 < len(items) and not bare


def _small_table(text: str) -> bool:
    return text.count("\n") < TABLE_ROWS and len(text) <= TABLE_CHARS


@dataclass
class Examples:
    """How many examples may be shown: per section, per document (MAX_CODE shared out among
    the module's documents), and which are shown already (an example is shown once)."""

    per_section: int
    per_doc: int
    seen: set[str] = field(default_factory=set)
    count: dict[int, int] = field(default_factory=dict)  # document number -> shown

    def take(self, unit: Unit, code: str) -> bool:
        """Whether `code` is shown in `unit` (it is then counted)."""
        here = sum(1 for x in unit.shown.values() if x.kind == "code")
        key, doc = collapse(code), unit.doc.number
        if not key or key in self.seen or here >= self.per_section:
            return False
        if self.count.get(doc, 0) >= self.per_doc:
            return False
        self.seen.add(key)
        self.count[doc] = self.count.get(doc, 0) + 1
        return True


def _show(unit: Unit, p: int, block: Block, ref: Ref, level: str, examples: Examples) -> None:
    """Whether and how block `p` (code, a list or a table) is shown."""
    if block.kind == "code":
        if not examples.take(unit, block.text):
            return
        text, more = _trimmed_code(block.text, CODE_LINES.get(level, 40))
        unit.shown[p] = Para("code", text, [ref], block.lang)
        if more:
            note = f"*The example goes on for {more} more lines in `{unit.doc.s.path}`.*"
            unit.notes[p] = Para("prose", note, [])
    elif block.kind == "list" and _teaching_list(block.text):
        text, more = _trimmed_list(block.text)
        unit.shown[p] = Para("list", text, [ref])
        if more:
            unit.notes[p] = Para("prose", f"*The list goes on with {more} more items.*", [])
    elif block.kind == "table" and _small_table(block.text):
        unit.shown[p] = Para("table", block.text, [ref])


def _prepare(unit: Unit, level: str, examples: Examples, used: set[str]) -> None:
    """The unit's sentences classified, its examples, lists and tables chosen, and the
    sentence that introduces each one shown forced in (module docstring)."""
    for p, (block, at) in enumerate(unit.blocks):
        ref = Ref(unit.doc.number, at, at + len(block.text))
        if block.kind != "prose":
            _show(unit, p, block, ref, level, examples)
            continue
        found = split_sentences(block.text)
        for j, s in enumerate(found):
            last = j == len(found) - 1
            state = "candidate" if rules.admissible(s.text) else "drop"
            if rules.lead_in(s.text):
                state = "lead" if last and rules.admissible(s.text, least=1) else "drop"
            if state == "candidate" and collapse(s.text).casefold() in used:
                state = "said"  # brought back only for a sentence that leans on it
            if rules.glue(s.text) and p - 1 not in unit.shown:
                state = "drop"
            span = Ref(unit.doc.number, at + s.start, at + s.end)
            unit.sentences.append(Statement(s.text, span, p, j, last, state))
    kinds = [b.kind for b, _ in unit.blocks] + [""]
    for i, st in enumerate(unit.sentences):
        introduces = st.last and st.block + 1 in unit.shown
        unshown = st.last and kinds[st.block + 1] == "code" and not introduces
        if st.state == "lead" and not introduces:
            st.state = "drop"
        if unshown and (rules.leans(st.text) or len(st.text.split()) < 10):
            st.state = "drop"  # it introduces an example that is not shown
        if introduces and st.state in ("lead", "candidate"):
            unit.forced.add(i)
    used |= {collapse(st.text).casefold() for st in unit.sentences}


def _pick(unit: Unit, k: int, note: set[str]) -> set[int]:
    """The k most central candidates (those using the note's words first), each leaning
    sentence with the one before it, or without it when that cannot come."""
    pool = unit.candidates()
    if k >= len(pool):
        chosen = set(pool)
    else:
        first = [i for i in pool if note & set(content_words(unit.sentences[i].text))][:k]
        rest = [i for i in pool if i not in first]
        central = central_sentences([unit.sentences[i].text for i in rest], k - len(first))
        chosen = set(first) | {rest[j] for j in central}
    for i in sorted(chosen | unit.forced):
        s = unit.sentences[i]
        leaning = rules.leans(s.text)
        if not leaning and not rules.points_back(s.text):
            continue
        if s.pos > 0 and (i - 1 in pool or unit.sentences[i - 1].state == "said"):
            chosen.add(i - 1)
        elif i in unit.forced:
            continue  # it introduces an example shown: kept as it is
        elif (leaning and s.pos > 0) or (
            leaning
            and s.block - 1 not in unit.shown
            and not any(unit.sentences[j].block == s.block - 1 for j in chosen | unit.forced)
        ):
            chosen.discard(i)
    return chosen


def _fit(units: list[Unit], budget: int, note: set[str]) -> list[Unit]:
    """Picks within the word budget (module docstring); returns the units left out."""
    for u in units:
        u.k = len(u.candidates())
        u.picked = _pick(u, u.k, note)
    if sum(u.words() for u in units) > budget:
        room = max(0, budget - sum(u.words(set()) for u in units))
        sizes = [sum(len(u.sentences[i].text.split()) for i in u.candidates()) for u in units]
        for u, size in zip(units, sizes, strict=True):
            if u.k:
                share = room * size / (sum(sizes) or 1) / (size / u.k)
                u.k = max(1, min(u.k, round(share)))
                u.picked = _pick(u, u.k, note)
    while sum(u.words() for u in units) > budget and any(u.k > 1 for u in units):
        u = max(reversed([u for u in units if u.k > 1]), key=lambda x: x.k)
        u.k -= 1
        u.picked = _pick(u, u.k, note)
    left: list[Unit] = []
    order = {id(u): i for i, u in enumerate(units)}
    while sum(u.words() for u in units) > budget:
        sizes_by_doc: dict[Doc, int] = {}
        for u in units:
            sizes_by_doc[u.doc] = sizes_by_doc.get(u.doc, 0) + u.words()
        several = [d for d in sizes_by_doc if sum(u.doc is d for u in units) > 1]
        if not several:
            break
        doc = max(several, key=lambda d: (sizes_by_doc[d], d.number))
        left.append(next(u for u in reversed(units) if u.doc is doc))
        units.remove(left[-1])
    return sorted(left, key=lambda u: order[id(u)])


def _paras(unit: Unit) -> list[Para]:
    """The unit's paragraphs in source order: its chosen sentences block by block (one
    citation per run of consecutive sentences), what it shows, and the notes."""
    keep = sorted(unit.picked | unit.forced)
    paras: list[Para] = []
    for p in range(len(unit.blocks)):
        mine = [i for i in keep if unit.sentences[i].block == p]
        if mine:
            text = " ".join(unit.sentences[i].text for i in mine)
            paras.append(Para("prose", text, unit.runs(mine)))
        paras += [x[p] for x in (unit.shown, unit.notes) if p in x]
    return paras


def _main(units: list[Unit], left: list[Unit], title: str) -> list[Part]:
    """Each document's parts (a unit without a heading goes on under the one before; an
    empty part is kept only as the parent of the next), then what it leaves out."""
    out: list[Part] = []
    for doc in dict.fromkeys(u.doc for u in [*units, *left]):
        parts: list[Part] = []
        for unit in (u for u in units if u.doc is doc):
            paras = _paras(unit)
            if unit.heading or not parts:
                parts.append(Part(unit.heading or title, unit.level, paras))
            else:
                parts[-1].paras.extend(paras)
        out += [p for i, p in enumerate(parts)
                if p.paras or (i + 1 < len(parts) and parts[i + 1].level > p.level)]  # fmt: skip
        names = list(dict.fromkeys(u.heading for u in left if u.doc is doc and u.heading))
        if names:
            line = f"*Not covered here: {', '.join(names)} (in `{doc.s.path}`).*"
            out.append(Part("", 2, [Para("prose", line, [])]))
    return out


# --- introduction, conclusion, summary --------------------------------------------------------


def _opening(doc: Doc, analysis: dict[str, Any] | None) -> list[tuple[str, Ref]]:
    """What the document says it is about: the first sentences of its first paragraph (two
    when they follow on), else the first sentence of its analysis summary found in it."""
    for section in doc.s.sections:
        if section.title and _furniture(section.title, doc.s):
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
    used, units = set(said), _units(docs, title)
    examples = Examples(CODE_PER_SECTION + practical, -(-MAX_CODE // max(1, len(docs))))
    for unit in units:
        _prepare(unit, level, examples, used)
    budget = round(PROSE_WORDS[level] * (PRACTICAL_SHARE if practical else 1.0))
    left = _fit(units, budget, note_words)
    main = _main(units, left, title)
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
