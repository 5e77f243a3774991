"""Join extracted blocks into the document text and split it into anchored passages."""

from __future__ import annotations

from dataclasses import dataclass

from studyforge.ai.offline.text import split_sentences
from studyforge.documents.extract import Block

MAX_CHARS = 1000  # about 200 tokens: within MiniLM's 256-token window
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Chunk:
    """A passage: its text is exactly `document_text[start:end]`."""

    text: str
    page: int | None
    heading: str | None
    start: int
    end: int


def assemble(blocks: list[Block], max_chars: int = MAX_CHARS) -> tuple[str, list[Chunk]]:
    """The full text (blocks joined by blank lines) and its passages.

    A passage never crosses a page or heading boundary; long blocks are split at sentence
    boundaries (and, for run-on text, at spaces).
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
    anchor: tuple[int | None, str | None] = (None, None)

    def flush() -> None:
        if group:
            start, end = group[0][0], group[-1][1]
            chunks.append(Chunk(text[start:end], anchor[0], anchor[1], start, end))
            group.clear()

    for start, end, block in spans:
        key = (block.page, block.heading)
        for piece in _pieces(text, start, end, max_chars):
            too_long = group and piece[1] - group[0][0] > max_chars
            if key != anchor or too_long:
                flush()
                anchor = key
            group.append(piece)
    flush()
    return text, chunks


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
