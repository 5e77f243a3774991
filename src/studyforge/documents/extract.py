"""Sniff an upload's type and extract its text as blocks with page and heading anchors.

`extract()` and `render_pages()` parse untrusted bytes: they run inside `kit.sandbox` (a child
process with memory and time limits), so they only take and return plain picklable data.
"""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import asdict
from typing import Any

from studyforge.documents import markup, office, pdf_layout
from studyforge.documents.blocks import Block, Extracted, ExtractError, clean, paragraphs

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TXT, MARKDOWN, HTML, RST = "text/plain", "text/markdown", "text/html", "text/x-rst"
EXTENSIONS = {
    PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx", PPTX: ".pptx",
    TXT: ".txt", MARKDOWN: ".md", HTML: ".html", RST: ".rst",
}  # fmt: skip
TEXT_SUFFIXES = {".txt": TXT, ".text": TXT, ".md": MARKDOWN, ".markdown": MARKDOWN,
                 ".html": HTML, ".htm": HTML, ".rst": RST, ".rest": RST}  # fmt: skip
IMAGES = {PNG, JPEG}
# Zip archives (DOCX/PPTX) are refused before parsing when they would inflate beyond these.
ZIP_MAX_TOTAL = 256 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 5000


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
    return TXT if suffix in ("", ".log", ".csv") else None


def extract(data: bytes, media_type: str, max_pages: int) -> Extracted:
    """Blocks of text for a supported type (images come back as one page to OCR)."""
    if media_type in IMAGES:
        return Extracted(page_count=1, ocr_pages=[1])
    if media_type == PDF:
        return pdf_layout.extract_pdf(data, max_pages)
    if media_type in (DOCX, PPTX):
        check_zip(data)
        if media_type == DOCX:
            return office.extract_docx(data)
        return office.extract_pptx(data, max_pages)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    if media_type == HTML:
        return Extracted(blocks=markup.html_blocks(text))
    if media_type == MARKDOWN:
        return Extracted(blocks=markup.markdown_blocks(text))
    if media_type == RST:
        return Extracted(blocks=markup.rst_blocks(text))
    return Extracted(blocks=[Block(p) for p in paragraphs(text)])


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


__all__ = ["Block", "ExtractError", "Extracted", "clean"]
