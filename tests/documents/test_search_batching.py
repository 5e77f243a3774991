"""Batched search parts: one matrix product for concurrent scans, a commit-aware stamp memo."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import sqlalchemy as sa

from studyforge.auth.service import create_user
from studyforge.db import CommitMemo, sqlite_rows
from studyforge.documents import index, vectors
from studyforge.documents.models import Document, Passage
from tests.documents.test_search_concurrency import SHARED, add_document


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, 384), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def matrix(rng: np.random.Generator, rows: int, docs: list[uuid.UUID]) -> vectors.UserMatrix:
    return vectors.UserMatrix(
        stamp=(1, rows, ""), ids=np.arange(100, 100 + rows, dtype=np.int64),
        matrix=unit(rng, rows), doc_codes=np.arange(rows, dtype=np.int32) % len(docs),
        docs=docs, path_codes=np.zeros(rows, dtype=np.int32), paths=["p/"],
    )  # fmt: skip


def test_a_batch_of_scans_answers_each_as_if_it_ran_alone():
    rng = np.random.default_rng(7)
    docs = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    alice, bob = matrix(rng, 300, docs), matrix(rng, 50, docs[:1])
    user = uuid.uuid4()
    scans = [
        vectors._Scan(alice, unit(rng, 1)[0], index.Scope(user), 10),
        vectors._Scan(bob, unit(rng, 1)[0], index.Scope(user), 5),
        vectors._Scan(alice, unit(rng, 1)[0], index.Scope(user, document_ids=(docs[1],)), 7),
        vectors._Scan(alice, unit(rng, 1)[0], index.Scope(user, source_filter="q/"), 7),
    ]
    batched = vectors._scan_batch(scans)
    alone = [vectors._scan_batch([scan])[0] for scan in scans]
    assert batched == alone
    # And alone is the exact answer: the best rows by cosine, best first, within the scope.
    expected = np.argsort(-(alice.matrix @ scans[0].vector))[:10] + 100
    assert batched[0] == expected.tolist()
    assert {(i - 100) % 3 for i in batched[2]} == {1} and len(batched[2]) == 7
    assert batched[3] == []  # no path under q/


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("CommitMemo is for SQLite files (PostgreSQL reads the stamp every time)")


def test_stamp_is_memoised_until_any_commit(platform, sqlite_only, monkeypatch):
    with platform.sessions.begin() as session:
        user = create_user(session, "memo-user", "pw-123456789").id
        add_document(session, platform.ai.embedder, user, "a/one.txt", SHARED[:2])
    reads = []
    real_execute = sa.orm.Session.execute

    def counting(self, statement, *args, **kwargs):
        if "count(documents.id)" in str(statement):
            reads.append(1)
        return real_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(sa.orm.Session, "execute", counting)
    with platform.sessions() as session:
        first = index.user_stamp(session, user)
        assert index.user_stamp(session, user) == first
    assert len(reads) == 1, "the second read came from the memo"
    with platform.sessions.begin() as session:  # another connection commits a new document
        add_document(session, platform.ai.embedder, user, "a/two.txt", SHARED[2:])
    with platform.sessions() as session:
        after = index.user_stamp(session, user)
    assert len(reads) == 2 and after != first and after[0] == 2


def test_a_transaction_that_wrote_reads_its_own_rows_and_leaves_the_memo_alone(
    platform, sqlite_only
):
    with platform.sessions.begin() as session:
        user = create_user(session, "memo-writer", "pw-123456789").id
    with platform.sessions() as session:
        empty = index.user_stamp(session, user)
    assert empty[0] == 0
    with platform.sessions() as session:
        add_document(session, platform.ai.embedder, user, "b/draft.txt", SHARED[:1])
        assert index.user_stamp(session, user)[0] == 1  # its own uncommitted document
        session.rollback()
    with platform.sessions() as session:
        assert index.user_stamp(session, user) == empty  # the memo never saw the draft
        assert session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_memo_is_only_for_sqlite_files(platform, db_url):
    with platform.sessions() as session:
        memo = CommitMemo.for_session(session)
    assert (memo is not None) == db_url.startswith("sqlite")


def test_the_raw_sqlite_scope_selects_what_the_orm_scope_selects(platform, db_url):
    """Full-text search on SQLite applies the scope in raw SQL (`Scope.sqlite`); it must pick
    exactly the rows `Scope.where` picks: owner, literal path prefixes (wildcards escaped),
    chosen documents, and an empty choice meaning none."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the raw scope is SQLite's (PostgreSQL full text goes through SQLAlchemy)")
    embedder = platform.ai.embedder
    with platform.sessions.begin() as session:
        me = create_user(session, "raw-scope", "pw-123456789").id
        other = create_user(session, "raw-other", "pw-123456789").id
        docs = [
            add_document(session, embedder, me, path, SHARED[:3])
            for path in ("notes/100%_done.txt", "notes/100x_done.txt", "bio/cells.txt")
        ]
        add_document(session, embedder, other, "notes/100%_done.txt", SHARED[:3])
    scopes = [
        index.Scope(me),
        index.Scope(me, source_filter="notes/100%_"),
        index.Scope(me, source_filter="notes/"),
        index.Scope(me, document_ids=(docs[2],)),
        index.Scope(me, source_filter="notes/", document_ids=(docs[0], docs[2])),
        index.Scope(me, document_ids=()),
    ]
    with platform.sessions() as session:
        for scope in scopes:
            where, params = scope.sqlite("p")
            rows = sqlite_rows(session, f"SELECT p.id FROM passages p WHERE {where}", params)
            orm = session.scalars(scope.where(sa.select(Passage.id))).all()
            assert sorted(r[0] for r in rows) == sorted(orm), scope
            # Every passage matches one of these words, so full text returns the whole scope.
            found = index.fulltext(session, scope, "energy glucose valleys", 50)
            assert sorted(found) == sorted(orm), scope
    assert len(orm) == 0  # the empty choice
