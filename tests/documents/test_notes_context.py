"""Notes another service sent (Kafka `notes.generated`) survive the document's own notes being
written again (a reprocess), and are still what later quizzes draw on."""

from __future__ import annotations

from studyforge.auth.service import create_user
from studyforge.documents.models import Document
from studyforge.documents.notes import save_notes
from studyforge.quizzes.context import document_context, store_notes
from tests.documents.test_search_concurrency import SHARED, add_document


def test_received_notes_survive_a_reprocess(platform):
    with platform.sessions.begin() as session:
        user = create_user(session, "notes-context", "pw-123456789").id
        doc_id = add_document(session, platform.ai.embedder, user, "bio/cells.txt", SHARED[:3])
    with platform.sessions.begin() as session:
        assert store_notes(session, user, doc_id, "From the tutor service", ["glucose"], "ext")
    with platform.sessions.begin() as session:
        doc = session.get_one(Document, doc_id)
        own = {"points": [{"text": "Enzymes lower activation energy.", "page": 1}],
               "key_terms": ["enzymes"], "provider": "offline"}  # fmt: skip
        save_notes(session, doc, own)
    with platform.sessions() as session:
        assert document_context(session, user, doc_id) == ["glucose"]
        doc = session.get_one(Document, doc_id)
        assert doc.notes_data["key_terms"] == ["enzymes"]  # the document's own notes replaced
