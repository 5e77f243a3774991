"""PDF text with its structure: headings, paragraphs, code and lists, in reading order.

pdfium (pypdfium2's raw API) gives each character's position, size and font: characters become
lines by baseline, lines become blocks by gap, indentation and font, and blocks are typed from
size, weight, monospace and markers. Running headers, footers and page numbers are dropped; the
outline, when there is one, names and ranks the headings it lists.
"""

from __future__ import annotations

import ctypes
import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple

from studyforge.documents import blocks as b
from studyforge.documents.blocks import Block, Extracted, ExtractError

MIN_PAGE_TEXT = 16  # a page with less text than this is treated as scanned (OCR)
MONO_NAMES = ("mono", "courier", "consol", "menlo", "code")
BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
FIXED_PITCH, FORCE_BOLD = 1, 1 << 18  # font descriptor flags
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
_WORD = re.compile("[^\\s\x00-\x01\x03-\x1f\ufffe\uffff]+[\ufffe\x02]?|[\ufffe\x02]")
_SURROGATE = re.compile("[\ud800-\udfff]")
Word = tuple[str, float, float, "_Font", float]  # text, x, baseline y, font, x of last char


class _Font(NamedTuple):
    size: float
    mono: bool
    bold: bool


@dataclass
class _Line:
    """One visual line: its words with their x, baseline from the page top, and font traits."""

    page: int
    top: float
    x0: float
    x1: float
    size: float
    mono: bool
    bold: bool
    words: list[tuple[float, str]]
    advance: float  # monospace character width, 0 when unknown
    room: float = 0.0  # the page's height
    kind: str = "prose"  # prose, code, heading, skip (merged into another line)
    level: int = 0
    outline: bool = False

    text: str = ""  # the words joined by single spaces

    def __post_init__(self) -> None:
        self.text = " ".join(w for _, w in self.words)

    def absorb(self, other: _Line) -> None:
        """Append another line's words (the rest of a visual line or of a wrapped heading)."""
        self.words.extend(other.words)
        self.text = " ".join(w for _, w in self.words)
        self.x1, self.mono, self.bold = other.x1, self.mono and other.mono, self.bold and other.bold


@dataclass
class _Run:
    """Consecutive lines that make one block: heading, prose, code or list."""

    kind: str
    lines: list[_Line] = field(default_factory=list)


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
    pages: list[list[_Line]] = []
    for index in range(count):
        lines = _read_page(pdf, index)
        if lines is None:
            result.ocr_pages.append(index + 1)
        pages.append(lines or [])
    pending = _match_outline(pages, _outline(pdf))
    pdf.close()
    lines = _drop_furniture(pages)
    body = _body_size(lines)
    _mark_headings(lines, body)
    _rank_headings(lines)
    result.blocks = _render(_join_pages(_runs(lines, body)), pending)
    return result


def _read_page(pdf: Any, index: int) -> list[_Line] | None:
    """The page's lines in reading order, or None when its text layer is too thin (OCR)."""
    import pypdfium2.raw as pc

    page, textpage = pdf[index], None
    try:
        textpage = page.get_textpage()
        unicode = _cfunc("FPDFText_GetUnicode", ctypes.c_uint, ctypes.c_void_p, ctypes.c_int)
        raw = ctypes.cast(textpage.raw, ctypes.c_void_p)
        # One character per pdfium index (FPDFText_GetText skips glyphs without a code point).
        units = "".join([chr(unicode(raw, i)) for i in range(pc.FPDFText_CountChars(textpage.raw))])
        if sum(len(p) for p in b.paragraphs(_decode(units))) < MIN_PAGE_TEXT:
            return None
        height = page.get_height()
        return _sorted_lines(_group(_words(textpage.raw, units), index + 1, height))
    finally:
        if textpage is not None:
            textpage.close()
        page.close()


