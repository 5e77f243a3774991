"""Stage 4's main content (`content`): each section of each document read into a `Unit`, its
sentences classified, its examples, lists and tables chosen, and the most central sentences
picked within the word budget; then the parts in source order.

Per document, per section in the source's order: the section's most central prose sentences
(`central_sentences`, TF-IDF TextRank + MMR; sentences using the note's words first), the
sentence that introduces each example shown, its lists and tables, and its first one or two
code examples (an example is shown once per module). A sentence that leans on the one before
brings it along, or is left out. Left out: page furniture (sections titled Contents, Links,
Changelog, Donate ...; badges, link lists, "See ..." pointers, "New in version" notes), what
introduces an example that is not shown, and prose that is code the reader flattened (a
`click:example` body, say): a block without a complete sentence.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studyforge.ai.offline.terms import code_like, strip_numbering
from studyforge.ai.offline.text import central_sentences, content_words, split_sentences
from studyforge.documents.blocks import Block
from studyforge.repo_courses import content_checks as rules
from studyforge.repo_courses.content_model import (
    Doc,
    Para,
    Part,
    Ref,
    Statement,
    Unit,
    collapse,
    furniture,
)
from studyforge.repo_courses.structure import DocStructure, Section

PROSE_WORDS = {"beginner": 1300, "intermediate": 1100, "advanced": 900}
CODE_PER_SECTION = 2
CODE_LINES = {"beginner": 30, "intermediate": 40, "advanced": 50}
MAX_CODE = 12
LIST_CHARS, LIST_ITEMS, TABLE_CHARS, TABLE_ROWS = 2000, 15, 2000, 15


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


def units(docs: list[Doc], module_title: str) -> list[Unit]:
    units = []
    for doc in docs:
        for section in doc.s.sections:
            if not (section.title and furniture(section.title, doc.s)):
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


def prepare(unit: Unit, level: str, examples: Examples, used: set[str]) -> None:
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


def fit(units: list[Unit], budget: int, note: set[str]) -> list[Unit]:
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


def main_parts(units: list[Unit], left: list[Unit], title: str) -> list[Part]:
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
