"""Search under concurrency: many threads, many users, caches that never leak or go stale.

Everything is real: the database of the run (SQLite and PostgreSQL), the offline MiniLM
embedder, the service's `search`. Speed is measured by `python -m bench search_load`, not here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.auth.service import create_user
from studyforge.documents import index, service, terms, vectors
from studyforge.documents.chunking import Chunk
from studyforge.documents.models import Document
from studyforge.documents.schemas import SearchRequest

SHARED = [
    "Glaciers carve U-shaped valleys as they flow slowly downhill.",
    "Photosynthesis stores light energy from the sun in glucose.",
    "Enzymes lower the activation energy of chemical reactions.",
    "A river delta forms where sediment settles at the river mouth.",
]
QUERIES = ["glaciers carve valleys", "energy of reactions", "river sediment", "sunlight glucose"]
USERS = 6
THREADS = 16
SEARCHES_PER_THREAD = 12


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed (concurrent queries are
    embedded in one batch, so texts, not calls)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.calls = 0
        self._lock = threading.Lock()

    def embed_batch(self, texts: Any) -> np.ndarray:
        with self._lock:
            self.calls += len(texts)
        return self.inner.embed_batch(texts)


def add_document(
    session: Session, embedder: Any, user_id: uuid.UUID, path: str, texts: list[str]
) -> uuid.UUID:
    """A completed document with one passage per text, embedded for real."""
    doc = Document(
        user_id=user_id, filename=path.rsplit("/", 1)[-1], path=path, media_type="text/plain",
        size_bytes=1, sha256=uuid.uuid4().hex * 2, s3_key=f"k/{uuid.uuid4()}",
    )  # fmt: skip
    session.add(doc)
    session.flush()
    chunks, offset = [], 0
    for text in texts:
        chunks.append(Chunk(text, 1, None, offset, offset + len(text)))
        offset += len(text) + 2
    index.store(session, doc.id, user_id, path, chunks, embedder.embed_batch(texts))
    return doc.id


@pytest.fixture
def users(platform: Any) -> dict[uuid.UUID, set[uuid.UUID]]:
    """USERS users, each with two documents of the same shared texts: every query matches
    every user's passages, so only the scoping keeps them apart."""
    embedder = platform.ai.embedder
    owned: dict[uuid.UUID, set[uuid.UUID]] = {}
    with platform.sessions.begin() as session:
        for n in range(USERS):
            user = create_user(session, f"s{n}{uuid.uuid4().hex[:6]}", "pw-123456789").id
            owned[user] = {
                add_document(session, embedder, user, f"u{n}/a.txt", SHARED),
                add_document(session, embedder, user, f"u{n}/b.txt", SHARED[::-1]),
            }
    return owned


def search(platform: Any, embedder: Any, user: uuid.UUID, query: str, **scope: Any) -> list[Any]:
    with platform.sessions() as session:
        return service.search(session, embedder, user, SearchRequest(query=query, k=8, **scope))


def keyed(hits: list[Any]) -> list[tuple[uuid.UUID, int, str]]:
    return [(h.document_id, h.start, h.text) for h in hits]


def in_threads(jobs: list[Callable[[], Any]], threads: int = THREADS) -> list[Any]:
    """Run the jobs on `threads` threads released together; re-raises the first failure."""
    parties = min(threads, len(jobs))
    start = threading.Barrier(parties)

    def run(numbered: tuple[int, Callable[[], Any]]) -> Any:
        if numbered[0] < parties:  # the first wave starts together
            start.wait(timeout=30)
        return numbered[1]()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, enumerate(jobs), timeout=120))


def test_concurrent_users_get_only_their_own_passages(platform, users):
    people = list(users)
    # The answers one at a time: what every thread must get.
    alone = platform.ai.embedder
    expected = {(u, q): keyed(search(platform, alone, u, q)) for u in people for q in QUERIES}
    assert all(expected.values())
    for (user, _), hits in expected.items():
        assert {d for d, _, _ in hits} <= users[user]
    # Another embedder instance: no cached answer or query vector of the runs above applies,
    # so the threads embed, rank and cache side by side.
    embedder = CountingEmbedder(platform.ai.embedder)
    jobs = []
    for t in range(THREADS):
        for i in range(SEARCHES_PER_THREAD):
            user, query = people[(t + i) % USERS], QUERIES[(t * 7 + i) % len(QUERIES)]
            jobs.append(lambda u=user, q=query: (u, q, search(platform, embedder, u, q)))
    for user, query, hits in in_threads(jobs):
        assert {h.document_id for h in hits} <= users[user], "another user's passage"
        assert keyed(hits) == expected[(user, query)]
    assert embedder.calls >= len(QUERIES)


def test_concurrent_cold_searches_load_a_users_vectors_once(platform, users, monkeypatch):
    loads: list[uuid.UUID] = []
    real_load = vectors._load

    def counting_load(session, user_id, dim, stamp):
        loads.append(user_id)
        return real_load(session, user_id, dim, stamp)

    monkeypatch.setattr(vectors, "_load", counting_load)
    user = next(iter(users))
    query = index.embed_query(platform.ai.embedder, QUERIES[0])

    def nearest() -> list[int]:
        with platform.sessions() as session:
            return vectors.matrices(session).nearest(session, index.Scope(user), query, 5)

    found = in_threads([nearest] * THREADS)
    assert loads == [user]  # one load; the other threads waited for it
    assert all(ids == found[0] for ids in found) and len(found[0]) == 5


