"""Evidence for an answer: the passages in scope that match the question, their sentences
scored against it, and whether the material holds the answer at all.

Retrieval is the documents' hybrid search (`documents.service.retrieve`, full text + vectors
fused by reciprocal rank). A fused rank says which passages match best, not whether any of
them answers, so coverage is decided on the best sentence: its cosine similarity to the
question (MiniLM) and how many of the question's key terms the top passages hold. The
thresholds were measured on Python's tutorial chapter "Errors and Exceptions" against
questions it does and does not answer (see tests/chat/test_grounding.py): the best sentence
of 12 answerable questions scored 0.49-0.86, of 8 unanswerable ones (Python's garbage
collector and decorators among them) 0.09-0.35.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.ai.embeddings import Embedder, Vectors, embed_query
from studyforge.ai.offline.terms import code_like
from studyforge.ai.offline.text import split_sentences, words
from studyforge.chat.followup import key_terms
from studyforge.documents import index
from studyforge.documents.models import Passage
from studyforge.documents.service import retrieve

PASSAGES = 6  # passages retrieved per question
MAX_QUERY_CHARS = 1000  # a search query longer than this says nothing more
# Coverage (measured, see the module docstring): the best sentence must be this similar to
# the question, and the top passages must hold this share of its key terms; or the sentence
# must be very similar on its own (a paraphrase that shares no word).
MIN_SIMILARITY = 0.40
MIN_TERM_SHARE = 0.5
SURE_SIMILARITY = 0.62


@dataclass
class Source:
    """A passage an answer may cite: a stored one, or the request's `relevant_text`."""

    passage_id: int | None
    document_id: str | None
    filename: str | None
    page: int | None
    heading: str | None
    kind: str
    text: str
    start: int  # where `text` starts in its document's extracted text (0 for relevant_text)
    score: float = 0.0  # the search's fused rank score
    similarity: float = 0.0  # cosine with the question

    @property
    def stored(self) -> bool:
        """Whether this is a stored passage (not text sent with the request)."""
        return self.passage_id is not None


@dataclass
class Candidate:
    """A sentence of a source that may answer, with its span in the source's text."""

    source: int
    text: str
    start: int
    end: int
    similarity: float
    overlap: float

    @property
    def score(self) -> float:
        """How well the sentence answers: meaning first, the question's own words second."""
        return self.similarity + 0.25 * self.overlap


@dataclass
class Evidence:
    """What the material offers for one question."""

    query: str
    sources: list[Source]
    candidates: list[Candidate]
    term_share: float  # of the question's key terms, the share the top passages hold
    covered: bool
    missing: list[str] = field(default_factory=list)  # key terms the material lacks

    @property
    def best(self) -> Candidate | None:
        """The sentence that answers best, if any."""
        return max(self.candidates, key=lambda c: c.score, default=None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for the cache)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """The inverse of `as_dict`."""
        sources = [Source(**s) for s in data["sources"]]
        candidates = [Candidate(**c) for c in data["candidates"]]
        return cls(**{**data, "sources": sources, "candidates": candidates})


def stem(word: str) -> str:
    """A crude suffix strip so "raises", "raised" and "raising" meet (not a full stemmer)."""
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def stems(text: str) -> set[str]:
    """The stems of a text's words."""
    return {stem(w) for w in words(text)}


def gather(
    session: Session,
    embedder: Embedder,
    scope: index.Scope,
    query: str,
    relevant_text: str | None = None,
    context_document: uuid.UUID | None = None,
) -> Evidence:
    """Retrieve, score and judge the evidence for `query` within `scope`."""
    query = query[:MAX_QUERY_CHARS]
    vector = embed_query(embedder, query)
    sources = stored_sources(session, embedder, scope, query, vector)
    if relevant_text:
        extra = Source(None, str(context_document) if context_document else None, None, None,
                       None, "prose", relevant_text, 0)  # fmt: skip
        extra.similarity = _cosine(vector, embed_texts(embedder, [relevant_text[:2000]])[0])
        sources.append(extra)
    terms = key_terms(query)
    candidates = score_sentences(embedder, vector, terms, sources)
    held = set().union(*(stems(s.text) for s in sources)) if sources else set()
    missing = [t for t in terms if stem(t) not in held]
    share = 1.0 - len(missing) / len(terms) if terms else 0.0
    evidence = Evidence(query, sources, candidates, round(share, 3), False, missing)
    best = evidence.best
    if best is not None:
        evidence.covered = best.similarity >= SURE_SIMILARITY or (
            best.similarity >= MIN_SIMILARITY and share >= MIN_TERM_SHARE
        )
    return evidence