def _decode(units: str) -> str:
    """UTF-16 code units (surrogate pairs as two characters) as proper text."""
    units = units.replace("\ufffe", "-").replace("\x02", "-")  # pdfium's line-end hyphens
    if _SURROGATE.search(units) is None:
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@functools.cache
def _cfunc(name: str, restype: Any, *argtypes: Any) -> Any:
    """A pdfium function with plain ctypes types (pointers as ints): much faster per call."""
    import pypdfium2.raw as pc

    address = ctypes.cast(getattr(pc, name), ctypes.c_void_p).value or 0
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


def _words(raw: Any, units: str) -> Iterator[Word]:
    """Each word of the page with its x, baseline, font and last character's x. pdfium is
    asked only at word ends; a word it joined across a line-end hyphen is cut in two."""
    ptr, num, dbl = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_double)
    text_object = _cfunc("FPDFText_GetTextObject", ptr, ptr, num)
    object_font = _cfunc("FPDFTextObj_GetFont", ptr, ptr)
    font_size = _cfunc("FPDFText_GetFontSize", ctypes.c_double, ptr, num)
    get_origin = _cfunc("FPDFText_GetCharOrigin", num, ptr, num, dbl, dbl)
    tp, x, y = ctypes.cast(raw, ptr), ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.byref(x), ctypes.byref(y)

    def origin(index: int) -> tuple[float, float]:
        get_origin(tp, index, px, py)
        return x.value, y.value

    by_object: dict[int | None, _Font] = {}
    by_style: dict[tuple[int | None, float], _Font] = {}
    for match in _WORD.finditer(units):
        first, last, word = match.start(), match.end() - 1, match.group()
        obj = text_object(tp, first)
        font = by_object.get(obj) if obj else None
        if font is None:  # one look-up per text object, one font read per font and size
            style = (object_font(obj) if obj else None, font_size(tp, first))
            font = by_style.get(style) or by_style.setdefault(style, _font(raw, first))
            by_object[obj] = font
        (end, end_y), (start, base) = origin(last), origin(first)
        if abs(end_y - base) > 0.4 * font.size:  # "Control-" + "C" on the next line
            cut = next(
                k for k in range(1, len(word)) if abs(origin(first + k)[1] - base) > 0.4 * font.size
            )
            yield _decode(word[:cut]), start, base, font, origin(first + cut - 1)[0]
            (start, base), word = origin(first + cut), word[cut:]
        yield _decode(word), start, base, font, end


def _font(raw: Any, index: int) -> _Font:
    """Size in page units, monospace and bold for the character at `index`."""
    import pypdfium2.raw as pc

    matrix, scale = pc.FS_MATRIX(), 1.0
    if pc.FPDFText_GetMatrix(raw, index, matrix):
        scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)) or 1.0
    flags, buf = ctypes.c_int(), ctypes.create_string_buffer(128)
    pc.FPDFText_GetFontInfo(raw, index, buf, 128, flags)
    name = buf.value.decode("latin-1").lower()
    mono = bool(flags.value & FIXED_PITCH) or any(m in name for m in MONO_NAMES)
    bold = bool(flags.value & FORCE_BOLD) or any(n in name for n in BOLD_NAMES)
    bold = bold or pc.FPDFText_GetFontWeight(raw, index) >= 600
    return _Font(round(pc.FPDFText_GetFontSize(raw, index) * scale, 1) or 1.0, mono, bold)


def _group(words: Iterator[Word], page: int, height: float) -> list[_Line]:
    """Words (in content order) cut into lines where the baseline moves or x goes back."""
    lines: list[_Line] = []
    line: list[Word] = []
    for word in words:
        size, prev = word[3].size, line[-1] if line else None
        if prev is not None and (abs(word[2] - prev[2]) > 0.4 * size or word[1] < prev[4] - size):
            lines.append(_make_line(line, page, height))
            line = []
        line.append(word)
    if line:
        lines.append(_make_line(line, page, height))
    return lines


