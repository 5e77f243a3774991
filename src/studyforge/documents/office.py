"""DOCX and PPTX text with their structure."""

from __future__ import annotations

import io
import re

from studyforge.documents.blocks import (
    Block,
    Extracted,
    ExtractError,
    HeadingPath,
    clean,
)


def extract_docx(data: bytes) -> Extracted:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError(f"the DOCX file is corrupt ({type(exc).__name__})") from exc
    headings = HeadingPath()
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


def extract_pptx(data: bytes, max_pages: int) -> Extracted:
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
