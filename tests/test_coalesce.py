"""`Coalescer`: calls that arrive while a batch runs are served together, each its own result."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from studyforge.kit.coalesce import Coalescer


class Gate:
    """A batch function whose first batch waits until `release()`, recording every batch."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.go = threading.Event()

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.go.wait(10)
        return [i * 10 for i in items]


def queued(coalescer: Coalescer[int, int], n: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(coalescer._queue) < n:
        assert time.monotonic() < deadline, "callers never queued"
        time.sleep(0.002)


def test_a_lone_call_runs_at_once_in_a_batch_of_its_own():
    gate = Gate()
    gate.go.set()
    coalescer = Coalescer(gate)
    assert coalescer(3) == 30
    assert coalescer(4) == 40
    assert gate.batches == [[3], [4]]


def test_calls_arriving_while_a_batch_runs_are_served_together():
    gate = Gate()
    coalescer = Coalescer(gate, max_batch=16)
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(coalescer, 0)
        assert gate.entered.wait(10)
        rest = [pool.submit(coalescer, i) for i in range(1, 9)]
        queued(coalescer, 8)
        gate.go.set()
        assert first.result(10) == 0
        assert [f.result(10) for f in rest] == [i * 10 for i in range(1, 9)]
    assert gate.batches[0] == [0]
    assert sorted(gate.batches[1]) == list(range(1, 9))  # one batch for all eight
    assert len(gate.batches) == 2 and coalescer.batches == 2


def test_batches_are_at_most_max_batch():
    gate = Gate()
    coalescer = Coalescer(gate, max_batch=3)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(coalescer, 0)
        assert gate.entered.wait(10)
        rest = [pool.submit(coalescer, i) for i in range(1, 8)]
        queued(coalescer, 7)
        gate.go.set()
        assert [f.result(10) for f in [first, *rest]] == [i * 10 for i in range(8)]
    assert [len(b) for b in gate.batches] == [1, 3, 3, 1]


def test_a_failing_batch_fails_each_of_its_callers_and_the_next_batch_runs():
    calls: list[list[int]] = []
    entered, go = threading.Event(), threading.Event()

    def run(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if len(calls) == 1:
            entered.set()
            assert go.wait(10)
            return [1]
        if len(calls) == 2:
            raise ValueError("model unavailable")
        return list(items)

    coalescer = Coalescer(run)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(coalescer, 1)
        assert entered.wait(10)
        failing = [pool.submit(coalescer, i) for i in (2, 3)]
        queued(coalescer, 2)
        go.set()
        assert first.result(10) == 1
        for future in failing:
            with pytest.raises(ValueError, match="model unavailable"):
                future.result(10)
    assert coalescer(7) == 7  # not left busy


def test_a_batch_with_the_wrong_number_of_results_is_an_error():
    coalescer: Coalescer[int, int] = Coalescer(lambda items: [])
    with pytest.raises(RuntimeError, match="a batch of 1 gave 0 results"):
        coalescer(1)
