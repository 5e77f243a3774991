"""The index contract: full text and vectors, on SQLite (NumPy) and PostgreSQL (pgvector)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.auth.service import create_user
from studyforge.documents import index
from studyforge.documents.chunking import Chunk
from studyforge.documents.models import Document, Passage
from studyforge.documents.vectors import matrices

TEXTS = [
    "Glaciers carve U-shaped valleys as they flow downhill.",
    "Photosynthesis stores light energy in glucose.",
    "The Treaty of Westphalia ended the Thirty Years' War.",
    "Enzymes lower the activation energy of reactions.",
]


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def add_document(session: Session, user_id: uuid.UUID, path: str, vectors: np.ndarray) -> uuid.UUID:
    doc = Document(
        user_id=user_id,
        filename=path,
        path=path,
        media_type="text/plain",
        size_bytes=1,
        sha256="0" * 64,
        s3_key=f"k/{uuid.uuid4()}",
    )
    session.add(doc)
    session.flush()
    chunks, offset = [], 0
    for text in TEXTS:
        chunks.append(Chunk(text, 1, None, offset, offset + len(text)))
        offset += len(text) + 2
    index.store(session, doc.id, user_id, path, chunks, vectors)
    return doc.id


@pytest.fixture
def corpus(platform):
    rng = np.random.default_rng(7)
    vectors = unit(rng, 8)
    with platform.sessions.begin() as session:
        alice = create_user(session, f"a{uuid.uuid4().hex[:6]}", "pw-123456789").id
        bob = create_user(session, f"b{uuid.uuid4().hex[:6]}", "pw-123456789").id
        docs = {
            "bio": add_document(session, alice, "bio/x.txt", vectors[:4]),
            "geo": add_document(session, alice, "geo/y.txt", vectors[4:]),
            "bob": add_document(session, bob, "bio/x.txt", vectors[:4]),
        }
    return {"alice": alice, "bob": bob, "docs": docs, "vectors": vectors}


def test_vector_backend_matches_on_every_database(platform, corpus):
    alice = corpus["alice"]
    query = corpus["vectors"][2] + 0.1 * corpus["vectors"][5]
    query = (query / np.linalg.norm(query)).astype(np.float32)
    with platform.sessions() as session:
        uses_pgvector = index.has_pgvector(session)
        assert uses_pgvector == (session.get_bind().dialect.name == "postgresql")
        ids = index.nearest(session, index.Scope(alice), query, 3)
        exact = matrices(session).nearest(session, index.Scope(alice), query, 3)
        assert ids == exact  # pgvector's HNSW agrees with exact search on a small corpus
        texts = [session.get(Passage, i).text for i in ids]
        assert texts[0] == TEXTS[2]
        owners = {session.get(Passage, i).user_id for i in ids}
        assert owners == {alice}
        geo = index.Scope(alice, source_filter="geo/")
        assert {session.get(Passage, i).path for i in index.nearest(session, geo, query, 8)} == {
            "geo/y.txt"
        }
        only = index.Scope(alice, document_ids=(corpus["docs"]["bio"],))
        found = index.nearest(session, only, query, 8)
        assert len(found) == 4
        assert {session.get(Passage, i).document_id for i in found} == {corpus["docs"]["bio"]}


def test_fulltext_ranks_and_scopes(platform, corpus):
    with platform.sessions() as session:
        ids = index.fulltext(session, index.Scope(corpus["alice"]), "energy glaciers", 10)
        texts = {session.get(Passage, i).text for i in ids}
        assert TEXTS[0] in texts and TEXTS[1] in texts and TEXTS[2] not in texts
        assert len(ids) == 6  # three matching passages in each of alice's two documents
        assert index.fulltext(session, index.Scope(corpus["alice"]), "the of and", 10) == []
        stemmed = index.fulltext(session, index.Scope(corpus["bob"]), "glacier", 10)
        assert len(stemmed) == 1  # porter / english stemming: glacier ~ glaciers


def test_matrix_cache_sees_new_and_deleted_passages(platform, corpus):
    alice, rng = corpus["alice"], np.random.default_rng(1)
    extra = unit(rng, 4)
    with platform.sessions() as session:
        cache = matrices(session)
        assert len(cache.nearest(session, index.Scope(alice), extra[0], 50)) == 8
    with platform.sessions.begin() as session:
        new_doc = add_document(session, alice, "new/z.txt", extra)
    with platform.sessions() as session:
        ids = cache.nearest(session, index.Scope(alice), extra[0], 50)
        assert len(ids) == 12
        assert session.get(Passage, ids[0]).document_id == new_doc
    with platform.sessions.begin() as session:
        session.execute(sa.delete(Passage).where(Passage.document_id == new_doc))
        session.execute(sa.delete(Document).where(Document.id == new_doc))
    with platform.sessions() as session:
        assert len(cache.nearest(session, index.Scope(alice), extra[0], 50)) == 8


def test_search_ranks_a_bounded_number_of_matches_and_broad_queries_still_answer(
    platform, monkeypatch
):
    """Above RANK_BUDGET matches, the commonest words stop driving full-text cost."""
    from studyforge.documents import terms

    monkeypatch.setattr(terms, "RANK_BUDGET", 300)
    rng = np.random.default_rng(3)
    n = 400
    with platform.sessions.begin() as session:
        user = create_user(session, f"c{uuid.uuid4().hex[:6]}", "pw-123456789").id
        doc = Document(
            user_id=user,
            filename="big.txt",
            path="big.txt",
            media_type="text/plain",
            size_bytes=1,
            sha256="0" * 64,
            s3_key=f"k/{uuid.uuid4()}",
        )
        session.add(doc)
        session.flush()
        # "psychology" and "universal" are words other stemmers than the index's own get
        # wrong (Snowball's Porter: psychologi; Python's Snowball English: universal).
        texts = [
            f"common filler psychology universal {'moraine ' if i % 8 < 5 else ''}number {i}"
            for i in range(n)
        ]
        texts[7] = "common filler psychology universal passage about a rare glacier"
        chunks = [Chunk(t, 1, None, i * 100, i * 100 + len(t)) for i, t in enumerate(texts)]
        index.store(session, doc.id, user, "big.txt", chunks, unit(rng, n))
    if platform.engine.dialect.name == "postgresql":
        with platform.engine.connect() as conn:  # PostgreSQL reads word counts from its stats
            conn.exec_driver_sql("ANALYZE passages")
            conn.commit()
    with platform.sessions() as session:
        stats = terms.term_stats(session)
        # Rarest first, while their matches fit in the budget together: 1 + 250, not + 400.
        assert stats.selective(session, ["common", "moraine", "glacier"]) == (
            ["glacier", "moraine"],
            False,
        )
        assert stats.selective(session, ["psychology", "glacier"]) == (["glacier"], False)
        assert stats.selective(session, ["universal", "glacier"]) == (["glacier"], False)
        assert stats.selective(session, ["common", "filler"]) == (["common"], True)
        scope = index.Scope(user)
        rare = index.fulltext(session, scope, "common glacier", 5)
        assert session.get(Passage, rare[0]).text == texts[7]
        broad = index.fulltext(session, scope, "common filler", 5)
        assert len(broad) == 5  # ranked within a sample of the matches, but still answered
        assert all(session.get(Passage, pid).user_id == user for pid in broad)
