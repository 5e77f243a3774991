"""Document endpoints, named as in the specification (`/upload`, `/document/<id>`, ...)."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from studyforge.auth.deps import CurrentUser
from studyforge.db import SessionDep
from studyforge.documents import schemas, service
from studyforge.documents.models import Document
from studyforge.errors import AppError
from studyforge.kit.pagination import PageDep, paginate

router = APIRouter(tags=["documents"])


class UserMismatch(AppError):
    status = 403
    code = "USER_MISMATCH"


def _document(document_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Document:
    return service.get_document(session, document_id, user.id)


DocumentDep = Annotated[Document, Depends(_document)]


def _check_user_id(user_id: str | None, user: CurrentUser) -> None:
    if user_id not in (None, "", str(user.id)):
        raise UserMismatch("user_id must be your own id (or omitted)")


@router.post("/upload", status_code=202, response_model=schemas.DocumentUploaded)
def upload(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="PDF, DOCX, PPTX, TXT, Markdown, HTML, image")],
    path: Annotated[str | None, Form(description="source path, e.g. biology/cells.pdf")] = None,
    generate_notes: Annotated[bool, Form()] = True,
    user_id: Annotated[str | None, Form()] = None,
) -> Document:
    """Store a file and start processing it; poll `GET /document/<id>` or the job's events."""
    _check_user_id(user_id, user)
    platform = request.app.state.platform
    limit = platform.settings.upload_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise service.FileTooLarge(f"the file is larger than the {limit // (1024 * 1024)} MB limit")
    return service.create_document(
        session, platform.blobs, user_id=user.id, filename=file.filename or "upload",
        data=data, path=path, generate_notes=generate_notes,
    )  # fmt: skip


@router.get("/documents", response_model=schemas.DocumentList)
def list_documents(
    session: SessionDep, user: CurrentUser, page: PageDep, user_id: str | None = None
) -> dict[str, object]:
    """The caller's documents, newest first."""
    _check_user_id(user_id, user)
    result = paginate(session, service.list_documents_stmt(user.id), page)
    result["documents"] = result.pop("items")
    return result


@router.get("/document/{document_id}", response_model=schemas.Document)
def read_document(doc: DocumentDep) -> Document:
    """A document with its status, extracted text and notes."""
    return doc


@router.get("/document/{document_id}/file")
def download(request: Request, doc: DocumentDep) -> Response:
    """The original file, always as an attachment (never rendered by the browser)."""
    data = request.app.state.platform.blobs.get(doc.s3_key)
    disposition = f"attachment; filename*=UTF-8''{quote(doc.filename, safe='')}"
    return Response(
        data,
        media_type=doc.media_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.post("/process/{document_id}", status_code=202, response_model=schemas.ProcessStarted)
def process(doc: DocumentDep, session: SessionDep) -> schemas.ProcessStarted:
    """Process the document again (409 while it is still being processed)."""
    job = service.reprocess(session, doc)
    return schemas.ProcessStarted(document_id=doc.id, job_id=job.id)


@router.delete("/document/{document_id}", status_code=204)
def delete(request: Request, doc: DocumentDep, session: SessionDep) -> Response:
    """Delete the document, its passages and its file."""
    service.delete_document(session, request.app.state.platform.blobs, doc)
    return Response(status_code=204)


@router.post("/api/search", response_model=schemas.SearchResults, tags=["search"])
def search(
    request: Request, body: schemas.SearchRequest, session: SessionDep, user: CurrentUser
) -> schemas.SearchResults:
    """Hybrid (full-text + vector) search over the caller's passages."""
    embedder = request.app.state.platform.ai.embedder
    return schemas.SearchResults(results=service.search(session, embedder, user.id, body))
