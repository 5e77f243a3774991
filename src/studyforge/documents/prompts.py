"""The notes generation task: LLM prompt, output schema and the offline extractive strategy."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from studyforge.ai.llm import Task
from studyforge.ai.offline.terms import code_like, key_terms
from studyforge.ai.offline.text import central_sentences, split_sentences

MAX_SENTENCES = 300  # the offline ranking is quadratic: sample long sections evenly
PROMPT_PASSAGES = 40
MAX_POINTS = 400


class NotePoint(BaseModel):
    """A summary point and the passage (index into the inputs) that supports it."""

    text: str = Field(min_length=1, max_length=1000)
    passage: int = Field(ge=0)


class NotesDraft(BaseModel):
    """Study notes: the main points, each cited, and the key terms."""

    points: list[NotePoint] = Field(min_length=1, max_length=MAX_POINTS)
    key_terms: list[str] = Field(default_factory=list, max_length=20)


def _render(passages: list[dict[str, Any]]) -> str:
    shown = passages[:PROMPT_PASSAGES]
    listing = "\n\n".join(
        f"[{i}] ({p.get('heading') or 'untitled'}) {p['text']}" for i, p in enumerate(shown)
    )
    return (
        "Write a study guide for the document below: for each section (its title is in "
        "parentheses) one to three main points, and up to 12 key terms overall. Every point "
        "must be supported by one numbered passage; give its number as `passage`. Use only "
        f"facts stated in the passages.\n\n{listing}"
    )


def _offline(passages: list[dict[str, Any]]) -> NotesDraft:
    """A study guide: per section (a run of passages under one heading) its most central
    statements, one to three by its length; every section with prose gets at least one."""
    runs: list[list[tuple[int, str]]] = []
    last = object()
    for i, passage in enumerate(passages):
        if passage.get("kind", "prose") != "prose":
            continue
        if passage.get("heading") != last or not runs:
            runs.append([])
            last = passage.get("heading")
        runs[-1] += [(i, x.text) for x in split_sentences(passage["text"])
                     if not code_like(x.text)]  # fmt: skip
    points: list[NotePoint] = []
    per_run = max(1, min(3, MAX_POINTS // max(len(runs), 1)))
    for run in (r for r in runs if r):  # a section of code only has no statement to note
        if len(run) > MAX_SENTENCES:
            run = [run[int(j * len(run) / MAX_SENTENCES)] for j in range(MAX_SENTENCES)]
        full = [x for x in run if len(x[1].split()) >= 5 and not x[1].endswith(":")] or run
        limit = min(per_run, max(1, len(full) // 4))
        # The section's opening statement first (it usually says what the section is about),
        # then its most central others.
        rest = central_sentences([t for _, t in full[1:]], limit - 1) if limit > 1 else []
        for j in [0, *(k + 1 for k in rest)]:
            points.append(NotePoint(text=full[j][1][:1000], passage=full[j][0]))
    if not points:
        points = [NotePoint(text=passages[0]["text"][:1000], passage=0)]
    prose = "\n\n".join(p["text"] for p in passages if p.get("kind", "prose") == "prose")
    headings = [str(p["heading"]).rsplit(" > ", 1)[-1] for p in passages if p.get("heading")]
    return NotesDraft(points=points[:MAX_POINTS], key_terms=key_terms(prose, headings, 12))


NOTES = Task(
    name="documents.notes",
    schema=NotesDraft,
    system="You are a careful teaching assistant. You never add facts that are not in the source.",
    render=_render,
    offline=_offline,
)
