"""Sniff an upload's type and extract its text as blocks with page and heading anchors.

`extract()` and `render_pages()` parse untrusted bytes: they run inside `kit.sandbox` (a child
process with memory and time limits), so they only take and return plain picklable data.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TXT, MARKDOWN, HTML = "text/plain", "text/markdown", "text/html"
EXTENSIONS = {
    PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx", PPTX: ".pptx",
    TXT: ".txt", MARKDOWN: ".md", HTML: ".html",
}  # fmt: skip
TEXT_SUFFIXES = {".txt": TXT, ".text": TXT, ".md": MARKDOWN, ".markdown": MARKDOWN,
                 ".html": HTML, ".htm": HTML}  # fmt: skip
IMAGES = {PNG, JPEG}
# Zip archives (DOCX/PPTX) are refused before parsing when they would inflate beyond these.
ZIP_MAX_TOTAL = 256 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 5000
MIN_PAGE_TEXT = 16  # a PDF page with less text than this is treated as scanned (OCR)


class ExtractError(Exception):
    """The file cannot be read; the message is shown to the user."""


@dataclass
class Block:
    """A paragraph-like run of text and where it sits in the source."""

    text: str
    page: int | None = None
    heading: str | None = None


@dataclass
class Extracted:
    """The blocks of a document, its page count, and PDF pages that need OCR (1-based)."""

    blocks: list[Block] = field(default_factory=list)
    page_count: int | None = None
    ocr_pages: list[int] = field(default_factory=list)


def detect_type(filename: str, data: bytes) -> str | None:
    """The media type judged from the bytes (and the name for text), or None if unsupported."""
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            names = set()
        if "word/document.xml" in names or (not names and suffix == ".docx"):
            return DOCX
        if "ppt/presentation.xml" in names or (not names and suffix == ".pptx"):
            return PPTX
        return None
    head = data[:65536]
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a cut multi-byte character at the end is fine
            return None
    if suffix in TEXT_SUFFIXES:
        return TEXT_SUFFIXES[suffix]
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return HTML
    return TXT if suffix in ("", ".log", ".csv", ".rst") else None


def extract(data: bytes, media_type: str, max_pages: int) -> Extracted:
    """Blocks of text for a supported type (images come back as one page to OCR)."""
    if media_type in IMAGES:
        return Extracted(page_count=1, ocr_pages=[1])
    if media_type == PDF:
        return _pdf(data, max_pages)
    if media_type in (DOCX, PPTX):
        check_zip(data)
        return _docx(data) if media_type == DOCX else _pptx(data, max_pages)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    if media_type == HTML:
        return Extracted(blocks=_html(text))
    if media_type == MARKDOWN:
        return Extracted(blocks=_markdown(text))
    return Extracted(blocks=[Block(p) for p in _paragraphs(text)])


def render_pages(data: bytes, pages: list[int], scale: float = 2.0) -> list[str]:
    """PNG images (base64) of the given 1-based PDF pages, for OCR."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    images = []
    for number in pages:
        bitmap = pdf[number - 1].render(scale=scale, grayscale=True)
        buf = io.BytesIO()
        bitmap.to_pil().save(buf, format="PNG")
        images.append(base64.b64encode(buf.getvalue()).decode())
    return images


def extract_json(data: bytes, media_type: str, max_pages: int) -> dict[str, object]:
    """`extract()` as JSON-ready data, for the sandbox."""
    return asdict(extract(data, media_type, max_pages))


def from_json(value: dict[str, Any]) -> Extracted:
    """Rebuild an `Extracted` from `extract_json` output."""
    return Extracted(
        blocks=[Block(**b) for b in value["blocks"]],
        page_count=value["page_count"],
        ocr_pages=list(value["ocr_pages"]),
    )


