"""PDF text with its structure: headings, paragraphs, code and lists, in reading order.

The page lines `pdf_text` reads from pdfium become blocks by gap, indentation and font, and
blocks are typed from size, weight, monospace and markers. Running headers, footers and page
numbers are dropped; the outline, when there is one, names and ranks the headings it lists; a
paragraph, example or list cut by a page break is joined again.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from studyforge.documents import blocks as b
from studyforge.documents.blocks import Block, Extracted, ExtractError
from studyforge.documents.pdf_text import Line, read_outline, read_page

_BULLET = re.compile(
    "^[\u2022\u25e6\u25aa\u2023\u25cf\u25cb\u25a0\u25a1\u00b7\u2219\u2013*-]\\s+(?=\\S)"
)
_NUMBERED_ITEM = re.compile(r"^(\d{1,3})[.)]\s+(?=\S)")
_NUMBER = re.compile(
    r"^(?:(chapter|part|appendix)\s+[\dIVXLC]+\b|(\d+(?:\.\d+)*)\.?(?=\s+\S))", re.I
)
_PROMPT = re.compile(r"^(?:>>>|\$)(?: |$)")
_FOLIO = re.compile(r"^\W*(?:page\s+)?(?:\d+|[ivxlc]+)(?:\s*(?:of|/)\s*\d+)?\W*$", re.I)
_END = re.compile("[.!?:][)\"'\u201d\u2019]*$")  # a sentence (or a lead-in) ends


@dataclass
class _Run:
    """Consecutive lines that make one block: heading, prose, code or list."""

    kind: str
    lines: list[Line] = field(default_factory=list)


def extract_pdf(data: bytes, max_pages: int) -> Extracted:
    """Blocks of a text PDF in reading order, plus the pages that need OCR."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractError("the PDF is encrypted (password protected)") from exc
        raise ExtractError(f"the PDF is corrupt or unreadable ({exc})") from exc
    count = len(pdf)
    if count > max_pages:
        raise ExtractError(f"the PDF has {count} pages; the limit is {max_pages}")
    result = Extracted(page_count=count)
    pages: list[list[Line]] = []
    for index in range(count):
        lines = read_page(pdf, index)
        if lines is None:
            result.ocr_pages.append(index + 1)
        pages.append(lines or [])
    pending = _match_outline(pages, read_outline(pdf))
    pdf.close()
    lines = _drop_furniture(pages)
    body = _body_size(lines)
    _mark_headings(lines, body)
    _rank_headings(lines)
    result.blocks = _render(_join_pages(_runs(lines, body)), pending)
    return result


def _edges(lines: list[Line]) -> list[Line]:
    """Lines a running header or footer could be: up to three in the top and bottom eighths."""
    top = [ln for ln in lines[:3] if ln.top < ln.room / 8]
    return top + [ln for ln in lines[len(top) :][-3:] if ln.top > ln.room * 7 / 8]


def _drop_furniture(pages: list[list[Line]]) -> list[Line]:
    """All lines in order without running headers/footers, page numbers and UI leftovers."""
    body = _body_size([ln for p in pages for ln in p])
    loose = Counter(k for p in pages for k in {re.sub(r"\d+", "#", ln.text) for ln in _edges(p)})
    exact = Counter(t for p in pages for t in {ln.text for ln in _edges(p)})
    limit = max(2, math.ceil(0.4 * sum(1 for p in pages if p)))
    kept: list[Line] = []
    for lines in pages:
        edges = {id(ln) for ln in _edges(lines)}
        width = max((ln.x1 for ln in lines), default=0.0)
        for line in lines:
            text = line.text
            prominent = line.bold or line.size > 1.1 * body  # chapter titles repeat, numbered
            seen = exact[text] if prominent else loose[re.sub(r"\d+", "#", text)]
            if id(line) in edges and (_FOLIO.match(text) or seen >= limit):
                continue
            if line.kind != "skip" and not (text == ">>>" and line.x0 > 0.6 * width):
                kept.append(line)  # (">>>" on the right: Sphinx's button, printed by a browser)
    return kept


def _body_size(lines: list[Line]) -> float:
    """The most common size of non-monospace text, weighted by characters."""
    sizes = Counter({0.0: 0})
    for line in lines:
        if not line.mono:
            sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] or 10.0


def _norm(text: str) -> str:
    return " ".join(re.sub(r"\W+", " ", text.lower()).split())


def _match_outline(pages: list[list[Line]], outline: list[tuple[int, str, int]]) -> dict[int, Any]:
    """Mark the lines (up to three) an outline entry names as its heading; entries not found
    are returned by page (1-based) to set the heading path from that page on."""
    pending: dict[int, list[tuple[int, str]]] = {}
    for level, title, index in outline:
        lines, want = (pages[index] if 0 <= index < len(pages) else []), _norm(title)
        for i, line in enumerate(lines):
            parts = [ln for ln in lines[i : i + 3] if ln.kind == "prose"]
            found = [
                j
                for j in range(1, len(parts) + 1)
                if _norm(" ".join(p.text for p in parts[:j])) == want
            ]
            if line.kind == "prose" and found and parts[0] is line:
                for extra in parts[1 : found[0]]:
                    line.absorb(extra)
                    extra.kind = "skip"
                line.kind, line.level, line.outline = "heading", level, True
                break
        else:
            pending.setdefault(index + 1, []).append((level, title))
    return pending


