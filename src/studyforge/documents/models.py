"""Documents and their passages (the retrieval units, with anchors back into the source)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studyforge.db import Base, IdMixin, TimestampMixin


class DocumentStatus(enum.StrEnum):
    """The specification's status flow: processing -> completed | failed."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Document(IdMixin, TimestampMixin, Base):
    """An uploaded source file, its extracted text and notes."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_user_created", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    s3_key: Mapped[str] = mapped_column(String(500))
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(
            DocumentStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DocumentStatus.PROCESSING,
    )
    generate_notes: Mapped[bool] = mapped_column(default=True)
    extracted_text: Mapped[str | None] = mapped_column(Text, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    notes_data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    page_count: Mapped[int | None] = mapped_column(default=None)
    passage_count: Mapped[int] = mapped_column(default=0)
    ocr_pages: Mapped[int] = mapped_column(default=0)
    embedding_model: Mapped[str | None] = mapped_column(String(100), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    job_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def document_id(self) -> uuid.UUID:
        """The specification's name for the id."""
        return self.id

    @property
    def uploaded_at(self) -> datetime:
        """The specification's name for the creation time."""
        return self.created_at


class Passage(Base):
    """A retrieval unit: a span of a document's extracted text with its page and heading.

    `user_id` and `path` are copied from the document so search filters need no join. The
    full-text index (FTS5 / tsvector) and, on PostgreSQL with pgvector, the `vec` column are
    added by the migration; `embedding` (float32 bytes, loaded only when asked for) is the
    portable copy of the vector, searched with NumPy where there is no pgvector.
    """

    __tablename__ = "passages"
    __table_args__ = (Index("ix_passages_user_path", "user_id", "path"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    path: Mapped[str] = mapped_column(String(500))
    ordinal: Mapped[int] = mapped_column()
    page: Mapped[int | None] = mapped_column(default=None)
    heading: Mapped[str | None] = mapped_column(String(500), default=None)
    kind: Mapped[str] = mapped_column(String(10), default="prose", server_default="prose")
    lang: Mapped[str | None] = mapped_column(String(40), default=None)
    start: Mapped[int] = mapped_column()
    end: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
