"""Coalescing: calls that arrive while an earlier one runs are served together, in one batch.

Under load many searches embed a query and scan the same vectors at the same moment. Each run
of a model or a matrix product has a fixed cost (an ONNX run, reading a 15 MB matrix from
memory) that one batch of eight pays once. A `Coalescer` adds no wait: a call that finds
nothing running runs at once, alone; calls that arrive meanwhile queue, and the first of them
to find the runner free runs the whole queue (up to `max_batch`) as one batch and hands every
caller its own result. So a lone request is as fast as before, and a crowd gets batches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.result: R | None = None
        self.error: BaseException | None = None
        self.done = False


class Coalescer(Generic[T, R]):
    """`coalescer(item)` returns `run([item, ...])[i]` for its own item, batched with others.

    `run` must return one result per item, in order; if it raises, every caller in that batch
    gets the exception. One batch runs at a time per coalescer.
    """

    def __init__(self, run: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 16) -> None:
        self._run = run
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Slot[T, R]] = []
        self._busy = False
        self.batches = 0  # batches run so far (for tests and benchmarks)

    def __call__(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._cond:
            self._queue.append(slot)
            while not slot.done:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy = True
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                self._cond.release()
                try:
                    self._serve(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _serve(self, batch: list[_Slot[T, R]]) -> None:
        self.batches += 1
        try:
            results = self._run([s.item for s in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
        except BaseException as exc:  # handed to every caller of the batch
            for s in batch:
                s.error, s.done = exc, True
            return
        for s, result in zip(batch, results, strict=True):
            s.result, s.done = result, True
