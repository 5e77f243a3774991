"""Document pages: the library (upload, live list, search) and one document's notes and text.

Paths live under `/library` so they never clash with the API's `/documents` and `/document/{id}`.
Uploads go from the browser straight to the API's `POST /upload` (see `static/documents.js`);
everything else is rendered here from the documents service with the page's session.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.courses import service as course_service
from studyforge.db import SessionDep
from studyforge.documents import service
from studyforge.documents.models import Document, DocumentStatus, Passage
from studyforge.documents.schemas import SearchHit, SearchRequest
from studyforge.jobs.models import Job
from studyforge.jobs.service import jobs_by_id, list_jobs_stmt
from studyforge.platform import Platform
from studyforge.web.pages import PageRoute, PageUser, not_found_page, render

LIBRARY = "/library"
LIST_LIMIT = 100
SEARCH_K = 8
MAX_QUERY = 2000  # SearchRequest's limit
ACCEPT = ".pdf,.docx,.pptx,.txt,.text,.md,.markdown,.html,.htm,.png,.jpg,.jpeg"

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@dataclass(frozen=True)
class DocumentRow:
    """A document of the list with its processing job while it is processing."""

    doc: Document
    job: Job | None


@dataclass(frozen=True)
class Segment:
    """A run of the document text starting at a passage, linkable as `#passage-<start>`."""

    anchor: str
    text: str


@dataclass
class Section:
    """The segments of one page (`#page-<n>`), or of the whole text when it has no pages."""

    page: int | None
    anchor: str | None
    segments: list[Segment] = field(default_factory=list)


def text_sections(text: str, starts: Sequence[tuple[int | None, int]]) -> list[Section]:
    """The text cut at each passage start and grouped by page; no text is left out.

    `starts` holds `(page, start)` of each passage; the first segment also takes any text
    before the first passage.
    """
    ordered = sorted(starts, key=lambda item: item[1]) or [(None, 0)]
    cuts = [0, *(start for _, start in ordered[1:]), len(text)]
    sections: list[Section] = []
    seen: set[int] = set()
    for (page, start), begin, end in zip(ordered, cuts, cuts[1:], strict=False):
        chunk = text[begin:end].strip()
        if not chunk:
            continue
        if not sections or sections[-1].page != page:
            anchor = f"page-{page}" if page is not None and page not in seen else None
            sections.append(Section(page, anchor))
            if page is not None:
                seen.add(page)
        sections[-1].segments.append(Segment(f"passage-{start}", chunk))
    return sections


def hit_href(hit: SearchHit) -> str:
    """The document page URL at a search hit's page (or passage, for page-less documents)."""
    anchor = f"page-{hit.page}" if hit.page is not None else f"passage-{hit.start}"
    return f"{LIBRARY}/{hit.document_id}#{anchor}"


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _rows(session: Session, user: Principal) -> list[DocumentRow]:
    docs = session.scalars(service.list_documents_stmt(user.id).limit(LIST_LIMIT)).all()
    waiting = [d.job_id for d in docs if d.status == DocumentStatus.PROCESSING and d.job_id]
    jobs = jobs_by_id(session, user.id, waiting)
    return [DocumentRow(d, jobs.get(d.job_id) if d.job_id else None) for d in docs]


def _list_context(session: Session, user: Principal) -> dict[str, Any]:
    rows = _rows(session, user)
    processing = any(row.doc.status == DocumentStatus.PROCESSING for row in rows)
    return {"rows": rows, "processing": processing, "limit": LIST_LIMIT}


def _search_context(request: Request, session: Session, user: Principal, q: str) -> dict[str, Any]:
    query = q.strip()[:MAX_QUERY]
    hits: list[SearchHit] = []
    try:
        search = SearchRequest(query=query, k=SEARCH_K) if query else None
    except ValidationError:  # only control or invisible characters: nothing to look for
        search = None
    if search is not None:
        hits = service.search(session, _platform(request).ai.embedder, user.id, search)
    return {"q": query, "results": [(hit, hit_href(hit)) for hit in hits]}


def _owned(session: Session, user: Principal, document_id: str) -> Document | None:
    """The user's document, or None for a malformed id or a document that is not theirs."""
    try:
        return service.get_document(session, uuid.UUID(document_id), user.id)
    except (ValueError, service.DocumentNotFound):
        return None