def stored_sources(
    session: Session, embedder: Embedder, scope: index.Scope, query: str, vector: Vectors
) -> list[Source]:
    """The best passages for `query`, with their ids and their similarity to the question."""
    hits = retrieve(session, embedder, scope, query, PASSAGES)
    if not hits:
        return []
    rows = session.execute(
        sa.select(Passage.id, Passage.document_id, Passage.start, Passage.embedding).where(
            Passage.user_id == scope.user_id,
            Passage.document_id.in_({hit.document_id for hit in hits}),
            Passage.start.in_({hit.start for hit in hits}),
        )
    ).all()
    by_anchor = {(row.document_id, row.start): row for row in rows}
    sources: list[Source] = []
    for hit in hits:
        row = by_anchor.get((hit.document_id, hit.start))
        if row is None:  # deleted since it was found
            continue
        similarity = 0.0
        if row.embedding is not None and len(row.embedding) == 4 * vector.shape[0]:
            similarity = _cosine(vector, np.frombuffer(row.embedding, dtype=np.float32))
        sources.append(Source(row.id, str(hit.document_id), hit.filename, hit.page, hit.heading,
                              hit.kind, hit.text, hit.start, hit.score, similarity))  # fmt: skip
    return sources


def _cosine(a: Vectors, b: Vectors) -> float:
    return round(float(np.dot(a, b)), 4)


_ANSWERING = re.compile(r"[.!?:][\"')\u201d\u2019]*$")


# Sentences that point at an example the answer does not show ("as shown here:").
_POINTS_AWAY = re.compile(
    r"^(?:for example|for instance|a more complicated example)\b|\bthe following\b|"
    r"\b(?:as shown|shown|see) (?:here|below|above)\b|\bthis example\b",
    re.IGNORECASE,
)


def answering_sentence(text: str) -> bool:
    """A sentence that can stand in an answer: prose, a whole sentence (or one that leads
    into code with a colon), not a pointer to an example, a heading, code or page furniture."""
    if not _ANSWERING.search(text) or len(text.split()) < 5 or code_like(text):
        return False
    return not _POINTS_AWAY.search(text)


def score_sentences(
    embedder: Embedder, vector: Vectors, terms: Sequence[str], sources: Sequence[Source]
) -> list[Candidate]:
    """Every answering sentence of the prose sources, scored against the question."""
    found: list[tuple[int, str, int, int]] = []
    for number, source in enumerate(sources):
        if source.kind == "code":
            continue
        for sentence in split_sentences(source.text):
            if answering_sentence(sentence.text):
                found.append((number, sentence.text, sentence.start, sentence.end))
    if not found:
        return []
    vectors = embed_texts(embedder, [text for _, text, _, _ in found])
    bags = [stems(text) for _, text, _, _ in found]
    weights = _term_weights({stem(t) for t in terms}, bags)
    total = sum(weights.values())
    out = []
    for (number, text, start, end), row, bag in zip(found, vectors, bags, strict=True):
        overlap = sum(w for t, w in weights.items() if t in bag) / total if total else 0.0
        out.append(Candidate(number, text, start, end, _cosine(vector, row), round(overlap, 3)))
    return out


def _term_weights(wanted: set[str], bags: Sequence[set[str]]) -> dict[str, float]:
    """Each question term's weight: rare among the candidate sentences counts more ("else"
    beside "try statement"), so the sentence holding the distinctive word wins."""
    n = len(bags)
    return {t: math.log(1 + n / (1 + sum(t in bag for bag in bags))) for t in wanted}


class _SentenceVectors:
    """An LRU of sentence embeddings per embedder: the same passages answer many questions."""

    def __init__(self, max_entries: int = 8192) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._vectors: OrderedDict[tuple[str, int, str], Vectors] = OrderedDict()

    def get(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        keys = [(embedder.name, id(embedder), text) for text in texts]
        with self._lock:
            known = {k: self._vectors[k] for k in keys if k in self._vectors}
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            rows = embedder.embed_batch([k[2] for k in missing])
            with self._lock:
                for key, row in zip(missing, rows, strict=True):
                    known[key] = self._vectors[key] = row.copy()
                while len(self._vectors) > self.max_entries:
                    self._vectors.popitem(last=False)
        return np.stack([known[k] for k in keys])


_SENTENCES = _SentenceVectors()


def embed_texts(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """The embeddings of some sentences (from the LRU when seen before)."""
    return _SENTENCES.get(embedder, texts)


def outline(session: Session, scope: index.Scope, limit: int = 12) -> list[str]:
    """What the material in scope covers, in words a person would use: its section headings
    in document order (numbering stripped), else the key terms of its first passages."""
    from studyforge.ai.offline.terms import key_terms as material_terms
    from studyforge.ai.offline.terms import strip_numbering

    first = sa.func.min(Passage.ordinal).label("first")
    columns: Any = sa.select(Passage.document_id, Passage.heading, first)
    stmt = scope.where(columns)
    rows = session.execute(
        stmt.where(Passage.heading.is_not(None))
        .group_by(Passage.document_id, Passage.heading)
        .order_by(Passage.document_id, first)
        .limit(200)
    ).all()
    headings = [strip_numbering(str(row.heading).rsplit(" > ", 1)[-1]) for row in rows]
    found = list(dict.fromkeys(h for h in headings if h and not code_like(h)))
    if found:
        return found[:limit]
    texts = session.scalars(
        scope.where(sa.select(Passage.text)).where(Passage.kind != "code").limit(40)
    ).all()
    return material_terms("\n\n".join(texts), limit=limit) if texts else []
