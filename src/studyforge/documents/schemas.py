"""Request and response bodies of the document endpoints (the specification's field names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from studyforge.documents.models import DocumentStatus
from studyforge.kit.limits import Integer, Text


class DocumentUploaded(BaseModel):
    """`POST /upload` answer."""

    model_config = ConfigDict(from_attributes=True)

    document_id: uuid.UUID
    filename: str
    path: str
    status: DocumentStatus
    s3_key: str
    uploaded_at: datetime
    job_id: uuid.UUID | None = None
    duplicate_of: uuid.UUID | None = Field(
        None, description="your document with the same content (sha256), if you have one"
    )
    duplicate_path: str | None = Field(None, description="that document's source path")


class CitingCourse(BaseModel):
    """A course whose sources cite a document."""

    id: uuid.UUID
    title: str


class DocumentDeleted(BaseModel):
    """`DELETE /document/<id>` answer: the courses that cited it now show the source as removed."""

    document_id: uuid.UUID
    deleted: bool = True
    courses: list[CitingCourse]


class DocumentSummary(BaseModel):
    """A row of `GET /documents`."""

    model_config = ConfigDict(from_attributes=True)

    document_id: uuid.UUID
    filename: str
    path: str
    status: DocumentStatus
    media_type: str
    size_bytes: int
    s3_key: str
    page_count: int | None
    uploaded_at: datetime
    processed_at: datetime | None
    error: str | None


class Document(DocumentSummary):
    """`GET /document/<id>`: the summary plus the text, notes and processing details."""

    extracted_text: str | None
    notes: str | None
    notes_data: dict[str, object] | None
    passage_count: int
    ocr_pages: int
    job_id: uuid.UUID | None


class DocumentList(BaseModel):
    """`GET /documents`: the caller's documents, newest first, one page."""

    documents: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class ProcessStarted(BaseModel):
    """`POST /process/<id>` answer."""

    message: str = "Processing started"
    document_id: uuid.UUID
    job_id: uuid.UUID


class SearchRequest(BaseModel):
    """`POST /api/search` body."""

    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, Text(2000, multiline=True)]
    k: Integer = Field(5, ge=1, le=50)
    source_filter: Annotated[str, Text(500, blank=True)] | None = None
    document_ids: list[uuid.UUID] | None = Field(None, max_length=500)


class SearchHit(BaseModel):
    """One passage found, with its anchors into the source."""

    document_id: uuid.UUID
    filename: str
    path: str
    page: int | None
    heading: str | None
    kind: str = Field("prose", description="prose, list, code or table")
    text: str
    score: float
    start: int
    end: int


class SearchResults(BaseModel):
    """`POST /api/search` answer, best first."""

    results: list[SearchHit]
