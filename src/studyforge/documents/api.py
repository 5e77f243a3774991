"""Document endpoints, named as in the specification (`/upload`, `/document/<id>`, ...)."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from studyforge.auth.deps import CurrentReader, CurrentUser, check_user_id
from studyforge.courses import service as course_service
from studyforge.db import SessionDep
from studyforge.documents import schemas, service
from studyforge.documents.extract import EXTENSIONS
from studyforge.documents.models import Document
from studyforge.kit.limits import Text
from studyforge.kit.pagination import PageDep, paginate
from studyforge.openapi import BINARY, content, errors

router = APIRouter(tags=["documents"])


def _document(document_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Document:
    return service.get_document(session, document_id, user.id)


DocumentDep = Annotated[Document, Depends(_document)]


@router.post(
    "/upload",
    status_code=202,
    response_model=schemas.DocumentUploaded,
    responses={
        200: {"model": schemas.DocumentUploaded, "description": "`skip_duplicate`: nothing new"},
        **errors(
            {
                403: "`user_id` is not your own id",
                413: "the file is larger than the upload limit",
                415: "not a type that can be read",
            }
        ),
    },
)
def upload(
    request: Request,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="PDF, DOCX, PPTX, TXT, Markdown, HTML, image")],
    path: Annotated[
        Annotated[str, Text(500, blank=True)] | None,
        Form(description="source path, e.g. biology/cells.pdf (blank: the file name)"),
    ] = None,
    generate_notes: Annotated[bool, Form()] = True,
    user_id: Annotated[str | None, Form()] = None,
    skip_duplicate: Annotated[
        bool, Form(description="if you already have this content: store nothing, answer 200")
    ] = False,
) -> schemas.DocumentUploaded:
    """Store a file and start processing it; poll `GET /document/<id>` or the job's events.

    Each form field is sent once: a second `file` part (or any repeated field) is a 422.

    `duplicate_of` names your document with the same content; with `skip_duplicate` that
    document is the answer (200) and nothing new is stored or processed.
    """
    check_user_id(user_id, user.id)
    platform = request.app.state.platform
    limit = platform.settings.upload_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise service.FileTooLarge(f"the file is larger than the {limit // (1024 * 1024)} MB limit")
    upload = service.upload_document(
        session, platform.blobs, user_id=user.id, filename=file.filename or "upload",
        data=data, path=path, generate_notes=generate_notes, skip_duplicate=skip_duplicate,
    )  # fmt: skip
    if upload.skipped:
        response.status_code = 200
    body = schemas.DocumentUploaded.model_validate(upload.document)
    if upload.duplicate_of is not None:
        body.duplicate_of, body.duplicate_path = upload.duplicate_of.id, upload.duplicate_of.path
    return body


@router.get(
    "/documents",
    response_model=schemas.DocumentList,
    responses=errors({403: "`user_id` is not your own id"}),
)
def list_documents(
    session: SessionDep, user: CurrentUser, page: PageDep, user_id: str | None = None
) -> dict[str, object]:
    """The caller's documents, newest first."""
    check_user_id(user_id, user.id)
    result = paginate(session, service.list_documents_stmt(user.id), page)
    result["documents"] = result.pop("items")
    return result


@router.get("/document/{document_id}", response_model=schemas.Document)
def read_document(doc: DocumentDep) -> Document:
    """A document with its status, extracted text and notes."""
    return doc


@router.get(
    "/document/{document_id}/file",
    response_class=Response,
    responses=content({media: BINARY for media in EXTENSIONS}, "The file, as uploaded"),
)
def download(request: Request, doc: DocumentDep) -> Response:
    """The original file, always as an attachment (never rendered by the browser)."""
    data = request.app.state.platform.blobs.get(doc.s3_key)
    disposition = f"attachment; filename*=UTF-8''{quote(doc.filename, safe='')}"
    return Response(
        data,
        media_type=doc.media_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.post(
    "/process/{document_id}",
    status_code=202,
    response_model=schemas.ProcessStarted,
    responses=errors({409: "the document is still being processed"}),
)
def process(doc: DocumentDep, session: SessionDep) -> schemas.ProcessStarted:
    """Process the document again (409 while it is still being processed)."""
    job = service.reprocess(session, doc)
    return schemas.ProcessStarted(document_id=doc.id, job_id=job.id)


@router.delete("/document/{document_id}", response_model=schemas.DocumentDeleted)
def delete(request: Request, doc: DocumentDep, session: SessionDep) -> schemas.DocumentDeleted:
    """Delete the document, its passages and its file; names the courses that cite it."""
    citing = course_service.citing_courses(session, doc.user_id, doc.id)
    service.delete_document(session, request.app.state.platform.blobs, doc)
    courses = [schemas.CitingCourse(id=c.id, title=c.title or c.topic) for c in citing]
    return schemas.DocumentDeleted(document_id=doc.id, courses=courses)


SEARCH_THREADS = 4  # searches run at once; the rest wait their turn on the event loop
_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _searches() -> anyio.CapacityLimiter:
    """This event loop's limit on concurrent searches.

    A flood of searches then holds at most this many of the shared thread-pool's threads, so
    page loads and job polls still get theirs. Searches are short CPU-bound work: more threads
    do not make them faster on a few cores, only their tail slower (`bench search_load`, 16
    connections, 2 cores: 4 threads gave 169-198 requests/s at p99 113-137 ms; 6 to 16
    threads 179-255 requests/s at p99 107-261 ms, over 200 ms in 5 runs of 7), and the ones
    waiting here join the next embedding and matrix batch (`Coalescer`) anyway.
    """
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(SEARCH_THREADS)
    return limiter


@router.post("/api/search", response_model=schemas.SearchResults, tags=["search"])
async def search(
    request: Request, body: schemas.SearchRequest, user: CurrentReader
) -> schemas.SearchResults:
    """Hybrid (full-text + vector) search over the caller's passages."""
    platform = request.app.state.platform

    def run() -> list[schemas.SearchHit]:
        # One thread-pool hop for the whole search (a request session would take three:
        # under load every hop is another wait for the GIL).
        with platform.sessions() as session:
            return service.search(session, platform.ai.embedder, user.id, body)

    return schemas.SearchResults(results=await anyio.to_thread.run_sync(run, limiter=_searches()))
