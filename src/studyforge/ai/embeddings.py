"""The embeddings capability: texts -> L2-normalised float32 vectors."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

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
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._vectors: weakref.WeakKeyDictionary[object, OrderedDict[str, Vectors]] = (
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
        except TypeError:  # an embedder that cannot be weakly referenced: no cache
            return embedder.embed_batch([text])[0]
        vector = embedder.embed_batch([text])[0].copy()  # not a view of a larger batch
        vector.setflags(write=False)  # shared between requests
        with self._lock:
            cached[text] = vector
            cached.move_to_end(text)
            while len(cached) > self.max_entries:
                cached.popitem(last=False)
        return vector


QUERY_VECTORS = QueryVectors()


def embed_query(embedder: Embedder, text: str) -> Vectors:
    """The embedding of one search query, from the process-wide LRU when asked before."""
    return QUERY_VECTORS.get(embedder, text)
