"""The embeddings capability: texts -> L2-normalised float32 vectors."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from studyforge.kit.coalesce import Coalescer

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `name` identifies the model (stored with vectors)."""

    name: str
    dim: int

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """One row per text, shape (len(texts), dim), each row L2-normalised."""
        ...


def normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    """L2-normalise rows (zero rows stay zero)."""
    arr = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.divide(arr, norms, out=np.zeros_like(arr), where=norms > 0)


class QueryVectors:
    """A bounded, thread-safe LRU of query embeddings, one per embedder instance.

    Search embeds the same few queries again and again (a class asking about one topic, a
    course pipeline retrieving per lesson); a vector depends only on the model and the text.
    Misses that arrive together are embedded together (`Coalescer`): 16 concurrent searches
    cost about half the CPU of 16 single-text runs.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._vectors: weakref.WeakKeyDictionary[object, OrderedDict[str, Vectors]] = (
            weakref.WeakKeyDictionary()
        )
        self._batchers: weakref.WeakKeyDictionary[object, Coalescer[str, Vectors]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, embedder: Embedder, text: str) -> Vectors:
        """The (read-only) vector of `text`, embedded on a miss."""
        try:
            with self._lock:
                cached = self._vectors.setdefault(embedder, OrderedDict())
                vector = cached.get(text)
                if vector is not None:
                    cached.move_to_end(text)
                    return vector
                batcher = self._batchers.get(embedder)
                if batcher is None:
                    batcher = self._batchers[embedder] = Coalescer(_embedding(embedder), 16)
        except TypeError:  # an embedder that cannot be weakly referenced: no cache
            return embedder.embed_batch([text])[0]
        vector = batcher(text)
        with self._lock:
            cached[text] = vector
            cached.move_to_end(text)
            while len(cached) > self.max_entries:
                cached.popitem(last=False)
        return vector


def _embedding(embedder: Embedder) -> Callable[[Sequence[str]], list[Vectors]]:
    """Embed a batch of queries into separate read-only vectors (shared between requests);
    holds the embedder weakly, so the cache entry keyed by it can go."""
    ref = weakref.ref(embedder)

    def run(texts: Sequence[str]) -> list[Vectors]:
        model = ref()
        if model is None:
            raise RuntimeError("the embedder was closed")
        unique = list(dict.fromkeys(texts))  # two users asking the same thing at once
        rows = model.embed_batch(unique)
        vectors = {text: row.copy() for text, row in zip(unique, rows, strict=True)}
        for vector in vectors.values():  # copies, not views of the batch; shared, so frozen
            vector.setflags(write=False)
        return [vectors[text] for text in texts]

    return run


QUERY_VECTORS = QueryVectors()


def embed_query(embedder: Embedder, text: str) -> Vectors:
    """The embedding of one search query, from the process-wide LRU when asked before."""
    return QUERY_VECTORS.get(embedder, text)
