"""The passages a quiz may ask about: of one document, of a course's sources, or of a folder.

Every filter given narrows the others (a document under a folder, a course's sources of one
document). Passages come in document order with their stored vectors, at most MAX_PASSAGES
(spread over the documents when there are many), so a quiz over a large library stays bounded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.courses import service as courses
from studyforge.courses.models import CourseStatus
from studyforge.documents import service as documents
from studyforge.documents.index import Scope
from studyforge.documents.models import Document, DocumentStatus, Passage
from studyforge.errors import Conflict, NotFound
from studyforge.quizzes.context import with_context

MAX_PASSAGES = 1500
Source = dict[str, Any]


class NoSources(NotFound):
    """Nothing in scope to ask about."""

    code = "NO_SOURCES"


class SourceNotReady(Conflict):
    """The document is still being processed (or failed), or the course is not READY."""

    code = "SOURCE_NOT_READY"


@dataclass(frozen=True)
class Wanted:
    """What a quiz is about; None fields do not narrow."""

    user_id: uuid.UUID
    document_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    source_filter: str | None = None


def check_scope(session: Session, wanted: Wanted) -> None:
    """404 for a document or course that is not the caller's, 409 for one not ready yet."""
    if wanted.document_id is not None:
        doc = documents.get_document(session, wanted.document_id, wanted.user_id)
        if doc.status is not DocumentStatus.COMPLETED:
            state = "still being processed" if doc.status is DocumentStatus.PROCESSING else "failed"
            raise SourceNotReady(f"The document '{doc.filename}' {state}: nothing to ask yet.")
    if wanted.course_id is not None:
        course = courses.get_course(session, wanted.course_id, wanted.user_id)
        if course.status is not CourseStatus.READY:
            raise SourceNotReady("The course is not READY yet: quiz it once it is generated.")


def load_sources(session: Session, wanted: Wanted) -> list[Source]:
    """The passages in scope, in document order, with their vectors; raises NoSources."""
    check_scope(session, wanted)
    ids: tuple[uuid.UUID, ...] | None = None
    if wanted.document_id is not None:
        ids = (wanted.document_id,)
    spans: set[tuple[str, int]] | None = None
    if wanted.course_id is not None:
        spans = _course_spans(session, wanted)
        docs = {uuid.UUID(doc) for doc, _ in spans}
        ids = tuple(d for d in docs if ids is None or d in ids)
    scope = Scope(wanted.user_id, wanted.source_filter, ids)
    stmt: Any = (
        sa.select(Passage, Passage.embedding, Document.filename)
        .join(Document, Document.id == Passage.document_id)
        .order_by(Document.created_at, Passage.document_id, Passage.ordinal)
    )
    rows: list[Any] = list(session.execute(scope.where(stmt)).all()) if ids is None or ids else []
    if spans is not None:
        rows = [r for r in rows if (str(r[0].document_id), r[0].start) in spans]
    if not rows:
        raise NoSources(_nothing_message(wanted))
    sources = [_source(i, *row) for i, row in enumerate(_spread(rows, MAX_PASSAGES))]
    return with_context(session, wanted.user_id, sources)  # received key terms (context.py)


def _course_spans(session: Session, wanted: Wanted) -> set[tuple[str, int]]:
    """(document id, start) of every passage the course draws on."""
    assert wanted.course_id is not None
    course = courses.get_course(session, wanted.course_id, wanted.user_id)
    cited = list(course.sources or [])
    for lesson in course.lessons:
        cited.extend(lesson.sources)
    spans = {(str(s["document_id"]), int(s["start"])) for s in cited
             if s.get("document_id") and s.get("start") is not None}  # fmt: skip
    if not spans:
        raise NoSources("This course is not grounded in any document: there is nothing to quiz.")
    return spans


def _spread(rows: list[Any], limit: int) -> list[Any]:
    """At most `limit` rows, an even share of each document's (in order) when over it."""
    if len(rows) <= limit:
        return rows
    by_doc: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_doc.setdefault(row[0].document_id, []).append(row)
    share = max(1, limit // len(by_doc))
    kept: list[Any] = []
    for doc_rows in by_doc.values():
        step = max(1, len(doc_rows) / share)
        kept.extend(doc_rows[int(i * step)] for i in range(min(share, len(doc_rows))))
    return kept[:limit]


def _nothing_message(wanted: Wanted) -> str:
    parts = []
    if wanted.document_id is not None:
        parts.append("this document")
    if wanted.course_id is not None:
        parts.append("this course's sources")
    if wanted.source_filter:
        parts.append(f"documents under '{wanted.source_filter}'")
    where = " within ".join(parts) if parts else "your documents"
    return f"There is no text in {where} to ask about. Upload or choose other documents."


def _source(index: int, passage: Passage, blob: bytes | None, filename: str) -> Source:
    vector = np.frombuffer(blob, dtype=np.float32) if blob else None
    return {
        "index": index, "passage_id": passage.id, "document_id": str(passage.document_id),
        "filename": filename, "path": passage.path, "page": passage.page,
        "heading": passage.heading, "kind": passage.kind, "text": passage.text,
        "start": passage.start, "end": passage.end, "vector": vector,
    }  # fmt: skip
