"""How many passages contain a word, so searches can leave out words most passages contain.

Ranking every passage that holds a very common word costs more than everything else in a
search (a word in half of 100k passages means 50k rows to rank), and BM25 gives such words
almost no weight anyway. Counts are index-wide, cached per process for a minute.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

COMMON_SHARE = 0.05  # a word in more passages than this share is left out (if others remain)
SMALL_INDEX = 2000  # below this many passages every word is cheap: keep them all
TTL_SECONDS = 60.0


class TermStats:
    """Cached document frequencies of words and the passage count of one database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}

    def selective(self, session: Session, terms: list[str]) -> tuple[list[str], bool]:
        """The terms without the very common ones (the rarest is kept if all are common),
        and whether what is left is still common (then only a sample of matches is ranked)."""
        total = self._cached(session, "", _total)
        if total < SMALL_INDEX:
            return terms, False
        cap = int(COMMON_SHARE * total)
        freq = {
            t: self._cached(session, t, lambda s, term: _frequency(s, term, cap + 1)) for t in terms
        }
        keep = [t for t in terms if freq[t] <= cap]
        if keep:
            return keep, False
        return [min(terms, key=freq.__getitem__)], True

    def _cached(self, session: Session, key: str, count: Callable[[Session, str], int]) -> int:
        now = time.monotonic()
        with self._lock:
            hit = self._counts.get(key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return hit[1]
        value = count(session, key)
        with self._lock:
            self._counts[key] = (now, value)
        return value


def _total(session: Session, _: str) -> int:
    return int(session.scalar(sa.text("SELECT count(*) FROM passages")) or 0)


def _frequency(session: Session, term: str, cap: int) -> int:
    """Passages containing `term`, counting no further than `cap` (enough to call it common)."""
    if session.get_bind().dialect.name == "sqlite":
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM passages_fts WHERE passages_fts MATCH :q "
            "LIMIT :cap)"
        )
        return int(session.scalar(sa.text(sql), {"q": f'"{term}"', "cap": cap}) or 0)
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM passages "
        "WHERE tsv @@ plainto_tsquery('english', :q) LIMIT :cap) AS hits"
    )
    return int(session.scalar(sa.text(sql), {"q": term, "cap": cap}) or 0)


_STATS: weakref.WeakKeyDictionary[Engine, TermStats] = weakref.WeakKeyDictionary()
_STATS_LOCK = threading.Lock()


def term_stats(session: Session) -> TermStats:
    """The statistics of the session's database (one per engine)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _STATS_LOCK:
        return _STATS.setdefault(engine, TermStats())
