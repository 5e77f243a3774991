"""DOCX and PPTX text with their structure (headings, lists, code, tables)."""

from __future__ import annotations

import io
import re
from typing import Any

from studyforge.documents.blocks import (
    Block,
    Extracted,
    ExtractError,
    HeadingPath,
    clean,
    clean_code,
)

_MONO = re.compile(r"courier|consolas|mono|menlo|monaco|lucida console|source code|fira code|"
                   r"inconsolata|cascadia|andale|hack$", re.I)  # fmt: skip
_CODE_STYLE = re.compile(r"\bcode\b|preformatted|macro text|verbatim|listing", re.I)
_LIST_STYLE = re.compile(r"^list( bullet| number)?( \d)?$|^list paragraph$", re.I)


class _Runs:
    """Consecutive list items or code lines waiting to become one block."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.kind = ""
        self.lines: list[str] = []
        self.heading: str | None = None
        self.page: int | None = None

    def add(self, kind: str, line: str, heading: str | None, page: int | None = None) -> None:
        if kind != self.kind or heading != self.heading or page != self.page:
            self.flush()
        self.kind, self.heading, self.page = kind, heading, page
        self.lines.append(line)

    def flush(self) -> None:
        text = "\n".join(self.lines)
        text = clean_code(text) if self.kind == "code" else text.strip()
        if text:
            self.blocks.append(Block(text, self.page, self.heading, self.kind))
        self.kind, self.lines = "", []


def _styles(para: Any) -> list[Any]:
    chain: list[Any] = []
    style = para.style
    while style is not None and len(chain) < 10:
        chain.append(style)
        style = style.base_style
    return chain


def _heading_level(style: str) -> int:
    """1 for the Title style, 2-10 for Heading 1-9, 0 for other styles."""
    if style == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style)
    return int(match.group(1)) + 1 if match else 0


def _is_mono(run: Any, para_mono: bool) -> bool:
    names = [run.font.name, run.style.font.name if run.style is not None else None]
    found = next((n for n in names if n), None)
    return bool(_MONO.search(found)) if found else para_mono


def _para_text(para: Any, para_mono: bool) -> tuple[str, bool]:
    """The paragraph's text, monospace runs in `backticks`; and whether all of it is code."""
    parts: list[str] = []
    mono_all, any_text = True, False
    for item in para.iter_inner_content():
        for run in getattr(item, "runs", [item]):
            text = run.text
            mono = _is_mono(run, para_mono)
            if text.strip():
                any_text = True
                mono_all = mono_all and mono
            parts.append(f"`{text.strip()}`" if mono and text.strip() else text)
    return "".join(parts), mono_all and any_text


def _numbering(document: Any) -> Any:
    try:
        return document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return None


def _num_pr(para: Any, styles: list[Any]) -> tuple[str, int] | None:
    for element in [para._p, *(s.element for s in styles)]:
        found = element.xpath("./w:pPr/w:numPr")
        if found:
            num_id = found[0].xpath("./w:numId/@w:val")
            level = found[0].xpath("./w:ilvl/@w:val")
            if num_id and num_id[0] != "0":
                return num_id[0], int(level[0]) if level else 0
    return None


def _num_format(numbering: Any, num_id: str, level: int) -> str:
    if numbering is None:
        return "bullet"
    abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
    if not abstract:
        return "bullet"
    path = f'./w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="{level}"]'
    fmt = numbering.xpath(path + "/w:numFmt/@w:val")
    return fmt[0] if fmt else "bullet"


