"""How many passages hold a word, so a search ranks a bounded number of full-text matches.

Ranking costs per matching passage (about 1 µs in FTS5, 3 µs with ts_rank), and a word in half
of 100k passages means 50k rows to rank, while BM25 gives such a word little weight anyway. So
a search keeps its rarest words, as many as fit together in RANK_BUDGET matches (at least the
rarest one); vectors still see the whole query. When even the rarest word has more matches,
only a sample of RANK_BUDGET of them is ranked.

The counts are index-wide and cheap to read: SQLite's FTS5 vocabulary table (one lookup per
word, stemmed by FTS5's own tokenizer), PostgreSQL's statistics of the tsvector column
(`pg_stats.most_common_elems`, kept by ANALYZE, with PostgreSQL's own estimate for a word not
listed there). Both are cached per process for a minute.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.db import PerEngine, sqlite_rows

RANK_BUDGET = 2000  # full-text matches ranked per search, at most
TTL_SECONDS = 60.0
MAX_WORDS = 50_000  # words whose counts or stems are remembered, at most
PG_UNLISTED_SHARE = 0.005  # PostgreSQL's DEFAULT_TS_MATCH_SEL: the most it assumes for a rare word


class TermStats:
    """Cached counts of passages containing a word, for one database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}
        self._stems: dict[str, str] = {}

    def selective(self, session: Session, terms: list[str]) -> tuple[list[str], bool]:
        """The rarest terms whose matches fit in RANK_BUDGET together (at least the rarest),
        and whether even the rarest has more matches (then a sample of them is ranked)."""
        total = self._cached("", lambda: _total(session))
        if total <= RANK_BUDGET:
            return terms, False
        if session.get_bind().dialect.name == "sqlite":
            count = self._fts5_counts(session, terms)
        else:
            listed, unlisted = self._cached("\0pg", lambda: _pg_common(session))
            stems = self._pg_stems(session, terms)
            count = {t: total * listed.get(stems[t], unlisted) for t in terms}
        keep: list[str] = []
        used = 0.0
        for term in sorted(terms, key=count.__getitem__):
            if keep and used + count[term] > RANK_BUDGET:
                break
            keep.append(term)
            used += count[term]
        return keep, count[keep[0]] > RANK_BUDGET

    def forget(self) -> None:
        """Drop the cached counts (they would otherwise lag a bulk load by up to a minute)."""
        with self._lock:
            self._cache.clear()

    def _fts5_counts(self, session: Session, terms: list[str]) -> dict[str, int]:
        """Each term's passage count: the cached ones, the rest in one vocabulary query."""
        now = time.monotonic()
        counts: dict[str, int] = {}
        with self._lock:
            for term in terms:
                hit = self._cache.get(term)
                if hit is not None and now - hit[0] < TTL_SECONDS:
                    counts[term] = hit[1]
        missing = [t for t in terms if t not in counts]
        if missing:
            found = _fts5_counts(session, missing)
            with self._lock:
                if len(self._cache) + len(found) > MAX_WORDS:
                    self._cache.clear()
                self._cache.update((t, (now, n)) for t, n in found.items())
            counts.update(found)
        return counts

    def _pg_stems(self, session: Session, terms: list[str]) -> dict[str, str]:
        """Each term as the tsvector column holds it, stemmed by PostgreSQL itself (Python's
        Snowball differs from it on some words: universal)."""
        missing = [t for t in terms if t not in self._stems]
        if missing:
            sql = "SELECT w, (ts_lexize('english_stem', w))[1] FROM unnest(CAST(:ws AS text[])) w"
            rows = session.execute(sa.text(sql), {"ws": missing}).all()
            if len(self._stems) > MAX_WORDS:
                self._stems.clear()
            self._stems.update({word: stem or word for word, stem in rows})
        return {t: self._stems.get(t, t) for t in terms}

    def _cached(self, key: str, compute: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._cache) >= MAX_WORDS:
                self._cache.clear()
            self._cache[key] = (now, value)
        return value


def _total(session: Session) -> int:
    """How many passages there are; on PostgreSQL the planner's estimate (a count would read
    the whole table) unless the table was never analyzed."""
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT reltuples FROM pg_class WHERE oid = 'passages'::regclass"
        estimate = session.scalar(sa.text(sql))
        if estimate is not None and estimate >= 0:
            return int(estimate)
    return int(session.scalar(sa.text("SELECT count(*) FROM passages")) or 0)


def _fts5_counts(session: Session, terms: list[str]) -> dict[str, int]:
    """Passages containing each term, from the vocabulary of FTS5's index (one query)."""
    stems = _fts5_stems(terms)
    wanted = sorted(set(stems.values()))
    sql = f"SELECT term, doc FROM passages_fts_vocab WHERE term IN ({', '.join('?' * len(wanted))})"
    docs: dict[str, int] = {str(term): int(doc) for term, doc in sqlite_rows(session, sql, wanted)}
    return {t: int(docs.get(stems[t], 0)) for t in terms}


def _pg_common(session: Session) -> tuple[dict[str, float], float]:
    """The most common lexemes of `passages.tsv` with the share of rows holding each, and the
    share PostgreSQL's planner assumes for a lexeme not in that list."""
    row = session.execute(
        sa.text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'passages' AND attname = 'tsv'"
        )
    ).first()
    if row is None or row[0] is None:
        return {}, PG_UNLISTED_SHARE
    elems, freqs = row[0], row[1]
    # After one frequency per element come the minimum and maximum frequency, then nulls'.
    lowest = freqs[len(elems)] if len(freqs) > len(elems) else min(freqs, default=0.0)
    return dict(zip(elems, freqs, strict=False)), min(PG_UNLISTED_SHARE, lowest / 2)


_STEMMERS = threading.local()
_STEMS: dict[str, str] = {}  # word -> stem; a plain dict: its reads and writes are atomic


def _fts5_stemmer() -> sqlite3.Connection:
    """This thread's in-memory FTS5 table with the passages index's tokenizer (one per thread:
    a shared one behind a lock made concurrent searches queue for it, each holder waiting for
    the GIL between its statements)."""
    conn: sqlite3.Connection | None = getattr(_STEMMERS, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE VIRTUAL TABLE words USING fts5(w, tokenize='porter unicode61')")
        conn.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")
        _STEMMERS.conn = conn
    return conn


def _fts5_stems(words: list[str]) -> dict[str, str]:
    """Each word as FTS5's porter tokenizer indexes it (other Porter stemmers differ:
    psychology); `words` are lower-case runs of letters and digits, as `query_terms` makes."""
    missing = [w for w in dict.fromkeys(words) if w not in _STEMS]
    new: dict[str, str] = {}
    if missing:
        conn = _fts5_stemmer()
        # One row holding every word: the i-th token of the row is the i-th word.
        conn.execute("INSERT INTO words (rowid, w) VALUES (1, ?)", (" ".join(missing),))
        by_offset = dict(conn.execute("SELECT offset, term FROM stems").fetchall())
        conn.execute("DELETE FROM words")
        if len(_STEMS) + len(missing) > MAX_WORDS:
            _STEMS.clear()
        new = {word: str(by_offset.get(i, word)) for i, word in enumerate(missing)}
        _STEMS.update(new)
    return {w: new[w] if w in new else _STEMS.get(w, w) for w in words}


def _fts5_stem(word: str) -> str:
    """`word` as FTS5's porter tokenizer indexes it."""
    return _fts5_stems([word])[word]


_STATS = PerEngine(lambda session: TermStats())


def term_stats(session: Session) -> TermStats:
    """The statistics of the session's database (one per engine)."""
    return _STATS.get(session)
