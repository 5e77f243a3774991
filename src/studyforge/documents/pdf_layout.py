"""PDF text with its structure: headings, paragraphs, code, lists."""

from __future__ import annotations

from studyforge.documents.blocks import (
    Block,
    Extracted,
    ExtractError,
    clean,
    paragraphs,
)

MIN_PAGE_TEXT = 16  # a page with less text than this is treated as scanned (OCR)


def extract_pdf(data: bytes, max_pages: int) -> Extracted:
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
        texts = paragraphs(text)
        if sum(len(p) for p in texts) < MIN_PAGE_TEXT:
            result.ocr_pages.append(index + 1)
            continue
        result.blocks.extend(Block(p, index + 1, heading) for p in texts)
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
