"""all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings: 384 dimensions, mean-pooled, unit length."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np

from studyforge.ai.embeddings import Vectors, normalise
from studyforge.ai.offline.models import model_path

# all-MiniLM-L6-v2 was trained on sequences of at most 128 word pieces; longer inputs cost
# quadratically more and add little (full-text search still sees the whole passage).
MAX_TOKENS = 128
BATCH = 4  # small batches are faster on CPU here (cache-friendly): 81 vs 62 passages/s at 64


@cache
def _load_model(threads: int) -> tuple[Any, Any]:
    """Tokenizer and ONNX session, loaded once per process (they are read-only)."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path("minilm.tokenizer")))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep rather than spin: spinning ones slow the NumPy and database work
    # that follows on the same cores (a search's vector scan took 7.8 ms instead of 4.5).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        str(model_path("minilm.onnx")), options, providers=["CPUExecutionProvider"]
    )
    return tokenizer, session


class MiniLMEmbedder:
    """The offline default embedder; the ONNX session is created on first use."""

    name = "minilm-l6-v2-int8"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._query: Any = None  # one run using every thread: the lowest latency (a query)
        self._bulk: Any = None  # one thread per run, runs side by side: the most passages/s
        self._running = 0  # single-batch runs in flight
        self._running_lock = threading.Lock()

    def _load(self) -> None:
        if self._bulk is not None:  # loaded: no lock on the hot path
            return
        with self._lock:
            if self._bulk is None:
                self._tokenizer, self._query = _load_model(self._threads)
                self._bulk = _load_model(1)[1] if self._threads > 1 else self._query

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """Embed texts in length-sorted batches (less padding), returned in input order.

        Many batches run on single-threaded sessions in parallel (about 10% more passages/s
        than one session's intra-op threads on batches this small); one batch uses them all
        unless another is running. ONNX Runtime runs concurrent `run` calls on one session
        and releases the GIL while it computes, so concurrent searches embed side by side.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[start : start + BATCH] for start in range(0, len(order), BATCH)]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)

        def embed(session: Any, idx: list[int]) -> Vectors:
            return self._embed(session, [texts[i] or " " for i in idx])

        if len(batches) == 1:
            out[batches[0]] = self._one_batch([texts[i] or " " for i in batches[0]])
            return out
        with ThreadPoolExecutor(self._threads) as pool:
            done = pool.map(lambda idx: embed(self._bulk, idx), batches)
            for idx, vectors in zip(batches, done, strict=True):
                out[idx] = vectors
        return out

    def _one_batch(self, texts: list[str]) -> Vectors:
        """A lone text (a query) gets every intra-op thread: the lowest latency. A batch of
        several (searches arriving together) or a run beside another takes one thread: under
        load the CPU per text counts, and one thread spends less of it (3.1 against 3.6 ms a
        query in batches of four), leaving the other core to the rest of the searches."""
        with self._running_lock:
            alone = self._running == 0 and len(texts) == 1
            session = self._query if alone else self._bulk
            self._running += 1
        try:
            return self._embed(session, texts)
        finally:
            with self._running_lock:
                self._running -= 1

    def _embed(self, session: Any, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)