def check_zip(data: bytes) -> None:
    """Refuse archives that are corrupt or would inflate far beyond their size (zip bombs)."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ExtractError(f"the file is corrupt (not a readable Office document: {exc})") from exc
    total = sum(i.file_size for i in infos)
    if len(infos) > ZIP_MAX_ENTRIES:
        raise ExtractError(f"the document has too many parts ({len(infos)})")
    if total > ZIP_MAX_TOTAL or total > ZIP_MAX_RATIO * max(len(data), 1):
        raise ExtractError(
            f"the document would expand to {total // (1024 * 1024)} MB; refused as a "
            "possible zip bomb"
        )


def clean(text: str) -> str:
    """Collapse runs of spaces, drop control characters, keep line breaks."""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text.replace("\r\n", "\n"))
    text = text.replace("\r", "\n")
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def _paragraphs(text: str) -> list[str]:
    return [p for p in (clean(chunk) for chunk in re.split(r"\n\s*\n", text)) if p]


def _pdf(data: bytes, max_pages: int) -> Extracted:
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
    titles = _toc_titles(pdf)
    result = Extracted(page_count=count)
    heading = None
    for index in range(count):
        heading = titles.get(index, heading)
        text = pdf[index].get_textpage().get_text_range()
        paragraphs = _paragraphs(text)
        if sum(len(p) for p in paragraphs) < MIN_PAGE_TEXT:
            result.ocr_pages.append(index + 1)
            continue
        result.blocks.extend(Block(p, index + 1, heading) for p in paragraphs)
    return result


def _toc_titles(pdf: object) -> dict[int, str]:
    titles: dict[int, str] = {}
    try:
        for item in pdf.get_toc(max_depth=3):  # type: ignore[attr-defined]
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            if index is not None and item.level == 0:
                titles.setdefault(index, clean(item.get_title())[:200])
    except Exception:  # a broken outline is no reason to refuse the text
        return {}
    return titles


def _docx(data: bytes) -> Extracted:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError(f"the DOCX file is corrupt ({type(exc).__name__})") from exc
    headings = _HeadingPath()
    blocks: list[Block] = []
    for para in document.paragraphs:
        text = clean(para.text)
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = _heading_level(style)
        if level:
            headings.push(level, text)
        blocks.append(Block(text, None, headings.path()))
    for table in document.tables:
        for row in table.rows:
            cells = [clean(c.text) for c in row.cells]
            line = " | ".join(c for c in dict.fromkeys(cells) if c)
            if line:
                blocks.append(Block(line, None, headings.path()))
    return Extracted(blocks=blocks)


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style)
    return int(match.group(1)) if match else 0


def _pptx(data: bytes, max_pages: int) -> Extracted:
    import pptx

    try:
        deck = pptx.Presentation(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError(f"the PPTX file is corrupt ({type(exc).__name__})") from exc
    slides = list(deck.slides)
    if len(slides) > max_pages:
        raise ExtractError(f"the presentation has {len(slides)} slides; the limit is {max_pages}")
    blocks: list[Block] = []
    for number, slide in enumerate(slides, start=1):
        title_shape = slide.shapes.title
        title = clean(title_shape.text_frame.text) if title_shape is not None else ""
        for shape in slide.shapes:
            texts: list[str] = []
            if shape.has_text_frame:
                texts = [clean(p.text) for p in shape.text_frame.paragraphs]
            elif getattr(shape, "has_table", False):
                texts = [" | ".join(clean(c.text) for c in row.cells) for row in shape.table.rows]
            blocks.extend(Block(t, number, title or None) for t in texts if t)
    return Extracted(blocks=blocks, page_count=len(slides))


class _HeadingPath:
    """The current heading path ("Chapter > Section") as headings are met in order."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []

    def push(self, level: int, text: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text[:120]))

    def path(self) -> str | None:
        return " > ".join(t for _, t in self.stack)[:500] or None


def _markdown(text: str) -> list[Block]:
    headings = _HeadingPath()
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
        self.headings = _HeadingPath()
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


def _html(text: str) -> list[Block]:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks
