"""Turn the notes task's answer into the document's notes, each point cited to its passage."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from studyforge.ai.llm import LLM
from studyforge.ai.offline.terms import key_terms
from studyforge.documents.chunking import Chunk
from studyforge.documents.models import Document
from studyforge.documents.prompts import NOTES, NotesDraft
from studyforge.events.service import emit
from studyforge.jobs import JobContext

EXTRACTIVE_NOTE = "Extractive notes: every point is quoted from the document."


def draft_notes(ctx: JobContext, llm: LLM, chunks: list[Chunk]) -> dict[str, Any]:
    """Generate the notes (recording token usage on the job) and cite each point."""
    passages = [{"text": c.text, "heading": c.heading, "kind": c.kind} for c in chunks]
    generation = llm.complete_json(NOTES, passages)
    ctx.record_usage(generation.usage)
    data = cite(generation.output, chunks)
    data.update(provider=generation.provider, model=generation.model,
                extractive=generation.extractive)  # fmt: skip
    return data


def save_notes(session: Session, doc: Document, data: dict[str, Any]) -> None:
    """Store the notes on the document and emit `notes.generated`."""
    received = (doc.notes_data or {}).get("context")  # notes another service sent (Kafka)
    doc.notes_data = data if received is None else {**data, "context": received}
    doc.notes = render_markdown(data)
    payload = {"document_id": str(doc.id), "user_id": str(doc.user_id), "notes": doc.notes,
               "key_terms": data["key_terms"], "provider": data["provider"]}  # fmt: skip
    emit(session, "notes.generated", payload, stream_id=doc.id, user_id=doc.user_id)


def cite(draft: NotesDraft, chunks: list[Chunk]) -> dict[str, Any]:
    """Points with page, heading and character span; points citing no real passage are dropped."""
    points = []
    for point in draft.points:
        if point.passage >= len(chunks):
            continue
        chunk = chunks[point.passage]
        # A quote may differ from the source in line breaks only.
        pattern = r"\s+".join(re.escape(word) for word in point.text.split())
        match = re.search(pattern, chunk.text) if pattern else None
        start, end = (match.start(), match.end()) if match else (0, len(chunk.text))
        points.append({"text": point.text, "page": chunk.page, "heading": chunk.heading,
                       "start": chunk.start + start, "end": chunk.start + end,
                       "quoted": match is not None})  # fmt: skip
    points.sort(key=lambda p: int(p["start"] or 0))
    return {"points": points, "key_terms": list(draft.key_terms),
            "sections": study_guide(points, chunks)}  # fmt: skip


def study_guide(points: list[dict[str, Any]], chunks: list[Chunk]) -> list[dict[str, Any]]:
    """One entry per section of the document, in order: its title, the points that fall in
    it and the terms it defines or stresses (an entry may have no point, never no title)."""
    sections: list[dict[str, Any]] = []
    for chunk in chunks:
        if not sections or sections[-1]["heading"] != chunk.heading:
            sections.append({"heading": chunk.heading, "page": chunk.page, "prose": []})
        if chunk.kind == "prose":
            sections[-1]["prose"].append(chunk.text)
    by_heading: dict[str | None, list[dict[str, Any]]] = {}
    for point in points:
        by_heading.setdefault(point["heading"], []).append(point)
    guide = []
    for section in sections:
        title = (section["heading"] or "").rsplit(" > ", 1)[-1]
        guide.append({
            "heading": section["heading"], "title": title or None, "page": section["page"],
            "points": by_heading.pop(section["heading"], []),
            "key_terms": key_terms(" ".join(section["prose"]), [title] if title else [], 4),
        })  # fmt: skip
    return guide


def render_markdown(data: dict[str, Any]) -> str:
    """The notes as Markdown: a study guide (per section its points and terms), the key
    terms, and the extractive disclaimer."""
    lines = ["## Study guide", ""]
    sections = data.get("sections") or [{"title": None, "points": data["points"]}]
    for section in sections:
        if section.get("title"):
            lines += [f"### {section['title']}", ""]
        for point in section["points"]:
            where = f" (p. {point['page']})" if point.get("page") else ""
            lines.append(f"- {point['text']}{where}")
        if section.get("key_terms"):
            lines.append(f"- *Terms:* {', '.join(section['key_terms'])}")
        lines.append("")
    if data["key_terms"]:
        lines += ["", "## Key terms", "", ", ".join(data["key_terms"])]
    if data.get("extractive"):
        lines += ["", f"_{EXTRACTIVE_NOTE}_"]
    return "\n".join(lines)