def _make_line(words: list[Word], page: int, height: float) -> _Line:
    fonts = Counter[_Font]()
    step = steps = 0.0
    for text, x, _, font, end in words:
        fonts[font] += len(text)
        if font.mono and len(text) > 1 and 0 < end - x < len(text) * font.size:
            step, steps = step + end - x, steps + len(text) - 1
    total, main = sum(fonts.values()), fonts.most_common(1)[0][0]
    mono = sum(n for f, n in fonts.items() if f.mono) >= 0.8 * total
    bold = sum(n for f, n in fonts.items() if f.bold) >= 0.9 * total
    x1 = words[-1][4] + 0.5 * main.size
    spans = [(w[1], w[0]) for w in words]
    return _Line(page, height - words[0][2], spans[0][0], x1, main.size, mono, bold, spans,
                 step / (steps or 1), height)  # fmt: skip


def _sorted_lines(lines: list[_Line]) -> list[_Line]:
    """Lines top to bottom; pieces of one visual line (same baseline, close in x) merged."""
    lines.sort(key=lambda ln: (round(ln.top), ln.x0))
    merged: list[_Line] = []
    for line in lines:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and abs(line.top - prev.top) < 0.25 * line.size
            and (-line.size < line.x0 - prev.x1 < 3 * line.size)
        ):
            prev.absorb(line)
        else:
            merged.append(line)
    return merged


def _edges(lines: list[_Line]) -> list[_Line]:
    """Lines a running header or footer could be: up to three in the top and bottom eighths."""
    top = [ln for ln in lines[:3] if ln.top < ln.room / 8]
    return top + [ln for ln in lines[len(top) :][-3:] if ln.top > ln.room * 7 / 8]


def _drop_furniture(pages: list[list[_Line]]) -> list[_Line]:
    """All lines in order without running headers/footers, page numbers and UI leftovers."""
    body = _body_size([ln for p in pages for ln in p])
    loose = Counter(k for p in pages for k in {re.sub(r"\d+", "#", ln.text) for ln in _edges(p)})
    exact = Counter(t for p in pages for t in {ln.text for ln in _edges(p)})
    limit = max(2, math.ceil(0.4 * sum(1 for p in pages if p)))
    kept: list[_Line] = []
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


def _body_size(lines: list[_Line]) -> float:
    """The most common size of non-monospace text, weighted by characters."""
    sizes = Counter({0.0: 0})
    for line in lines:
        if not line.mono:
            sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] or 10.0


def _outline(pdf: Any) -> list[tuple[int, str, int]]:
    """(level from 1, title, page index) for each outline entry that points at a page."""
    entries: list[tuple[int, str, int]] = []
    try:
        for item in pdf.get_toc():
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            if index is not None and item.get_title().strip():
                entries.append((item.level + 1, b.clean(item.get_title())[:200], index))
    except Exception:  # a broken outline is no reason to refuse the text
        return []
    return entries


def _norm(text: str) -> str:
    return " ".join(re.sub(r"\W+", " ", text.lower()).split())


def _match_outline(pages: list[list[_Line]], outline: list[tuple[int, str, int]]) -> dict[int, Any]:
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


def _mark_headings(lines: list[_Line], body: float) -> None:
    """Lines in a larger or bold font, short and on their own, become headings."""
    prev: _Line | None = None
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


def _style(line: _Line) -> tuple[float, bool]:
    return (round(line.size * 2) / 2, line.bold)


def _depth(text: str) -> int:
    match = _NUMBER.match(text)
    return 0 if match is None else 1 if match.group(1) else match.group(2).count(".") + 1


def _rank_headings(lines: list[_Line]) -> None:
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


def _leading(lines: list[_Line], body: float) -> float:
    """The usual baseline distance between two lines of one paragraph of body text."""
    gaps = Counter({0.0: 0})
    for prev, line in pairwise(lines):
        same = prev.page == line.page and prev.kind == line.kind == "prose"
        if same and abs(line.size - body) < 0.6 and 0 < line.top - prev.top < 3 * body:
            gaps[round((line.top - prev.top) * 2) / 2] += 1
    return gaps.most_common(1)[0][0] or 1.2 * body


def _line_kind(line: _Line, run: _Run | None, leading: float) -> str:
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


def _breaks(run: _Run, line: _Line, leading: float, right: float) -> bool:
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


def _runs(lines: list[_Line], body: float) -> list[_Run]:
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
