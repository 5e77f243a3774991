"""Relay: publish pending outbox rows to every configured broker, at least once, in order.

A row is marked published only after every publisher confirmed it. While a broker is down the
rows stay pending and the relay retries with backoff, so nothing is lost; consumers
de-duplicate by `event_id`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from studyforge.db import utcnow
from studyforge.events.models import OutboxEvent
from studyforge.events.service import envelope

log = logging.getLogger(__name__)
BATCH = 200


class Publisher(Protocol):
    """A broker edge that publishes event envelopes and confirms delivery (or raises)."""

    name: str

    def publish(self, events: Sequence[dict[str, object]]) -> None: ...

    def close(self) -> None: ...


def relay_once(sessions: sessionmaker[Session], publishers: Sequence[Publisher]) -> int:
    """Publish one batch of pending events; returns how many were published."""
    with sessions() as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.seq)
            .limit(BATCH)
        )
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.scalars(stmt))
        if not rows:
            return 0
        messages = [envelope(row) for row in rows]
        try:
            for publisher in publishers:
                publisher.publish(messages)
        except Exception:
            session.rollback()
            with sessions.begin() as s2:
                s2.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.seq.in_([r.seq for r in rows]))
                    .values(publish_attempts=OutboxEvent.publish_attempts + 1)
                )
            raise
        now = utcnow()
        for row in rows:
            row.published_at = now
        session.commit()
        return len(rows)


class Relay:
    """Background thread running `relay_once` until stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        publishers: Sequence[Publisher],
        poll_seconds: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.publishers = list(publishers)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        """Start the relay thread (no-op without publishers)."""
        if not self.publishers or self._thread:
            return
        self._thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Ask the relay to look for new events now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread and close the publishers."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        for publisher in self.publishers:
            try:
                publisher.close()
            except Exception as exc:  # closing a dead connection must not block shutdown
                log.debug("closing %s failed: %r", publisher.name, exc)

    def _loop(self) -> None:
        backoff = self.poll_seconds
        while not self._stop.is_set():
            try:
                sent = relay_once(self.sessions, self.publishers)
                self.last_error, backoff = None, self.poll_seconds
                if sent:
                    continue
            except Exception as exc:
                self.last_error = repr(exc)
                log.warning("outbox relay failed, retrying in %.1fs: %r", backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
