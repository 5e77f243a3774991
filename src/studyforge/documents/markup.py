"""Markdown, reStructuredText and HTML with their structure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from studyforge.documents.blocks import (
    Block,
    HeadingPath,
    clean,
    paragraphs,
)


def markdown_blocks(text: str) -> list[Block]:
    headings = HeadingPath()
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n|\n(?=#{1,6}\s)", text):
        for i, line in enumerate(para.split("\n")):
            match = re.match(r"^(#{1,6})\s+(.*)$", line)
            if match and i == 0:
                headings.push(len(match.group(1)), clean(match.group(2)).strip("# "))
        body = clean(para)
        if body:
            blocks.append(Block(body, None, headings.path()))
    return blocks


class _HTMLText(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "head", "svg"}
    BREAKS = {"p", "div", "li", "br", "tr", "section", "article", "table", "ul", "ol", "pre",
              "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt"}  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.headings = HeadingPath()
        self.buffer: list[str] = []
        self.skipping = 0
        self.level = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self._flush()
            if re.fullmatch(r"h[1-6]", tag):
                self.level = int(tag[1])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.buffer.append(data)

    def _flush(self) -> None:
        text = clean(" ".join("".join(self.buffer).split()))
        self.buffer = []
        if text and self.level:
            self.headings.push(self.level, text)
        if text:
            self.blocks.append(Block(text, None, self.headings.path()))
        self.level = 0


def html_blocks(text: str) -> list[Block]:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks


def rst_blocks(text: str) -> list[Block]:
    """reStructuredText blocks (for now: paragraphs)."""
    return [Block(p) for p in paragraphs(text)]
