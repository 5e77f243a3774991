"""Document use cases: upload, read, list, re-process, delete, and hybrid search."""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, delete, select
from sqlalchemy.orm import Session

from studyforge.ai.embeddings import Embedder
from studyforge.db import after_commit
from studyforge.documents import index
from studyforge.documents.extract import EXTENSIONS, detect_type
from studyforge.documents.models import Document, DocumentStatus, Passage
from studyforge.documents.schemas import SearchHit, SearchRequest
from studyforge.errors import AppError, Conflict, NotFound
from studyforge.events.service import emit
from studyforge.jobs import enqueue
from studyforge.jobs.models import TERMINAL, Job
from studyforge.jobs.service import cancel_subject_job
from studyforge.storage import BlobStore

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)
CANDIDATES = 50


class DocumentNotFound(NotFound):
    code = "DOCUMENT_NOT_FOUND"


class FileTooLarge(AppError):
    status = 413
    code = "FILE_TOO_LARGE"


class UnsupportedType(AppError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class InvalidUpload(AppError):
    status = 422
    code = "INVALID_UPLOAD"


class AlreadyProcessing(Conflict):
    code = "ALREADY_PROCESSING"


def clean_filename(name: str) -> str:
    """A display name: the last path segment, no control characters, at most 255 chars."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[-255:] or "upload"


def clean_path(path: str | None, filename: str) -> str:
    """A folder-like source path ("biology/cells.pdf"); refuses `..`, absolute and odd paths."""
    if not path:
        return filename
    if any(unicodedata.category(ch)[0] == "C" for ch in path) or len(path) > 500:
        raise InvalidUpload("path must be at most 500 printable characters", code="INVALID_PATH")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise InvalidUpload("path must be relative and may not contain '..'", code="INVALID_PATH")
    return posixpath.join(*parts)


def create_document(
    session: Session,
    blobs: BlobStore,
    *,
    user_id: uuid.UUID,
    filename: str,
    data: bytes,
    path: str | None = None,
    generate_notes: bool = True,
) -> Document:
    """Store the file, record the document as processing, and queue its processing job."""
    filename = clean_filename(filename)
    if not data:
        raise InvalidUpload("the file is empty", code="EMPTY_FILE")
    media_type = detect_type(filename, data)
    if media_type is None:
        raise UnsupportedType(
            "unsupported file type; upload PDF, DOCX, PPTX, TXT, Markdown, HTML, PNG or JPEG"
        )
    doc_id = uuid.uuid4()
    # The key is built from ids only: a hostile filename never reaches the blob store.
    key = f"documents/{user_id}/{doc_id}{EXTENSIONS[media_type]}"
    blobs.put(key, data, media_type)
    doc = Document(
        id=doc_id,
        user_id=user_id,
        filename=filename,
        path=clean_path(path, filename),
        media_type=media_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        s3_key=key,
        status=DocumentStatus.PROCESSING,
        generate_notes=generate_notes,
    )
    session.add(doc)
    session.flush()
    emit(session, "document.uploaded", uploaded_payload(doc), stream_id=doc.id, user_id=user_id)
    _start(session, doc)
    return doc


@dataclass(frozen=True)
class Upload:
    """An upload's outcome: the document answered with and the one it duplicates, if any."""

    document: Document
    duplicate_of: Document | None
    skipped: bool = False


def find_duplicate(session: Session, user_id: uuid.UUID, sha256: str) -> Document | None:
    """The user's document with this content (sha256): a processed one first, then the oldest."""
    failed_last = case((Document.status == DocumentStatus.FAILED, 1), else_=0)
    stmt = (
        select(Document)
        .where(Document.user_id == user_id, Document.sha256 == sha256)
        .order_by(failed_last, Document.created_at, Document.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def upload_document(
    session: Session,
    blobs: BlobStore,
    *,
    user_id: uuid.UUID,
    filename: str,
    data: bytes,
    path: str | None = None,
    generate_notes: bool = True,
    skip_duplicate: bool = False,
) -> Upload:
    """Store an upload, flagging content already in the library (or skipping it, if asked)."""
    duplicate = find_duplicate(session, user_id, hashlib.sha256(data).hexdigest()) if data else None
    if duplicate is not None and skip_duplicate:
        return Upload(duplicate, duplicate, skipped=True)
    doc = create_document(
        session, blobs, user_id=user_id, filename=filename, data=data, path=path,
        generate_notes=generate_notes,
    )  # fmt: skip
    return Upload(doc, duplicate)


def existing_ids(session: Session, user_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `ids` that are documents of the user (the others were deleted, or never were)."""
    wanted = set(ids)
    if not wanted:
        return set()
    stmt = select(Document.id).where(Document.user_id == user_id, Document.id.in_(wanted))
    return set(session.scalars(stmt))


def uploaded_payload(doc: Document) -> dict[str, Any]:
    """The `document.uploaded` event body."""
    return {
        "document_id": str(doc.id),
        "user_id": str(doc.user_id),
        "filename": doc.filename,
        "path": doc.path,
        "s3_key": doc.s3_key,
        "media_type": doc.media_type,
        "uploaded_at": doc.uploaded_at.isoformat(),
    }


def _start(session: Session, doc: Document) -> Job:
    job = enqueue(session, "documents.process", user_id=doc.user_id, document_id=str(doc.id))
    doc.job_id = job.id
    return job


def get_document(session: Session, doc_id: uuid.UUID, user_id: uuid.UUID) -> Document:
    """The caller's document, or 404 (also for another user's)."""
    doc = session.get(Document, doc_id)
    if doc is None or doc.user_id != user_id:
        raise DocumentNotFound("Document not found")
    return doc


def list_documents_stmt(user_id: uuid.UUID) -> Select[Any]:
    """The caller's documents, newest first."""
    return (
        select(Document)
        .where(Document.user_id == user_id)
        .order_by(Document.created_at.desc(), Document.id)
    )


def reprocess(session: Session, doc: Document) -> Job:
    """Run processing again (after a failure, or with newer providers)."""
    if doc.job_id is not None:
        job = session.get(Job, doc.job_id)
        if job is not None and job.status not in TERMINAL:
            raise AlreadyProcessing("the document is already being processed")
    doc.status = DocumentStatus.PROCESSING
    doc.error = None
    return _start(session, doc)


def delete_document(session: Session, blobs: BlobStore, doc: Document) -> None:
    """Delete the document, its passages, and (after commit) its file; a running processing
    job is cancelled (it stops at its next step)."""
    key = doc.s3_key
    cancel_subject_job(session, doc.job_id)
    session.execute(delete(Passage).where(Passage.document_id == doc.id))
    session.delete(doc)
    emit(session, "document.deleted", {"document_id": str(doc.id)}, user_id=doc.user_id)
    after_commit(session, lambda: blobs.delete(key))


def search(
    session: Session, embedder: Embedder, user_id: uuid.UUID, req: SearchRequest
) -> list[SearchHit]:
    """Hybrid search over the caller's passages: full text + vectors, fused by reciprocal rank."""
    ids = None if req.document_ids is None else tuple(req.document_ids)
    scope = index.Scope(user_id=user_id, source_filter=req.source_filter, document_ids=ids)
    return retrieve(session, embedder, scope, req.query, req.k)


HIT_COLUMNS = (
    Passage.document_id, Passage.path, Passage.page, Passage.heading, Passage.kind,
    Passage.text, Passage.start, Passage.end,
)  # fmt: skip


def retrieve(
    session: Session, embedder: Embedder, scope: index.Scope, query: str, k: int
) -> list[SearchHit]:
    """The `k` passages in scope that best match `query`, best first.

    Answers are cached per user, scope, query and the user's data version (`user_stamp`, read
    first, so an answer is never older than its key): an upload or a delete changes the
    version, so a cached answer is never stale and never another user's.
    """
    stamp = index.user_stamp(session, scope.user_id)
    key = (scope, query, k, embedder.name, id(embedder), stamp)
    cache = index.results(session)
    cached = cache.get(key)
    if cached is not None:
        return [hit.model_copy() for hit in cached]
    vector = index.embed_query(embedder, query)
    ranked: dict[int, float] = {}
    candidates = max(CANDIDATES, k)
    for ids in (
        index.fulltext(session, scope, query, candidates),
        index.nearest(session, scope, vector, candidates, stamp),
    ):
        for rank, pid in enumerate(ids):
            ranked[pid] = ranked.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
    best = sorted(ranked, key=lambda pid: -ranked[pid])[:k]
    hits: list[SearchHit] = []
    if best:
        rows = session.execute(
            select(Passage.id.label("passage_id"), Document.filename, *HIT_COLUMNS)
            .join(Document, Document.id == Passage.document_id)
            .where(Passage.id.in_(best))
        ).all()  # columns, not ORM objects: a third of the time for five rows
        by_id = {row[0]: dict(row._mapping) for row in rows}
        hits = [
            SearchHit.model_validate({**by_id[pid], "score": round(ranked[pid], 6)})
            for pid in best
            if pid in by_id
        ]  # `passage_id` is not a field: ignored
    if not (session.new or session.dirty or session.deleted):  # only committed-looking data
        cache.put(key, tuple(hits))
    return [hit.model_copy() for hit in hits]