def _mark_headings(lines: list[Line], body: float) -> None:
    """Lines in a larger or bold font, short and on their own, become headings."""
    prev: Line | None = None
    for line, after in zip(lines, [*lines[1:], None], strict=False):
        text = line.text
        plain = not line.mono and not _PROMPT.match(text) and not _BULLET.match(text)
        large = line.size >= body * 1.1 and len(text) <= 200
        runs_on = after is not None and after.page == line.page and after.text[:1].islower()
        bold = line.bold and len(text) <= 100 and not re.search(r"[.,;]$", text) and not runs_on
        if line.kind == "prose" and plain and re.search(r"[^\W\d_]", text) and (large or bold):
            if prev is not None and prev.kind == "heading" and not prev.outline and (
                prev.size == line.size and prev.page == line.page and not _NUMBER.match(text)
                and 0 < line.top - prev.top < 1.6 * line.size and len(prev.text) < 120
            ):  # fmt: skip
                prev.absorb(line)  # a heading wrapped over two lines
                line.kind = "skip"
                continue
            line.kind = "heading"
        prev = line


def _style(line: Line) -> tuple[float, bool]:
    return (round(line.size * 2) / 2, line.bold)


def _depth(text: str) -> int:
    match = _NUMBER.match(text)
    return 0 if match is None else 1 if match.group(1) else match.group(2).count(".") + 1


def _rank_headings(lines: list[Line]) -> None:
    """Levels for headings not in the outline: by style (size, bold) rank, or the level the
    outline gives that style, refined by the depth of the heading's number ("8.1" is 2)."""
    heads = [ln for ln in lines if ln.kind == "heading"]
    learned: dict[tuple[float, bool], int] = {}
    depths: dict[tuple[float, bool], int] = {}
    for line in heads:
        if line.outline:
            learned[_style(line)] = min(learned.get(_style(line), 99), line.level)
        if _depth(line.text):
            depths[_style(line)] = min(depths.get(_style(line), 99), _depth(line.text))
    styles = sorted({_style(ln) for ln in heads}, key=lambda s: (-s[0], not s[1]))
    for line in (ln for ln in heads if not ln.outline):
        style = _style(line)
        above = [learned[s] for s in styles[: styles.index(style)] if s in learned]
        level = learned.get(style) or (max(above) + 1 if above else styles.index(style) + 1)
        line.level = level + (_depth(line.text) - depths[style] if _depth(line.text) else 0)


def _leading(lines: list[Line], body: float) -> float:
    """The usual baseline distance between two lines of one paragraph of body text."""
    gaps = Counter({0.0: 0})
    for prev, line in pairwise(lines):
        same = prev.page == line.page and prev.kind == line.kind == "prose"
        if same and abs(line.size - body) < 0.6 and 0 < line.top - prev.top < 3 * body:
            gaps[round((line.top - prev.top) * 2) / 2] += 1
    return gaps.most_common(1)[0][0] or 1.2 * body


def _line_kind(line: Line, run: _Run | None, leading: float) -> str:
    """What a line is: heading, code, item (starts a list item), list (continues one), prose."""
    if line.kind == "heading":
        return "heading"
    text, last = line.text, run.lines[-1] if run is not None else line
    near = last.page == line.page and 0 < line.top - last.top < 1.9 * leading
    kind, x0 = (run.kind, run.lines[0].x0) if run is not None else ("", 0.0)
    if line.mono or _PROMPT.match(text):
        inline = kind in ("prose", "list") and near and line.top - last.top < 1.3 * leading
        if inline and abs(line.x0 - last.x0) < 2 and not _END.search(last.text):
            return kind  # a wrapped sentence whose next line happens to be all inline code
        return "code"
    plain_code = kind == "code" and run is not None and not run.lines[0].mono
    indented = plain_code and line.x0 > x0 + 0.5 * line.size and not _END.search(text)
    if near and kind == "code" and (text.startswith("...") or indented):
        return "code"  # a "..." prompt, or an indented line of an example not in monospace
    if _BULLET.match(text) or _NUMBERED_ITEM.match(text):
        return "item"
    return "list" if kind == "list" and near and line.x0 > x0 + 1 else "prose"


