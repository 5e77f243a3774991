"""A daemon thread that calls a function every `interval` seconds until stopped.

A failure is logged as a warning and tried again at the next round (the database or the
blob store may be restarting); the thread never dies of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """`fn()` every `interval` seconds, the first call one interval after `start()`."""

    def __init__(self, name: str, interval: float, fn: Callable[[], object]) -> None:
        self.name, self.interval, self.fn = name, interval, fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Start the rounds."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.fn()
            except Exception as exc:  # try again next round
                log.warning("%s failed: %r", self.name, exc)