def _job(session: Session, user: Principal, doc: Document) -> Job | None:
    if doc.status != DocumentStatus.PROCESSING or doc.job_id is None:
        return None
    stmt = list_jobs_stmt(user.id).where(Job.id == doc.job_id)
    return session.scalars(stmt).first()


def _not_found(request: Request, user: Principal) -> Response:
    message = "This document does not exist, or it is not yours."
    return not_found_page(request, user, message, LIBRARY, "your documents")


@router.get(LIBRARY)
def library_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
) -> Response:
    """The user's documents with live status, the upload form and the search box."""
    max_bytes = _platform(request).settings.upload_max_bytes
    context = {
        **_list_context(session, user),
        **_search_context(request, session, user, q),
        "max_mb": max_bytes // (1024 * 1024),
        "max_bytes": max_bytes,
        "accept": ACCEPT,
    }
    return render(request, "documents.html", context, user=user)


@router.get("/ui/library")
def library_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The documents list fragment; htmx polls it while a document is processing."""
    return render(request, "_documents_list.html", _list_context(session, user), user=user)


@router.get(f"{LIBRARY}/search")
def library_search(
    request: Request,
    session: SessionDep,
    user: PageUser,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
) -> Response:
    """Search results fragment for htmx; a plain visit goes to the library page with the query."""
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"{LIBRARY}?q={quote(q)}", status_code=303)
    context = _search_context(request, session, user, q)
    response = render(request, "_search_results.html", context, user=user)
    # The address bar keeps the search (`/library?q=...`), so Back and Reload show it again.
    response.headers["HX-Push-Url"] = f"{LIBRARY}?q={quote(q)}" if q.strip() else LIBRARY
    return response


@router.get(f"{LIBRARY}/{{document_id}}")
def document_page(
    request: Request, session: SessionDep, user: PageUser, document_id: str
) -> Response:
    """One document: status, notes with page links, and its text in page sections."""
    doc = _owned(session, user, document_id)
    if doc is None:
        return _not_found(request, user)
    sections: list[Section] = []
    if doc.extracted_text:
        stmt = select(Passage.page, Passage.start).where(Passage.document_id == doc.id)
        starts = [(page, start) for page, start in session.execute(stmt)]
        sections = text_sections(doc.extracted_text, starts)
    notes = doc.notes_data or {}
    context = {
        "doc": doc,
        "job": _job(session, user, doc),
        "sections": sections,
        "guide": _study_guide(notes),
        "key_terms": [str(t) for t in notes.get("key_terms") or []],
        "extractive": bool(notes.get("extractive")),
        "citing": course_service.citing_courses(session, user.id, doc.id),
    }
    return render(request, "document.html", context, user=user)


def _study_guide(notes: dict[str, Any]) -> list[dict[str, Any]]:
    """The notes' sections (older notes have only points: one untitled section of them)."""
    sections = notes.get("sections")
    if not isinstance(sections, list):
        points = [p for p in notes.get("points") or [] if isinstance(p, dict)]
        return [{"title": None, "points": points, "key_terms": []}] if points else []
    return [s for s in sections if isinstance(s, dict) and (s.get("points") or s.get("title"))]


@router.get(f"/ui{LIBRARY}/{{document_id}}/status")
def document_status(
    request: Request, session: SessionDep, user: PageUser, document_id: str
) -> Response:
    """The processing-status fragment; once processing ends, htmx reloads the whole page."""
    doc = _owned(session, user, document_id)
    if doc is None or doc.status != DocumentStatus.PROCESSING:
        return Response(headers={"HX-Refresh": "true", "Cache-Control": "no-store"})
    context = {"doc": doc, "job": _job(session, user, doc)}
    return render(request, "_document_status.html", context, user=user)


@router.post(f"{LIBRARY}/{{document_id}}/delete")
def delete_document(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _writer: CurrentUser,  # the API's check: a cookie-carrying write must come from this site
    document_id: str,
) -> Response:
    """Delete the document (after the browser's confirmation) and go back to the list."""
    doc = _owned(session, user, document_id)
    if doc is None:
        return _not_found(request, user)
    service.delete_document(session, _platform(request).blobs, doc)
    return RedirectResponse(LIBRARY, status_code=303)