def test_repeated_query_is_answered_from_the_cache(platform, users):
    embedder = CountingEmbedder(platform.ai.embedder)
    user = next(iter(users))
    first = search(platform, embedder, user, QUERIES[1])
    again = in_threads([lambda: search(platform, embedder, user, QUERIES[1])] * 8)
    assert embedder.calls == 1
    assert all(keyed(hits) == keyed(first) for hits in again)
    again[0][0].text = "mutated by a caller"  # a caller's copy, never the cached answer
    assert keyed(search(platform, embedder, user, QUERIES[1])) == keyed(first)
    # The scope is part of the key: a path filter is a different question.
    scoped = search(platform, embedder, user, QUERIES[1], source_filter="nowhere/")
    assert scoped == [] and embedder.calls == 1  # (the query vector itself is cached)


def test_cache_never_answers_for_another_user(platform, users):
    embedder = CountingEmbedder(platform.ai.embedder)
    alice, bob = list(users)[:2]
    with platform.sessions.begin() as session:  # the same data version for both users
        same = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        session.execute(
            sa.update(Document).where(Document.user_id.in_([alice, bob])).values(updated_at=same)
        )
        assert index.user_stamp(session, alice) == index.user_stamp(session, bob)
    for_alice = search(platform, embedder, alice, QUERIES[0])
    for_bob = search(platform, embedder, bob, QUERIES[0])
    assert {h.document_id for h in for_alice} <= users[alice]
    assert {h.document_id for h in for_bob} <= users[bob]
    assert [h.text for h in for_alice] == [h.text for h in for_bob]  # same texts, own copies


def test_upload_and_delete_invalidate_cached_answers(platform, users):
    embedder = platform.ai.embedder
    user, other = list(users)[:2]
    query = "moraine deposits left by retreating glaciers"
    before = search(platform, embedder, user, query)
    assert search(platform, embedder, user, query) == before  # now cached
    other_before = search(platform, embedder, other, query)
    with platform.sessions.begin() as session:
        new_doc = add_document(
            session, embedder, user, "new/moraine.txt",
            ["A moraine is the rock and soil deposits left behind by retreating glaciers."],
        )  # fmt: skip
    after_upload = search(platform, embedder, user, query)
    assert after_upload[0].document_id == new_doc  # not the cached answer from before
    assert search(platform, embedder, other, query) == other_before  # others unaffected
    with platform.sessions.begin() as session:
        doc = session.get(Document, new_doc)
        assert doc is not None
        service.delete_document(session, platform.blobs, doc)
    after_delete = search(platform, embedder, user, query)
    assert new_doc not in {h.document_id for h in after_delete}
    assert keyed(after_delete) == keyed(before)


def test_searches_during_uploads_and_deletes_never_go_stale(platform, users):
    embedder = platform.ai.embedder
    user = next(iter(users))
    query = "volcanic basalt columns"
    text = "Basalt columns form when a thick volcanic lava flow cools and cracks."
    stop = threading.Event()
    created: list[uuid.UUID] = []
    seen: list[set[uuid.UUID]] = []

    def writer() -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        kept, deleted = [], []
        try:
            for n in range(6):
                with platform.sessions.begin() as session:
                    kept.append(add_document(session, embedder, user, f"w/{n}.txt", [text]))
                created.append(kept[-1])
                if n % 2:
                    with platform.sessions.begin() as session:
                        doc = session.get(Document, kept[0])
                        assert doc is not None
                        service.delete_document(session, platform.blobs, doc)
                    deleted.append(kept.pop(0))
        finally:
            stop.set()
        return kept, deleted

    def reader() -> None:
        for _ in range(200):  # bounded, whatever the writer does
            if stop.is_set():
                break
            seen.append({h.document_id for h in search(platform, embedder, user, query)})

    with ThreadPoolExecutor(5) as pool:
        readers = [pool.submit(reader) for _ in range(4)]
        kept, deleted = pool.submit(writer).result(timeout=120)
        for r in readers:
            r.result(timeout=120)
    assert seen and all(found <= users[user] | set(created) for found in seen)
    final = {h.document_id for h in search(platform, embedder, user, query)}
    assert set(kept) <= final  # every surviving upload is found...
    assert not final & set(deleted)  # ...and no deleted one is


def test_stems_agree_across_threads(monkeypatch):
    monkeypatch.setattr(terms, "_STEMS", {})  # every thread stems afresh
    words = ["connecting", "connection", "psychology", "running", "sorts", "universal", "3"]
    results = in_threads([lambda: terms._fts5_stems(words)] * THREADS)
    expected = {
        "connecting": "connect", "connection": "connect", "psychology": "psycholog",
        "running": "run", "sorts": "sort", "universal": "univers", "3": "3",
    }  # fmt: skip
    assert all(r == expected for r in results)
