"""Which passages a course may draw on: relevance first, then whole sections in source order.

Retrieval finds the documents that mention the topic; every passage of those documents is then
scored by cosine similarity with the topic (MiniLM vectors, section title included). A section
(a run of passages under one heading) is as relevant as its best passage. The thresholds were
measured on Python's documentation (12 chapters) against 14 covered and 16 uncovered topics
(`python -m bench quality` prints the figures): the best passage of a covered topic scored
0.27-0.87 (0.36 and up but for a one-word category, "Biology"), of an uncovered one 0.13-0.34.

- The topic is covered when its best section reaches COVERED; otherwise the course fails with a
  message naming the topic rather than filling lessons with whatever matched best.
- Only documents whose best section is within DOCUMENT_MARGIN of the best of all are used.
- Sections of those documents that reach RELEVANT are taken; gaps of up to GAP sections between
  them are filled (a chapter's middle sections belong to it), and while there are fewer
  sections than lessons, the best neighbour reaching NEIGHBOUR is added.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from studyforge.ai.embeddings import Embedder, embed_query
from studyforge.documents.index import Scope
from studyforge.documents.models import Document, Passage
from studyforge.documents.service import retrieve

COVERED = 0.35
RELEVANT = 0.30
NEIGHBOUR = 0.20
DOCUMENT_MARGIN = 0.20
GAP = 3
MAX_DOCUMENTS = 6
MAX_PASSAGES = 4000


class TopicNotCovered(ValueError):
    """No document in scope is about the topic."""


@dataclass
class SectionRun:
    """Consecutive passages of one document under one heading."""

    document_id: uuid.UUID
    heading: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0


def course_sources(
    session: Session, embedder: Embedder, scope: Scope, topic: str, budget: int, lessons: int
) -> list[dict[str, Any]]:
    """The passages of the sections that cover `topic`, in source order, at most `budget`
    (but never fewer than one section per lesson); raises TopicNotCovered."""
    vector = embed_query(embedder, topic)  # cached: retrieve embeds the same query
    hits = retrieve(session, embedder, scope, topic, 40)
    documents = list(dict.fromkeys(h.document_id for h in hits))[:MAX_DOCUMENTS]
    sections = _sections(session, scope, documents, vector)
    best = max((s.score for s in sections), default=0.0)
    if best < COVERED:
        raise TopicNotCovered(f"best match {best:.2f} is under {COVERED}")
    # A document is about the topic if its best section is close to the best of all: a JSON
    # reference that mentions --sort-keys is not a source for a course on sorting.
    about = {s.document_id for s in sections if s.score >= max(COVERED, best - DOCUMENT_MARGIN)}
    chosen = _select([s for s in sections if s.document_id in about], lessons)
    while sum(len(s.rows) for s in chosen) > budget and len(chosen) > lessons:
        chosen.remove(min(chosen, key=lambda s: s.score))
    rows = [row for section in chosen for row in section.rows]
    return [{"index": i, **row} for i, row in enumerate(rows)]


def _sections(
    session: Session, scope: Scope, documents: list[uuid.UUID], vector: np.ndarray
) -> list[SectionRun]:
    """Every passage of the given documents, scored and grouped into sections in order."""
    if not documents:
        return []
    stmt: Any = (
        sa.select(Passage, Passage.embedding, Document.filename)
        .join(Document, Document.id == Passage.document_id)
        .where(Passage.document_id.in_(documents))
        .order_by(Passage.document_id, Passage.ordinal)
        .limit(MAX_PASSAGES)
    )
    rows = session.execute(scope.where(stmt)).all()
    sections: list[SectionRun] = []
    for passage, blob, filename in rows:
        score = float(np.frombuffer(blob, dtype=np.float32) @ vector) if blob else 0.0
        last = sections[-1] if sections else None
        if last is None or (last.document_id, last.heading) != (
            passage.document_id,
            passage.heading,
        ):
            last = SectionRun(passage.document_id, passage.heading)
            sections.append(last)
        last.score = max(last.score, score)
        last.rows.append(_source(passage, filename, score))
    order = {doc: i for i, doc in enumerate(documents)}
    sections.sort(key=lambda s: order[s.document_id])  # stable: keeps each document's order
    return sections


def _select(sections: list[SectionRun], lessons: int) -> list[SectionRun]:
    """Relevant sections, the gaps between them filled, widened to one per lesson if possible."""
    keep = {i for i, s in enumerate(sections) if s.score >= RELEVANT}
    kept = sorted(keep)
    for a, b in itertools.pairwise(kept):
        same_doc = sections[a].document_id == sections[b].document_id
        if same_doc and b - a - 1 <= GAP:
            keep.update(range(a + 1, b))
    while len(keep) < lessons:
        options = [
            j for i in keep for j in (i - 1, i + 1)
            if j not in keep and 0 <= j < len(sections) and sections[j].score >= NEIGHBOUR
            and sections[j].document_id == sections[i].document_id
        ]  # fmt: skip
        if not options:
            break
        keep.add(max(options, key=lambda j: sections[j].score))
    return [sections[i] for i in sorted(keep)]


def _source(p: Passage, filename: str, score: float) -> dict[str, Any]:
    return {
        "document_id": str(p.document_id), "filename": filename, "path": p.path,
        "page": p.page, "heading": p.heading, "kind": p.kind, "lang": p.lang, "text": p.text,
        "start": p.start, "end": p.end, "relevance": round(score, 4),
    }  # fmt: skip