class _Docx:
    def __init__(self, document: Any) -> None:
        self.blocks: list[Block] = []
        self.runs = _Runs(self.blocks)
        self.headings = HeadingPath()
        self.numbering = _numbering(document)
        self.counters: dict[tuple[str, int], int] = {}
        self.list_key = ""

    def paragraph(self, para: Any) -> None:
        styles = _styles(para)
        names = [s.name or "" for s in styles]
        para_mono = any(_MONO.search(s.font.name or "") for s in styles if s.font is not None)
        text, all_mono = _para_text(para, para_mono)
        level = next((lv for lv in map(_heading_level, names) if lv), 0)
        path = self.headings.path()
        if any(_CODE_STYLE.search(n) for n in names) or all_mono:
            self.runs.add("code", para.text, path)
        elif not clean(text):
            return
        elif level:
            self.runs.flush()
            self.headings.push(level, clean(text).replace("`", ""))
            self.blocks.append(Block(self.headings.stack[-1][1], None, self.headings.path(),
                                     "heading"))  # fmt: skip
        elif (num := _num_pr(para, styles)) or any(_LIST_STYLE.match(n) for n in names):
            key = num[0] if num else names[0]
            if key != self.list_key:
                self.runs.flush()
            self.list_key = key
            self.runs.add("list", self._marker(num, names) + " ".join(text.split()), path)
        else:
            self.runs.flush()
            self.blocks.append(Block(" ".join(text.split()), None, path))

    def _marker(self, num: tuple[str, int] | None, names: list[str]) -> str:
        if num is None:
            numbered = any("Number" in n for n in names)
            num = ("style", 0)
        else:
            numbered = _num_format(self.numbering, *num) not in ("bullet", "none")
        for key in [k for k in self.counters if k[0] == num[0] and k[1] > num[1]]:
            del self.counters[key]
        self.counters[num] = self.counters.get(num, 0) + 1
        return "  " * num[1] + (f"{self.counters[num]}. " if numbered else "- ")

    def table(self, table: Any) -> None:
        self.runs.flush()
        lines = []
        for row in table.rows:
            cells = [" ".join(c.text.split()) for c in row.cells]
            line = " | ".join(c for c in dict.fromkeys(cells) if c)
            if line:
                lines.append(line)
        if lines:
            self.blocks.append(Block("\n".join(lines), None, self.headings.path(), "table"))


def extract_docx(data: bytes) -> Extracted:
    """A DOCX as blocks: headings from styles, lists, code paragraphs and tables in order."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError(f"the DOCX file is corrupt ({type(exc).__name__})") from exc
    reader = _Docx(document)
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            reader.table(item)
        else:
            reader.paragraph(item)
    reader.runs.flush()
    return Extracted(blocks=reader.blocks)


def _bullet(para: Any, body: bool) -> str | None:
    """The list marker kind of a slide paragraph ("bullet", "number"), or None for prose."""
    ppr = para._p.pPr
    if ppr is not None:
        if ppr.xpath("./a:buNone"):
            return None
        if ppr.xpath("./a:buAutoNum"):
            return "number"
        if ppr.xpath("./a:buChar|./a:buBlip"):
            return "bullet"
    return "bullet" if body else None


def _shapes(shapes: Any) -> list[Any]:
    found = []
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # a group: its shapes in order
            found.extend(_shapes(shape.shapes))
        else:
            found.append(shape)
    return found


def _slide_blocks(slide: Any, number: int, runs: _Runs) -> str | None:
    """Add one slide's blocks; returns its title."""
    title_shape = slide.shapes.title
    title = clean(title_shape.text_frame.text).replace("\n", " ") if title_shape else ""
    heading = title or None
    if title:
        runs.blocks.append(Block(title, number, heading, "heading"))
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            runs.flush()
            rows = [" | ".join(c for c in (" ".join(x.text.split()) for x in r.cells) if c)
                    for r in shape.table.rows]  # fmt: skip
            text = "\n".join(r for r in rows if r)
            if text:
                runs.blocks.append(Block(text, number, heading, "table"))
        elif shape.has_text_frame:
            body = shape.is_placeholder and shape.placeholder_format.type in (2, 7)
            counter = 0
            for para in shape.text_frame.paragraphs:
                text = " ".join(para.text.split())
                kind = _bullet(para, body) if text else None
                counter = counter + 1 if kind == "number" else 0
                if not text:
                    continue
                if kind:
                    marker = f"{counter}. " if kind == "number" else "- "
                    runs.add("list", "  " * para.level + marker + text, heading, number)
                else:
                    runs.flush()
                    runs.blocks.append(Block(text, number, heading))
        runs.flush()
    return heading


def extract_pptx(data: bytes, max_pages: int) -> Extracted:
    """A PPTX as blocks: each slide's title as a heading, bullets as lists, tables."""
    import pptx

    try:
        deck = pptx.Presentation(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError(f"the PPTX file is corrupt ({type(exc).__name__})") from exc
    slides = list(deck.slides)
    if len(slides) > max_pages:
        raise ExtractError(f"the presentation has {len(slides)} slides; the limit is {max_pages}")
    blocks: list[Block] = []
    runs = _Runs(blocks)
    for number, slide in enumerate(slides, start=1):
        title = _slide_blocks(slide, number, runs)
        notes = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
        for line in notes.text.split("\n") if notes is not None else []:
            if line.strip():
                blocks.append(Block(" ".join(line.split()), number, title))
    return Extracted(blocks=blocks, page_count=len(slides))
