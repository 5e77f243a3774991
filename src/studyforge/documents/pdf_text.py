"""Words and lines of a PDF page, read through pdfium (pypdfium2's raw API).

pdfium gives each character's position, size and font: characters are cut into words (a word
joined across a line-end hyphen is split again), each word keeps its x, baseline, font size,
weight and monospace flag, and words become lines by baseline, pieces of one visual line merged,
top to bottom. A page with too little text is reported as needing OCR; the outline is read too.
"""

from __future__ import annotations

import ctypes
import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from studyforge.documents import blocks as b

MIN_PAGE_TEXT = 16  # a page with less text than this is treated as scanned (OCR)
MONO_NAMES = ("mono", "courier", "consol", "menlo", "code")
BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
FIXED_PITCH, FORCE_BOLD = 1, 1 << 18  # font descriptor flags
_WORD = re.compile("[^\\s\x00-\x01\x03-\x1f\ufffe\uffff]+[\ufffe\x02]?|[\ufffe\x02]")
_SURROGATE = re.compile("[\ud800-\udfff]")
Word = tuple[str, float, float, "Font", float]  # text, x, baseline y, font, x of last char


class Font(NamedTuple):
    """A font as layout sees it: size in page units, monospace, bold."""

    size: float
    mono: bool
    bold: bool


@dataclass
class Line:
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

    def absorb(self, other: Line) -> None:
        """Append another line's words (the rest of a visual line or of a wrapped heading)."""
        self.words.extend(other.words)
        self.text = " ".join(w for _, w in self.words)
        self.x1, self.mono, self.bold = other.x1, self.mono and other.mono, self.bold and other.bold


def read_page(pdf: Any, index: int) -> list[Line] | None:
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

    by_object: dict[int | None, Font] = {}
    by_style: dict[tuple[int | None, float], Font] = {}
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


def _font(raw: Any, index: int) -> Font:
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
    return Font(round(pc.FPDFText_GetFontSize(raw, index) * scale, 1) or 1.0, mono, bold)


def _group(words: Iterator[Word], page: int, height: float) -> list[Line]:
    """Words (in content order) cut into lines where the baseline moves or x goes back."""
    lines: list[Line] = []
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


def _make_line(words: list[Word], page: int, height: float) -> Line:
    fonts = Counter[Font]()
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
    return Line(page, height - words[0][2], spans[0][0], x1, main.size, mono, bold, spans,
                 step / (steps or 1), height)  # fmt: skip


def _sorted_lines(lines: list[Line]) -> list[Line]:
    """Lines top to bottom; pieces of one visual line (same baseline, close in x) merged."""
    lines.sort(key=lambda ln: (round(ln.top), ln.x0))
    merged: list[Line] = []
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


def read_outline(pdf: Any) -> list[tuple[int, str, int]]:
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
