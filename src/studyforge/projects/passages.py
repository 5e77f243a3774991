"""The owner's passages a project is grounded in: retrieved, varied, with their code.

`gather` searches the owner's documents for the topic (and, for a topic naming several things,
for each part: `planner.topic_parts`), keeps prose and lists (code and tables are not
readings), picks PASSAGES of them that cover the most sections (`planner.varied`), and gives
each the code around it in its document: the one-line signature it describes (`code`, as in
an API entry "list.extend(iterable)") and the example that follows it (`example`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.ai.embeddings import Embedder
from studyforge.ai.offline.terms import worked_example
from studyforge.documents.index import Scope
from studyforge.documents.models import Passage
from studyforge.documents.schemas import SearchHit
from studyforge.documents.service import retrieve
from studyforge.projects.planner import interleave, topic_parts, varied

PASSAGES = 6
CANDIDATES = 16  # of the topic's best, which `varied` picks PASSAGES from
POOL = 48  # retrieved, which each part of a topic's best are taken from
MIN_SCORE = 0.0  # retrieve ranks by fused rank: any hit matched the topic's words or meaning
READABLE = ("prose", "list")  # passage kinds a seat can read aloud and explain
EXAMPLE_LINES = 12  # of a code example shown under a reading, at most


def gather(
    session: Session, embedder: Embedder, user_id: uuid.UUID, topic: str
) -> list[dict[str, Any]]:
    """The owner's passages on the topic, varied, each with the code around it (see above).
    Each part of a topic of several things has its best passages among the topic's own moved
    up, so no part is left without a reading."""
    scope = Scope(user_id)
    hits = retrieve(session, embedder, scope, topic, POOL)
    found = [_shape(h) for h in hits if h.score > MIN_SCORE and h.kind in READABLE]
    pool = {(p["document_id"], p["start"]): p for p in found}
    orders = [
        [pool[key] for h in retrieve(session, embedder, scope, part, POOL)
         if (key := (str(h.document_id), h.start)) in pool]
        for part in topic_parts(topic)
    ]  # fmt: skip
    chosen = varied(interleave(found[:CANDIDATES], *orders), PASSAGES)
    for passage in chosen:
        passage["code"] = _signature(_beside(session, user_id, passage, before=True), passage)
        passage["example"] = _example(_beside(session, user_id, passage, before=False))
    return chosen


def _beside(
    session: Session, user_id: uuid.UUID, passage: dict[str, Any], before: bool
) -> Passage | None:
    """The passage just before (or after) this one in its document."""
    query = select(Passage).where(
        Passage.user_id == user_id, Passage.document_id == uuid.UUID(passage["document_id"])
    )
    if before:
        query = query.where(Passage.end <= passage["start"]).order_by(Passage.start.desc())
    else:
        query = query.where(Passage.start >= passage["end"]).order_by(Passage.start)
    return session.scalars(query.limit(1)).first()


def _signature(row: Passage | None, passage: dict[str, Any]) -> str | None:
    """One line of code right before the passage, under its heading: what it describes."""
    if row is None or row.kind != "code" or worked_example(row.text):
        return None
    return row.text.strip() if row.heading == passage["heading"] else None


def _example(row: Passage | None) -> str | None:
    """The code after the passage, cut to EXAMPLE_LINES; not a lone signature line (that is
    the next entry's: "list.insert(i, x)")."""
    if row is None or row.kind != "code" or not worked_example(row.text):
        return None
    lines = row.text.strip("\n").splitlines()
    return "\n".join(lines[:EXAMPLE_LINES] + (["..."] if len(lines) > EXAMPLE_LINES else []))


def _shape(hit: SearchHit) -> dict[str, Any]:
    return {
        "text": hit.text,
        "document_id": str(hit.document_id),
        "filename": hit.filename,
        "page": hit.page,
        "heading": hit.heading,
        "start": hit.start,
        "end": hit.end,
    }
