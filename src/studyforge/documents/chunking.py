"""Join extracted blocks into the document text and split it into anchored passages."""

from __future__ import annotations

from dataclasses import dataclass

from studyforge.ai.offline.text import split_sentences
from studyforge.documents.blocks import Block

MAX_CHARS = 1000  # about 200 tokens: within MiniLM's 256-token window
SEPARATOR = "\n\n"
# Passage kinds: prose, list, code, table. Headings are not passages: every passage carries
# its heading path instead.
PASSAGE_KIND = {"prose": "prose", "list": "list", "code": "code", "table": "table"}


@dataclass(frozen=True)
class Chunk:
    """A passage: its text is exactly `document_text[start:end]`."""

    text: str
    page: int | None
    heading: str | None
    start: int
    end: int
    kind: str = "prose"
    lang: str | None = None


def assemble(blocks: list[Block], max_chars: int = MAX_CHARS) -> tuple[str, list[Chunk]]:
    """The full text (blocks joined by blank lines) and its passages.

    A passage never crosses a page or heading boundary and holds one kind of text: code and
    tables and lists stand alone (split between lines when long), prose blocks are grouped up to
    `max_chars` and long ones split at sentence boundaries (run-on text at spaces).
    """
    parts: list[str] = []
    spans: list[tuple[int, int, Block]] = []
    offset = 0
    for block in blocks:
        if parts:
            offset += len(SEPARATOR)
        parts.append(block.text)
        spans.append((offset, offset + len(block.text), block))
        offset += len(block.text)
    text = SEPARATOR.join(parts)

    chunks: list[Chunk] = []
    group: list[tuple[int, int]] = []
    anchor: tuple[int | None, str | None, str, str | None] = (None, None, "", None)

    def flush() -> None:
        if group:
            start, end = group[0][0], group[-1][1]
            page, heading, kind, lang = anchor
            chunks.append(Chunk(text[start:end], page, heading, start, end, kind, lang))
            group.clear()

    for start, end, block in spans:
        kind = PASSAGE_KIND.get(block.kind)
        if kind is None:  # a heading: it is in the text, and in its passages' heading path
            flush()
            continue
        key = (block.page, block.heading, kind, block.lang)
        pieces = (
            _pieces(text, start, end, max_chars)
            if kind == "prose"
            else _lines(text, start, end, max_chars)
        )
        for piece in pieces:
            too_long = group and piece[1] - group[0][0] > max_chars
            if key != anchor or too_long or kind != "prose":
                flush()
                anchor = key
            group.append(piece)
    flush()
    return text, chunks


def _lines(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Spans of at most `max_chars` covering text[start:end], cut between lines."""
    pieces: list[tuple[int, int]] = []
    s = start
    while end - s > max_chars:
        cut = text.rfind("\n", s, s + max_chars)
        cut = cut if cut > s else s + max_chars
        pieces.append((s, cut))
        s = cut + 1 if text[cut : cut + 1] == "\n" else cut
    pieces.append((s, end))
    return pieces


def _pieces(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Spans of at most `max_chars` covering text[start:end], cut between sentences."""
    if end - start <= max_chars:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for sentence in split_sentences(text[start:end]):
        s, e = start + sentence.start, start + sentence.end
        while e - s > max_chars:  # a run-on "sentence": cut at the last space that fits
            cut = text.rfind(" ", s, s + max_chars)
            cut = cut if cut > s else s + max_chars
            pieces.append((s, cut))
            s = cut + 1 if text[cut : cut + 1] == " " else cut
        if pieces and e - pieces[-1][0] <= max_chars:
            pieces[-1] = (pieces[-1][0], e)
        else:
            pieces.append((s, e))
    return pieces
