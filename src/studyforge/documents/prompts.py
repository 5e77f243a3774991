"""The notes generation task: LLM prompt, output schema and the offline extractive strategy."""

from __future__ import annotations

from pydantic import BaseModel, Field

from studyforge.ai.llm import Task
from studyforge.ai.offline.text import central_sentences, keyphrases, split_sentences

MAX_SENTENCES = 300  # the offline ranking is quadratic: sample long documents evenly
PROMPT_PASSAGES = 40


class NotePoint(BaseModel):
    """A summary point and the passage (index into the inputs) that supports it."""

    text: str = Field(min_length=1, max_length=1000)
    passage: int = Field(ge=0)


class NotesDraft(BaseModel):
    """Study notes: the main points, each cited, and the key terms."""

    points: list[NotePoint] = Field(min_length=1, max_length=15)
    key_terms: list[str] = Field(default_factory=list, max_length=20)


def _render(passages: list[str]) -> str:
    shown = passages[:PROMPT_PASSAGES]
    listing = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(shown))
    return (
        "Write study notes for the document below: 5 to 10 main points and up to 12 key "
        "terms. Every point must be supported by one numbered passage; give its number as "
        f"`passage`. Use only facts stated in the passages.\n\n{listing}"
    )


def _offline(passages: list[str]) -> NotesDraft:
    sentences = [(i, s.text) for i, text in enumerate(passages) for s in split_sentences(text)]
    if len(sentences) > MAX_SENTENCES:
        step = len(sentences) / MAX_SENTENCES
        sentences = [sentences[int(j * step)] for j in range(MAX_SENTENCES)]
    limit = max(3, min(8, len(sentences) // 6))
    picked = central_sentences([text for _, text in sentences], limit)
    points = [NotePoint(text=sentences[j][1][:1000], passage=sentences[j][0]) for j in picked]
    return NotesDraft(points=points, key_terms=keyphrases("\n\n".join(passages), 12))


NOTES = Task(
    name="documents.notes",
    schema=NotesDraft,
    system="You are a careful teaching assistant. You never add facts that are not in the source.",
    render=_render,
    offline=_offline,
)