def _breaks(run: _Run, line: Line, leading: float, right: float) -> bool:
    """Whether `line` starts a new block rather than continuing `run` (of the same kind)."""
    prev = run.lines[-1]
    gap = line.top - prev.top
    if line.page != prev.page or gap <= 0 or run.kind == "heading":
        return True
    if run.kind == "code":  # a blank line or two inside an example is fine
        return gap > 2.6 * min(leading, 1.3 * line.size) or abs(line.size - prev.size) > 1
    if gap > (1.9 if run.kind == "list" else 1.3) * leading * max(line.size / prev.size, 1.0):
        return True
    if run.kind == "list" or abs(line.size - prev.size) > 0.15 * prev.size:
        return run.kind != "list"
    if line.x0 > prev.x0 + 0.8 * line.size:
        return True  # first-line indent of a new paragraph
    if line.x0 < prev.x0 - 0.8 * line.size and len(run.lines) > 1:
        return True
    short = prev.x1 < right - 0.15 * max(right - prev.x0, 1.0)
    return short and bool(_END.search(prev.text))  # a sentence ends well before the margin


def _runs(lines: list[Line], body: float) -> list[_Run]:
    """Lines grouped into blocks, in order."""
    leading, right = _leading(lines, body), Counter[int]()
    for line in lines:
        if line.kind == "prose" and not line.mono:
            right[line.page] = max(right[line.page], round(line.x1))
    runs: list[_Run] = []
    run: _Run | None = None
    for line in lines:
        kind = _line_kind(line, run, leading)
        if run is not None and run.kind == "list" and kind in ("item", "list"):
            new = kind == "item" and _breaks(run, line, leading, right[line.page])
        else:
            kind = "list" if kind == "item" else kind
            new = run is None or run.kind != kind or _breaks(run, line, leading, right[line.page])
        if new or run is None:
            run = _Run("list" if kind == "item" else kind)
            runs.append(run)
        run.lines.append(line)
    return runs


def _join_pages(runs: list[_Run]) -> list[_Run]:
    """A paragraph, code example or list cut by a page break becomes one block again."""
    out: list[_Run] = []
    for run in runs:
        prev = out[-1] if out else None
        if prev is not None and prev.kind == run.kind != "heading":
            turn = run.lines[0].page == prev.lines[-1].page + 1
            open_end = not _END.search(prev.lines[-1].text) or run.lines[0].text[:1].islower()
            if turn and (run.kind != "prose" or open_end):
                prev.lines.extend(run.lines)
                continue
        out.append(run)
    return out


def _code_text(run: _Run) -> str:
    """The example's lines with words at their columns, so indentation and alignment survive."""
    lines = run.lines
    advances = sorted(ln.advance for ln in lines if ln.advance)
    advance = advances[len(advances) // 2] if advances else 0.6 * lines[0].size
    x0 = min(ln.x0 for ln in lines)
    steps = [n.top - p.top for p, n in pairwise(lines) if n.page == p.page]
    lead = min((s for s in steps if s > 0.5 * lines[0].size), default=0.0)
    out: list[str] = []
    for i, line in enumerate(lines):
        if i and lead and line.page == lines[i - 1].page:
            out.extend([""] * min(2, max(0, round((line.top - lines[i - 1].top) / lead) - 1)))
        text = ""
        for x, word in line.words:
            text = text.ljust(max(round((x - x0) / advance), len(text) + bool(text))) + word
        out.append(text)
    return b.clean_code("\n".join(out))


def _prose(texts: list[str]) -> str:
    """Lines as one paragraph; a line-end hyphen before a capital is kept ("Control-C")."""
    out = texts[0] if texts else ""
    for text in texts[1:]:
        out += ("" if out.endswith("-") and not text[:1].islower() else "\n") + text
    return b.repair(out)


def _list_text(run: _Run) -> str:
    items: list[list[str]] = []
    for line in run.lines:
        text = line.text
        if bullet := _BULLET.match(text):
            items.append(["- " + text[bullet.end() :]])
        elif number := _NUMBERED_ITEM.match(text):
            items.append([f"{number.group(1)}. " + text[number.end() :]])
        elif items:
            items[-1].append(text)
        else:
            items.append([text])
    return "\n".join(_prose(parts) for parts in items)


def _render(runs: list[_Run], pending: dict[int, list[tuple[int, str]]]) -> list[Block]:
    """Blocks with their heading paths; outline entries not found in the text still set it."""
    path, out, page_seen = b.HeadingPath(), list[Block](), 0
    for run in runs:
        page = run.lines[0].page
        for number in range(page_seen + 1, page + 1):
            for level, title in pending.get(number, []):
                path.push(level, title)
        page_seen = max(page_seen, page)
        if run.kind == "heading":
            for line in run.lines:
                path.push(max(1, line.level), b.clean(line.text))
                out.append(Block(b.clean(line.text), page, path.path(), "heading"))
        elif run.kind == "code":
            code = _code_text(run)
            out.append(
                Block(code, page, path.path(), "code", "pycon" if code.startswith(">>>") else None)
            )
        elif run.kind == "list":
            out.append(Block(_list_text(run), page, path.path(), "list"))
        elif len(text := _prose([ln.text for ln in run.lines])) > 3 or len(run.lines) > 1:
            out.append(Block(text, page, path.path(), "prose"))  # (a lone "Go" is a button)
    return out
