"""The processing job: file -> text (OCR where needed) -> passages -> vectors -> index -> notes."""

from __future__ import annotations

import logging
import uuid
from base64 import b64decode
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from studyforge.ai.errors import ProviderError
from studyforge.ai.registry import AIProviders
from studyforge.config import Settings
from studyforge.db import utcnow
from studyforge.documents import index
from studyforge.documents.chunking import Chunk, assemble
from studyforge.documents.extract import IMAGES, Block, Extracted, clean, from_json
from studyforge.documents.models import Document, DocumentStatus
from studyforge.documents.notes import draft_notes, save_notes
from studyforge.errors import AppError, TransientError
from studyforge.events.service import emit
from studyforge.jobs import JobContext, job
from studyforge.jobs.models import Job
from studyforge.kit.sandbox import SandboxError, run_limited

log = logging.getLogger(__name__)
EMBED_BATCH = 64
OCR_RENDER_BATCH = 8
EXTRACT = "studyforge.documents.extract:extract_json"
RENDER = "studyforge.documents.extract:render_pages"


class DocumentUnreadable(AppError):
    """The file could not be turned into text; becomes the document's `error`."""

    code = "DOCUMENT_UNREADABLE"


def mark_failed(session: Session, row: Job) -> None:
    """Job ended FAILED/CANCELLED: its document (if this is still its job) is `failed`."""
    doc = session.get(Document, uuid.UUID(str(row.params.get("document_id"))))
    if doc is None or doc.job_id != row.id:
        return
    doc.status = DocumentStatus.FAILED
    doc.error = row.error or "processing failed"
    doc.processed_at = utcnow()
    emit(session, "document.processed", processed_payload(doc), stream_id=doc.id,
         user_id=doc.user_id)  # fmt: skip


def processed_payload(doc: Document) -> dict[str, Any]:
    """The `document.processed` event body."""
    return {
        "document_id": str(doc.id),
        "user_id": str(doc.user_id),
        "path": doc.path,
        "status": doc.status.value,
        "page_count": doc.page_count,
        "passage_count": doc.passage_count,
        "error": doc.error,
        "processed_at": doc.processed_at.isoformat() if doc.processed_at else None,
    }


@job("documents.process", queue="ai_processing", on_failure=mark_failed)
def process(ctx: JobContext, document_id: str) -> dict[str, Any]:
    """Process one document end to end; a bad file fails this document only."""
    settings: Settings = ctx.services.settings
    ai: AIProviders = ctx.services.ai
    doc = ctx.session.get(Document, uuid.UUID(document_id))
    if doc is None or doc.job_id != ctx.job_id:
        return {"skipped": "the document was deleted or re-queued"}
    data = ctx.services.blobs.get(doc.s3_key)

    ctx.progress(5, "Reading the file", stage="extracting")
    extracted = from_json(
        _sandboxed(settings, EXTRACT, data, media_type=doc.media_type, max_pages=settings.max_pages)
    )
    blocks = extracted.blocks + _ocr(ctx, settings, ai, doc, data, extracted)
    blocks.sort(key=lambda b: b.page or 0)  # stable: OCR'd pages slot in between text pages
    if not blocks:
        raise DocumentUnreadable("no text could be extracted from the file")
    text, chunks = assemble(blocks)

    vectors = _embed(ctx, ai, chunks)
    notes, notes_error = None, None
    if doc.generate_notes:
        ctx.progress(90, "Writing notes", stage="notes")
        try:
            notes = draft_notes(ctx, ai.llm, chunks)
        except ProviderError as exc:
            if isinstance(exc, TransientError):
                raise  # retried with backoff by the runner
            # The text stays searchable; notes can be made again with POST /process.
            log.warning("notes for document %s failed: %s", doc.id, exc)
            notes_error = f"notes could not be generated: {exc}"[:1000]
    # Writes come last: with SQLite, once this session writes, other connections (progress
    # reports) would wait for it, so nothing below reports progress.
    ctx.progress(95, "Indexing passages", stage="indexing")
    index.store(ctx.session, doc.id, doc.user_id, doc.path, chunks, vectors)
    doc.extracted_text = text
    doc.page_count = extracted.page_count
    doc.passage_count = len(chunks)
    doc.embedding_model = ai.embedder.name
    if notes is not None:
        save_notes(ctx.session, doc, notes)
    elif notes_error is not None:
        doc.notes, doc.notes_data = None, {"error": notes_error}
    doc.status = DocumentStatus.COMPLETED
    doc.error = None
    doc.processed_at = utcnow()
    emit(ctx.session, "document.processed", processed_payload(doc), stream_id=doc.id,
         user_id=doc.user_id)  # fmt: skip
    return {"passages": len(chunks), "pages": doc.page_count, "ocr_pages": doc.ocr_pages}


def _sandboxed(settings: Settings, target: str, data: bytes, **args: Any) -> Any:
    try:
        return run_limited(
            target, data, timeout=settings.extract_timeout_seconds,
            memory_mb=settings.extract_memory_mb, **args,
        )  # fmt: skip
    except SandboxError as exc:
        raise DocumentUnreadable(f"could not read the file: {exc}") from None


def _ocr(
    ctx: JobContext, settings: Settings, ai: AIProviders, doc: Document, data: bytes,
    extracted: Extracted,
) -> list[Block]:  # fmt: skip
    """OCR the pages without a text layer (and images), up to the configured page limit."""
    pages = extracted.ocr_pages[: settings.ocr_max_pages]
    if not pages or ai.ocr is None:
        return []
    blocks: list[Block] = []
    for start in range(0, len(pages), OCR_RENDER_BATCH):
        batch = pages[start : start + OCR_RENDER_BATCH]
        ctx.progress(10 + 30 * start // len(pages), f"OCR page {batch[0]} of {len(pages)}",
                     stage="ocr")  # fmt: skip
        if doc.media_type in IMAGES:
            images = [data]
        else:
            images = [b64decode(i) for i in _sandboxed(settings, RENDER, data, pages=batch)]
        for number, image in zip(batch, images, strict=True):
            text = clean(ai.ocr.extract_text(image))
            if text:
                blocks.extend(Block(line, number) for line in text.split("\n\n"))
    doc.ocr_pages = len(pages)
    return blocks


def _embed(ctx: JobContext, ai: AIProviders, chunks: list[Chunk]) -> np.ndarray:
    parts = []
    for start in range(0, len(chunks), EMBED_BATCH):
        ctx.progress(40 + 45 * start // max(len(chunks), 1),
                     f"Embedding passages {start + 1}-{min(start + EMBED_BATCH, len(chunks))} "
                     f"of {len(chunks)}", stage="embedding")  # fmt: skip
        batch = chunks[start : start + EMBED_BATCH]
        parts.append(ai.embedder.embed_batch([embedding_text(c) for c in batch]))
    return np.vstack(parts)


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a passage: its section's title, then its text (a code example or
    a short paragraph says little about its subject without the heading it sits under)."""
    title = (chunk.heading or "").rsplit(" > ", 1)[-1]
    return f"{title}\n{chunk.text}" if title else chunk.text
