"""Markdown with its structure (headings, code, lists, tables); the reStructuredText and HTML
readers are re-exported from here, so one module serves every markup format."""

from __future__ import annotations

import html
import re

from studyforge.documents.blocks import Block, HeadingPath, ListItems, clean, clean_code
from studyforge.documents.htmltext import html_blocks
from studyforge.documents.rst import code_lang, rst_blocks

__all__ = ["html_blocks", "markdown_blocks", "rst_blocks"]

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s{]*)")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TABLE_RULE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}>")
_MAX_DEPTH = 40  # nested lists deeper than this are read as plain paragraphs
_REFDEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_HTML_START = re.compile(r"^ {0,3}<(/?[a-zA-Z][\w-]*[\s/>]|/?[a-zA-Z][\w-]*$|!--)")


def _md_inline(text: str) -> str:
    """Markdown inline markup as plain text: code spans kept in `backticks`, links as words."""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"(`+)(.+?)\1", lambda m: keep(f"`{m.group(2).strip()}`"), clean(text))
    text = re.sub(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])", "", text)
    text = re.sub(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])", r"\1", text)
    text = re.sub(r"<((?:https?|mailto):[^>\s]+)>", lambda m: keep(m.group(1)), text)
    text = re.sub(r"</?[a-zA-Z][\w-]*(?:\s[^<>]*)?/?>|<!--.*?-->", "", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_\\])_(?!\w)", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    text = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], " ".join(text.split()))
    return text.strip()


def _starts_block(line: str) -> bool:
    return bool(
        _FENCE.match(line) or _ATX.match(line) or _RULE.match(line) or _ITEM.match(line)
        or _QUOTE.match(line) or _HTML_START.match(line)
    )  # fmt: skip


class _Markdown(ListItems):
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.headings = HeadingPath()
        self.depth = 0

    def emit(self, kind: str, text: str, lang: str | None = None) -> None:
        if kind == "code":
            text = clean_code(text)
            lang = code_lang(lang, text)
        elif kind != "table":
            text = _md_inline(text)
        if text.strip():
            self.blocks.append(Block(text, None, self.headings.path(), kind, lang))

    def heading(self, level: int, text: str) -> None:
        text = _md_inline(text).replace("`", "")
        if text:
            self.headings.push(level, text)
            self.blocks.append(Block(text, None, self.headings.path(), "heading"))

    def parse(self, lines: list[str]) -> list[Block]:
        """Parse lines into blocks; returns the blocks it added."""
        start, i = len(self.blocks), 0
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.emit("prose", " ".join(lines))
            lines = []
        while i < len(lines):
            line = lines[i]
            atx = _ATX.match(line)
            if not line.strip() or _REFDEF.match(line):
                i += 1
            elif _FENCE.match(line):
                i = self._fence(lines, i)
            elif atx:
                self.heading(len(atx.group(1)), atx.group(2) or "")
                i += 1
            elif _RULE.match(line):
                i += 1
            elif "|" in line and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
                i = self._table(lines, i)
            elif _ITEM.match(line):
                i = self._list(lines, i)
            elif _QUOTE.match(line):
                i = self._quote(lines, i)
            elif line.startswith(("    ", "\t")):
                i = self._indented(lines, i)
            elif _HTML_START.match(line):
                i = self._html(lines, i)
            else:
                i = self._paragraph(lines, i)
        self.depth -= 1
        return self.blocks[start:]

    def _fence(self, lines: list[str], i: int) -> int:
        match = _FENCE.match(lines[i])
        assert match is not None
        indent, fence = len(match.group(1)), match.group(2)
        end = i + 1
        while end < len(lines) and not re.match(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}\s*$",
                                                  lines[end]):  # fmt: skip
            end += 1
        body = [x[min(indent, len(x) - len(x.lstrip(" "))) :] for x in lines[i + 1 : end]]
        self.emit("code", "\n".join(body), match.group(3) or None)
        return end + 1

    def _indented(self, lines: list[str], i: int) -> int:
        end = i
        while end < len(lines) and (not lines[end].strip() or lines[end][:4] in ("    ",)
                                    or lines[end].startswith("\t")):  # fmt: skip
            end += 1
        self.emit("code", "\n".join(lines[i:end]))
        return end

    def _paragraph(self, lines: list[str], i: int) -> int:
        end = i + 1
        while end < len(lines) and lines[end].strip():
            if _SETEXT.match(lines[end]):
                level = 1 if lines[end].strip()[0] == "=" else 2
                self.heading(level, " ".join(lines[i:end]))
                return end + 1
            if _starts_block(lines[end]):
                break
            end += 1
        self.emit("prose", "\n".join(lines[i:end]))
        return end

    def _table(self, lines: list[str], i: int) -> int:
        rows, end = [], i
        while end < len(lines) and "|" in lines[end] and lines[end].strip():
            if end != i + 1:
                cells = re.split(r"(?<!\\)\|", lines[end].strip().strip("|"))
                rows.append(" | ".join(c for c in (_md_inline(x) for x in cells) if c))
            end += 1
        self.emit("table", "\n".join(r for r in rows if r))
        return end

    def _quote(self, lines: list[str], i: int) -> int:
        body, end = [], i
        while end < len(lines) and lines[end].strip():
            body.append(re.sub(r"^ {0,3}(?:> ?)+", "", lines[end]))  # nested quotes as one
            end += 1
        self.parse(body)
        return end

    def _html(self, lines: list[str], i: int) -> int:
        end = i + 1
        if lines[i].lstrip().startswith("<!--"):
            while end <= len(lines) and "-->" not in lines[end - 1]:
                end += 1
            return end
        while end < len(lines) and lines[end].strip():
            end += 1
        for block in html_blocks("\n".join(lines[i:end])):
            if block.kind == "heading":
                self.heading(len((block.heading or "").split(" > ")), block.text)
            else:
                self.blocks.append(Block(block.text, None, self.headings.path(), block.kind,
                                         block.lang))  # fmt: skip
        return end

    def _list(self, lines: list[str], i: int) -> int:
        first = _ITEM.match(lines[i])
        assert first is not None
        bullet = first.group(2)[-1] in "-*+"
        items: list[str] = []
        while i < len(lines) and (match := _ITEM.match(lines[i])):
            if (match.group(2)[-1] in "-*+") != bullet:
                break
            col = match.end() if lines[i][match.end() :].strip() else len(match.group(1)) + 2
            end = i + 1
            while end < len(lines):
                line, prev = lines[end], lines[end - 1]
                indent = len(line) - len(line.lstrip(" "))
                if line.strip() and indent < col and (not prev.strip() or _starts_block(line)):
                    break
                end += 1
            body = [lines[i][match.end() :]] + [x[col:] if x[:col].isspace() else x.lstrip()
                                                for x in lines[i + 1 : end]]  # fmt: skip
            marker = "- " if bullet else f"{match.group(2)[:-1]}. "
            items = self._item(marker, body, items)
            i = end
        self._flush_list(items)
        return i


def markdown_blocks(text: str) -> list[Block]:
    """Markdown as blocks: ATX/setext headings, fenced/indented code, lists, pipe tables."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((k for k in range(1, len(lines)) if lines[k].strip() in ("---", "...")), 0)
        lines = lines[end + 1 :] if end else lines
    parser = _Markdown()
    parser.parse([line.rstrip() for line in lines])
    return parser.blocks
