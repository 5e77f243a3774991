"""Notes received for a document (Kafka `notes.generated`) as context for its later quizzes.

The notes are stored with the document, in `Document.notes_data["context"]`:
`{"key_terms", "notes", "provider", "received_at"}` (the document's own notes stay as they
are). Our platform publishes `notes.generated` for its own notes too; those are recognised
(the same notes and key terms as the document's own) and change nothing, so consuming them is
harmless, and receiving the same notes twice changes nothing either.

The key terms are a signal for the offline planner: a fact whose sentence uses one of its
document's received key terms ranks as more central (`stress`), more so when the term is
what the question would ask for. That is the only effect; nothing of the received notes is
ever quoted or asked, since questions cite the document's own text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.db import utcnow
from studyforge.documents import service as documents
from studyforge.documents.models import Document
from studyforge.quizzes.facts import Fact, Material

CONTEXT = "context"  # the key under Document.notes_data
MAX_TERMS = 50  # received key terms kept per document
MENTIONS = 1.0  # added to a fact's score when its sentence uses a received key term
ASKS = 1.5  # ... when the term is one of the fact's keys (what a question would ask for)
Source = dict[str, Any]


def clean_terms(terms: Sequence[str] | None) -> list[str]:
    """Distinct (case-insensitively), non-empty terms in their order, at most MAX_TERMS."""
    out: dict[str, str] = {}
    for term in terms or ():
        text = " ".join(str(term).split())
        if text and text.casefold() not in out:
            out[text.casefold()] = text
    return list(out.values())[:MAX_TERMS]


def store_notes(
    session: Session,
    user_id: uuid.UUID,
    document_id: uuid.UUID,
    notes: str | None,
    key_terms: Sequence[str],
    provider: str | None,
) -> bool:
    """Keep received notes as the document's quiz context; False if nothing changed (our own
    notes, or the same notes again). Raises DocumentNotFound unless it is the user's document."""
    doc = documents.get_document(session, document_id, user_id)
    data: dict[str, Any] = dict(doc.notes_data or {})
    terms = clean_terms(key_terms)
    if notes == doc.notes and terms == clean_terms(data.get("key_terms")):
        return False  # the notes this platform wrote for the document
    received = {"key_terms": terms, "notes": notes, "provider": provider}
    stored = data.get(CONTEXT)
    if isinstance(stored, dict) and {k: stored.get(k) for k in received} == received:
        return False
    # A new dict: the JSON column notices an assignment, not an in-place change.
    doc.notes_data = {**data, CONTEXT: {**received, "received_at": utcnow().isoformat()}}
    return True


def contexts(
    session: Session, user_id: uuid.UUID, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The received key terms of each of the user's documents that has some."""
    ids = list(dict.fromkeys(document_ids))
    if not ids:
        return {}
    stmt = sa.select(Document.id, Document.notes_data).where(
        Document.user_id == user_id, Document.id.in_(ids)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for doc_id, data in session.execute(stmt):
        stored = (data or {}).get(CONTEXT)
        terms = clean_terms(stored.get("key_terms")) if isinstance(stored, dict) else []
        if terms:
            found[doc_id] = terms
    return found


def document_context(session: Session, user_id: uuid.UUID, document_id: uuid.UUID) -> list[str]:
    """The key terms received for one of the user's documents ([] if none, or not theirs)."""
    return contexts(session, user_id, [document_id]).get(document_id, [])


def with_context(session: Session, user_id: uuid.UUID, sources: list[Source]) -> list[Source]:
    """The sources, each with its document's received key terms as `context_terms` (a tuple,
    empty when there are none)."""
    ids = [uuid.UUID(str(s["document_id"])) for s in sources]
    found = contexts(session, user_id, ids)
    for source in sources:
        source["context_terms"] = tuple(found.get(uuid.UUID(str(source["document_id"])), ()))
    return sources


def stress(m: Material, fact: Fact) -> float:
    """How much more central `fact` (of the quiz material `m`) is for its document's received
    key terms: ASKS if a key of it is one, MENTIONS if its sentence uses one, else 0."""
    terms: tuple[str, ...] = m.sources[fact.source].get("context_terms") or ()
    if not terms:
        return 0.0
    wanted = {t.casefold() for t in terms}
    if any(" ".join(k.text.split()).casefold() in wanted for k in fact.keys):
        return ASKS
    return MENTIONS if _pattern(terms).search(fact.sentence) else 0.0


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive, whole-word pattern for any of the terms."""
    words = sorted((re.escape(t) for t in terms), key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(words)})(?![\w-])", re.IGNORECASE)
