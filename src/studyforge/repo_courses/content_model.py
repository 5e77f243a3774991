"""The pieces stage 4 builds a module from (`content`): a document's text and where its
blocks start, cited spans, the sentences of a section and what the module may do with them,
and which sections are page furniture rather than teaching."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studyforge.ai.offline.terms import strip_numbering
from studyforge.documents.blocks import Block
from studyforge.repo_courses.structure import DocStructure

SEPARATOR = "\n\n"  # between blocks in `document_text`
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


def furniture(title: str, doc: DocStructure) -> bool:
    low = strip_numbering(title).lower().strip(" :")
    own = low == doc.title.lower().strip()
    return not own and (low in _FURNITURE or bool(_VERSION_TITLE.match(low)))
