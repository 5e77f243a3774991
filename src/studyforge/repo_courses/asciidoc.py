"""AsciiDoc read into the project's blocks: a small reader, not a full Asciidoctor.

It knows what documentation repositories use: `=` headings (the document header's author and
attribute lines skipped, `{attribute}` references filled in), paragraphs, `*`/`.` lists,
`|===` tables, admonitions (`NOTE:` and `[NOTE]` blocks, as "Note: ..."), definition lists,
and listing (`----`), literal (`....`, indented) and fenced blocks as code, `[source,lang]`
giving the language. Example, sidebar, quote and open blocks are read through; comments and
passthrough blocks are dropped. Cross-references (`xref:`, `<<file.adoc#id,Text>>`,
`include::`) are listed by `asciidoc_targets` for the structure's links.
"""

from __future__ import annotations

import re

from studyforge.documents.blocks import Block, HeadingPath, clean_code, repair
from studyforge.documents.rst import code_lang

_ADOC_HEADING = re.compile(r"^(={1,6}|#{1,6})\s+(\S.*?)(?:\s+=+)?\s*$")
_ADOC_ITEM = re.compile(r"^\s*(\*{1,5}|-|\.{1,5}|\d+\.)\s+(\S.*)$")
_ADOC_ATTR = re.compile(r"^:!?([\w-]+)!?:\s*(.*)$")
_ADOC_NOTE = re.compile(r"^(NOTE|TIP|IMPORTANT|WARNING|CAUTION):\s+(.*)$")
_ADOC_MACRO = re.compile(r"^[\w-]+::\S*\[.*\]\s*$")  # include::, image::, toc::, ifdef::...
_ADOC_DELIM = re.compile(r"^(-{4,}|\.{4,}|`{3}\w*|\+{4,}|/{4,}|={4,}|\*{4,}|_{4,}|--|\|===)$")
_ADOC_LINK = re.compile(
    r"xref:(?P<x>[^\[\s]+)\[(?P<xt>[^\]]*)\]|<<(?P<a>[^,>]+)(?:,\s*(?P<at>[^>]*))?>>"
    r"|include::(?P<i>[^\[\s]+)\[[^\]]*\]|link:(?P<l>[^\[\s]+)\[(?P<lt>[^\]]*)\]"
)
_ADOC_ATTRS = {"nbsp": " ", "sp": " ", "empty": "", "amp": "&", "lt": "<", "gt": ">",
               "startsb": "[", "endsb": "]", "vbar": "|", "plus": "+"}  # fmt: skip
_LABELS = {"NOTE": "Note:", "TIP": "Tip:", "IMPORTANT": "Important:", "WARNING": "Warning:",
           "CAUTION": "Caution:"}  # fmt: skip


def _link_words(target: str, words: str | None) -> str:
    """A cross-reference as the reader sees it: its own words, else its anchor's or file's
    ("concepts.adoc#widget-types" -> "widget types")."""
    if words:
        return words.strip()
    path, _, anchor = target.partition("#")
    name = anchor or re.sub(r"\.a(?:scii)?doc$", "", path.rsplit("/", 1)[-1])
    return re.sub(r"[-_]+", " ", name.lstrip("_")).strip()


def _adoc_inline(text: str, attrs: dict[str, str]) -> str:
    """AsciiDoc inline markup as plain text: monospace kept in `backticks`, links as words."""
    text = re.sub(r"\{([\w-]+)\}", lambda m: attrs.get(m.group(1), m.group(1)), text)
    text = re.sub(r"image:\S*?\[[^\]]*\]|footnote:\[[^\]]*\]|\[\[[^\]]*\]\]|\[#[^\]]*\]", "", text)
    text = re.sub(r"xref:([^\[\s]+)\[([^\]]*)\]", lambda m: _link_words(*m.groups()), text)
    text = re.sub(r"<<([^,>]+)(?:,\s*([^>]*))?>>", lambda m: _link_words(*m.groups()), text)
    text = re.sub(r"(?:link:|(?=https?://))(\S+?)\[([^\]]*)\]", lambda m: m[2] or m[1], text)
    text = re.sub(r"\b(?:kbd|btn|menu|pass):\S*?\[([^\]]*)\]", r"\1", text)
    text = re.sub(r"`\+(.+?)\+`|(?<![\w+])\+(\S(?:.*?\S)?)\+(?![\w+])", r"`\1\2`", text)
    text = re.sub(r"(?<![\w*])\*\*?(?=\S)(.+?)(?<=\S)\*?\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])__?(?=\S)(.+?)(?<=\S)_?_(?![\w_])", r"\1", text)
    return repair(re.sub(r"(?<![\w#])#(?=\S)(.+?)(?<=\S)#(?!\w)", r"\1", text))


