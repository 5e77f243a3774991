"""Turn the notes task's answer into the document's notes, each point cited to its passage."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from studyforge.ai.llm import LLM
from studyforge.documents.chunking import Chunk
from studyforge.documents.models import Document
from studyforge.documents.prompts import NOTES, NotesDraft
from studyforge.events.service import emit
from studyforge.jobs import JobContext

EXTRACTIVE_NOTE = "Extractive notes: every point is quoted from the document."


def draft_notes(ctx: JobContext, llm: LLM, chunks: list[Chunk]) -> dict[str, Any]:
    """Generate the notes (recording token usage on the job) and cite each point."""
    generation = llm.complete_json(NOTES, [c.text for c in chunks])
    ctx.record_usage(generation.usage)
    data = cite(generation.output, chunks)
    data.update(provider=generation.provider, model=generation.model,
                extractive=generation.extractive)  # fmt: skip
    return data


def save_notes(session: Session, doc: Document, data: dict[str, Any]) -> None:
    """Store the notes on the document and emit `notes.generated`."""
    doc.notes_data = data
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
    return {"points": points, "key_terms": list(draft.key_terms)}


def render_markdown(data: dict[str, Any]) -> str:
    """The notes as Markdown: cited points, key terms, and the extractive disclaimer."""
    lines = ["## Summary", ""]
    for point in data["points"]:
        where = f" (p. {point['page']})" if point.get("page") else ""
        lines.append(f"- {point['text']}{where}")
    if data["key_terms"]:
        lines += ["", "## Key terms", "", ", ".join(data["key_terms"])]
    if data.get("extractive"):
        lines += ["", f"_{EXTRACTIVE_NOTE}_"]
    return "\n".join(lines)
