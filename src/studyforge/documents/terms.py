"""How common a word is among passages, so searches can leave out the most common words.

Ranking every passage that holds a very common word costs more than everything else in a
search (a word in half of 100k passages means 50k rows to rank), and BM25 gives such words
little weight anyway. The shares are index-wide and cheap to read: SQLite's FTS5 vocabulary
table (one lookup per stemmed word), PostgreSQL's statistics of the tsvector column
(`pg_stats.most_common_elems`, kept by ANALYZE). Both are cached per process for a minute.
"""

from __future__ import annotations

import threading
import time
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.db import PerEngine

COMMON_SHARE = 0.02  # a word in more passages than this share is left out (if others remain)
SMALL_INDEX = 2000  # below this many passages every word is cheap: keep them all
TTL_SECONDS = 60.0


class TermStats:
    """Cached shares of passages containing a word, for one database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}

    def selective(self, session: Session, terms: list[str]) -> tuple[list[str], bool]:
        """The terms without the very common ones (the rarest is kept if all are common),
        and whether what is left is still common (then only a sample of matches is ranked)."""
        total = self._cached("", lambda: _total(session))
        if total < SMALL_INDEX:
            return terms, False
        if session.get_bind().dialect.name == "sqlite":
            share = {t: self._cached(t, lambda t=t: _fts5_count(session, t)) / total for t in terms}
        else:
            common = self._cached("\0pg", lambda: _pg_common(session))
            share = {t: common.get(_stem("english", t), 0.0) for t in terms}
        keep = [t for t in terms if share[t] <= COMMON_SHARE]
        if keep:
            return keep, False
        return [min(terms, key=share.__getitem__)], True

    def _cached(self, key: str, compute: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return hit[1]
        value = compute()
        with self._lock:
            self._cache[key] = (now, value)
        return value


def _total(session: Session) -> int:
    return int(session.scalar(sa.text("SELECT count(*) FROM passages")) or 0)


def _fts5_count(session: Session, term: str) -> int:
    """Passages containing `term`: the Porter stemmer here is the one of FTS5's tokenizer."""
    sql = "SELECT doc FROM passages_fts_vocab WHERE term = :stem"
    return int(session.scalar(sa.text(sql), {"stem": _stem("porter", term)}) or 0)


def _pg_common(session: Session) -> dict[str, float]:
    """The most common lexemes of `passages.tsv` and the share of rows holding each."""
    row = session.execute(
        sa.text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'passages' AND attname = 'tsv'"
        )
    ).first()
    if row is None or row[0] is None:
        return {}
    return dict(zip(row[0], row[1], strict=False))


@cache
def _stemmer(language: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(language)


def _stem(language: str, word: str) -> str:
    """`porter` (SQLite FTS5's tokenizer) or `english` (PostgreSQL's english_stem)."""
    return str(_stemmer(language).stemWord(word))


_STATS = PerEngine(lambda session: TermStats())


def term_stats(session: Session) -> TermStats:
    """The statistics of the session's database (one per engine)."""
    return _STATS.get(session)