class _AsciiDoc:
    """Headings (`=` to `======`), paragraphs, lists, tables, admonitions, and listing,
    literal and fenced blocks as code (`[source,lang]` gives the language)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.headings = HeadingPath()
        self.attrs = dict(_ADOC_ATTRS)
        self.lang: str | None = None
        self.label: str | None = None

    def emit(self, kind: str, text: str, lang: str | None = None) -> None:
        if kind == "code":
            text = clean_code(text)
            lang = code_lang(lang, text)
        elif kind == "prose":
            text = _adoc_inline(text, self.attrs)
            if self.label and text:
                text, self.label = f"{self.label} {text}", None
        if text.strip():
            self.blocks.append(Block(text, None, self.headings.path(), kind, lang))

    def parse(self, lines: list[str]) -> None:
        """Parse lines into `self.blocks`."""
        i = 0
        while i < len(lines):
            i = self._step(lines, i)

    def _step(self, lines: list[str], i: int) -> int:
        line, s = lines[i], lines[i].strip()
        heading, attr = _ADOC_HEADING.match(line), _ADOC_ATTR.match(line)
        if not s or (s.startswith("//") and not s.startswith("////")) or _ADOC_MACRO.match(s):
            return i + 1
        if _ADOC_DELIM.match(s):
            return self._delimited(lines, i, s)
        if heading:
            text = _adoc_inline(heading.group(2), self.attrs).replace("`", "")
            self.headings.push(len(heading.group(1)), text)
            self.blocks.append(Block(text, None, self.headings.path(), "heading"))
            i += 1
            while len(heading.group(1)) == 1 and i < len(lines) and lines[i].strip():
                if attr := _ADOC_ATTR.match(lines[i]):  # the header: author, revision, attributes
                    self.attrs[attr.group(1)] = attr.group(2).strip()
                i += 1
            return i
        if attr:
            self.attrs[attr.group(1)] = attr.group(2).strip()
            return i + 1
        if s.startswith("[") and s.endswith("]"):  # block attributes: [source,python], [NOTE]
            parts = [p.strip() for p in s[1:-1].split(",")]
            if parts[0] in ("source", "") and len(parts) > 1:
                self.lang = parts[1]
            self.label = _LABELS.get(parts[0], self.label)
            return i + 1
        if re.match(r"^\.[^.\s]", s) or s in ("'''", "<<<"):  # a block title, a break
            return i + 1
        if _ADOC_ITEM.match(line):
            return self._list(lines, i)
        end = next((k for k in range(i, len(lines)) if not lines[k].strip()), len(lines))
        if line.startswith((" ", "\t")):  # a literal paragraph
            self.emit("code", "\n".join(lines[i:end]))
            return end
        end = next((k for k in range(i + 1, end) if _ADOC_DELIM.match(lines[k].strip())), end)
        note = _ADOC_NOTE.match(s)
        if note:
            self.label = _LABELS[note.group(1)]
        text = " ".join([note.group(2) if note else s, *(x.strip() for x in lines[i + 1 : end])])
        term = re.match(r"^(.+?)::(?:\s+(.*))?$", text)
        self.emit("prose", f"{term.group(1)}: {term.group(2) or ''}" if term else text)
        return end

    def _delimited(self, lines: list[str], i: int, s: str) -> int:
        fence = "```" if s.startswith("```") else s
        close = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == fence), None)
        end = len(lines) if close is None else close
        body = lines[i + 1 : end]
        if fence[0] in "-." or fence == "```":
            lang = s[3:] or None if fence == "```" else self.lang
            self.emit("code", "\n".join(body), lang)
        elif fence == "|===":
            self._table(body)
        elif fence[0] not in "+/":  # example, sidebar, quote, open blocks: read inside
            self.parse(body)
        self.lang = None
        return end + 1

    def _list(self, lines: list[str], i: int) -> int:
        items: list[str] = []
        counts: dict[int, int] = {}
        while i < len(lines):
            match = _ADOC_ITEM.match(lines[i])
            if not match:
                if lines[i].strip() and not _ADOC_DELIM.match(lines[i].strip()) and items:
                    items[-1] += " " + _adoc_inline(lines[i].strip(), self.attrs)
                    i += 1
                    continue
                if not lines[i].strip() and i + 1 < len(lines) and _ADOC_ITEM.match(lines[i + 1]):
                    i += 1
                    continue
                break
            marker = match.group(1)
            depth = len(marker) - 1 if marker[0] in "*." else 0
            counts = {d: n for d, n in counts.items() if d <= depth}
            counts[depth] = counts.get(depth, 0) + 1
            bullet = "- " if marker[0] in "*-" else f"{counts[depth]}. "
            items.append("  " * depth + bullet + _adoc_inline(match.group(2), self.attrs))
            i += 1
        self.blocks.append(Block("\n".join(items), None, self.headings.path(), "list"))
        return i

    def _table(self, body: list[str]) -> None:
        rows = [x.strip() for x in body if x.strip()]
        width = max(1, rows[0].count("|")) if rows else 1
        cells = [c.strip() for row in rows for c in row.split("|")[1:]]
        lines = [" | ".join(_adoc_inline(c, self.attrs) for c in cells[k : k + width])
                 for k in range(0, len(cells), width)]  # fmt: skip
        if lines:
            self.blocks.append(Block("\n".join(lines), None, self.headings.path(), "table"))


def asciidoc_targets(text: str) -> list[tuple[str, str | None, tuple[int, int]]]:
    """Cross-references to other files, as (target, the link's words, span in `text`):
    xref:, <<file.adoc#id,...>>, include:: and link: (URLs are the caller's to drop);
    nothing inside listing or literal blocks is read."""
    lines, fence, out = text.split("\n"), "", []
    for line in lines:  # blank the listings, keeping every offset
        s = line.strip()
        if fence or s in ("----", "....") or s.startswith("```"):
            if not fence:
                fence = "```" if s.startswith("```") else s
            elif s == fence:
                fence = ""
            line = " " * len(line)
        out.append(line)
    found = []
    for match in _ADOC_LINK.finditer("\n".join(out)):
        target = match["x"] or match["i"] or match["l"] or match["a"] or ""
        if match["a"] and "#" not in target and not re.search(r"\.a(?:scii)?doc$", target):
            continue  # <<id>>: a section of this document
        found.append((target, match["xt"] or match["lt"] or match["at"], match.span()))
    return found


def asciidoc_blocks(text: str) -> list[Block]:
    """AsciiDoc as blocks (see `_AsciiDoc`)."""
    reader = _AsciiDoc()
    reader.parse(text.replace("\r\n", "\n").split("\n"))
    return reader.blocks
