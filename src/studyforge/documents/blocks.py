"""What extraction produces: typed blocks of text with their page and heading path.

Every format's extractor (`pdf_layout`, `markup`, `office`) returns `Block`s in reading order:

- `heading`: the heading's own text; `heading` holds the path including it ("A > B").
- `prose`: one paragraph, its line breaks joined, hyphenation and ligatures repaired.
- `list`: the items of one list, one per line, each starting with its marker ("- ", "1. ").
- `code`: a code example or literal block, line breaks and indentation kept (dedented).
- `table`: one row per line, cells separated by " | ".

`heading` on every block is the path of the section it sits in, at most 500 characters.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["heading", "prose", "list", "code", "table"]
KINDS: tuple[str, ...] = ("heading", "prose", "list", "code", "table")
HEADING_PATH_MAX = 500


class ExtractError(Exception):
    """The file cannot be read; the message is shown to the user."""


@dataclass
class Block:
    """A paragraph-like run of text, what kind it is, and where it sits in the source."""

    text: str
    page: int | None = None
    heading: str | None = None
    kind: str = "prose"
    lang: str | None = None  # code only: "python", "pycon", "bash"... when the source says


@dataclass
class Extracted:
    """The blocks of a document, its page count, and PDF pages that need OCR (1-based)."""

    blocks: list[Block] = field(default_factory=list)
    page_count: int | None = None
    ocr_pages: list[int] = field(default_factory=list)


class HeadingPath:
    """The current heading path ("Chapter > Section") as headings are met in order."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []

    def push(self, level: int, text: str) -> None:
        """Enter a heading of `level` (1 = top): deeper or equal headings are closed first."""
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text[:120]))

    def path(self) -> str | None:
        """The path of the current section, or None before the first heading."""
        return " > ".join(t for _, t in self.stack)[:HEADING_PATH_MAX] or None


class ListItems:
    """List handling shared by the Markdown and reStructuredText parsers: an item's first
    paragraph joins the list, nested lists are indented, anything else ends the list."""

    blocks: list[Block]
    headings: HeadingPath

    def parse(self, lines: list[str]) -> list[Block]:
        """Parse lines into blocks (the parser's own method)."""
        raise NotImplementedError

    def _item(self, marker: str, body: list[str], items: list[str]) -> list[str]:
        """Add one list item (its first paragraph) to `items`; other content flushes them."""
        start = len(self.blocks)
        added = self.parse(body)
        del self.blocks[start:]
        first = added.pop(0).text if added and added[0].kind == "prose" else ""
        items.append((marker + first).rstrip())
        for block in added:
            if block.kind == "list":
                items.extend("  " + x for x in block.text.split("\n"))
            else:
                self._flush_list(items)
                items = []
                self.blocks.append(block)
        return items

    def _flush_list(self, items: list[str]) -> None:
        if items:
            self.blocks.append(Block("\n".join(items), None, self.headings.path(), "list"))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Typographic ligatures and the soft hyphen, as PDF text layers often carry them.
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
     "\ufb05": "st", "\ufb06": "st", "\u00ad": ""}
)  # fmt: skip
_HYPHEN_BREAK = re.compile(r"(?<=[a-z])-\n(?=[a-z])")


def clean(text: str) -> str:
    """Collapse runs of spaces, drop control characters, keep line breaks."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n")).replace("\r", "\n")
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def repair(text: str) -> str:
    """Prose as one paragraph: ligatures expanded, words hyphenated at line ends rejoined,
    line breaks joined with a space ("by-product" written on one line keeps its hyphen)."""
    text = text.translate(_LIGATURES)
    text = _HYPHEN_BREAK.sub("", clean(text))
    return " ".join(text.split())


def clean_code(text: str) -> str:
    """Code with its line breaks and indentation: tabs expanded, common indent removed,
    trailing spaces and blank first/last lines dropped."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4))
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return textwrap.dedent("\n".join(lines)).translate(_LIGATURES)


def paragraphs(text: str) -> list[str]:
    """Plain text split at blank lines, each paragraph repaired."""
    return [p for p in (repair(chunk) for chunk in re.split(r"\n\s*\n", text)) if p]


def normalise(text: str) -> str:
    """NFC form (composed accents), for comparing extracted text."""
    return unicodedata.normalize("NFC", text)
