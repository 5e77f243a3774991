"""Stage 2 for the `LLM` interface: one document's analysis, a part at a time.

The offline engine's analysis (`analysis.analyze_offline`) is the task's offline strategy, and
what a model is shown alongside the text. A document longer than `words_per_call` is split at
section boundaries (`analysis.chunk`); each part is analysed on its own and the parts are
merged (`analysis.merge`), so no prompt outgrows a small model's context. Every answer is
validated against `AnalysisOut` (the OpenAI-compatible adapter asks once more with the
validation error); a model's concepts and objectives are kept only when the document's own
words support them, the facts code can measure (word count, outline, links) always come from
the engine, and the model's title is used only when it is one of the document's headings.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from studyforge.ai.llm import Task, Usage
from studyforge.ai.registry import AIProviders
from studyforge.repo_courses.analysis import DocAnalysis, analyze_offline, chunk, merge
from studyforge.repo_courses.doctype import DOC_TYPES
from studyforge.repo_courses.structure import DocStructure

TEXT_CHARS = 9000  # of one part, at most, in a prompt


class AnalysisOut(BaseModel):
    """What a model says about (a part of) a document."""

    doc_type: Literal[DOC_TYPES] = Field(description="the kind of document")  # type: ignore[valid-type]
    complexity_level: Literal["beginner", "intermediate", "advanced"]
    key_concepts: list[str] = Field(default_factory=list, max_length=8)
    learning_objectives: list[str] = Field(default_factory=list, max_length=6)
    summary: str = Field("", max_length=1500)
    prerequisites: list[str] = Field(default_factory=list, max_length=8)
    related_topics: list[str] = Field(default_factory=list, max_length=15)


SYSTEM = (
    "You analyse one page of a software project's documentation for a course designer. Use "
    "only what the page says. Key concepts are terms the page defines or explains (never code "
    "identifiers on their own); objectives say what a reader can do after reading it, each "
    "starting with a verb; the summary is two or three plain sentences; prerequisites are what "
    "the page says a reader needs first. Answer with JSON only."
)


def _render(inputs: dict[str, Any]) -> str:
    offline = {k: inputs["offline"][k] for k in ("doc_type", "complexity_level",
                                                 "key_concepts", "summary")}  # fmt: skip
    return (
        f"File: {inputs['path']}\nOutline: {' | '.join(inputs['headings'][:40])}\n"
        f"The course is for {inputs['level']} learners. {inputs.get('info') or ''}\n"
        f"An automatic first pass found: {json.dumps(offline)}\n\n"
        f"The page (part {inputs['part']} of {inputs['parts']}):\n{inputs['text']}"
    )


def _offline(inputs: dict[str, Any]) -> dict[str, Any]:
    """The engine's analysis in the schema's bounds (the caller keeps the whole of it)."""
    out = {k: inputs["offline"][k] for k in AnalysisOut.model_fields}
    for name, info in AnalysisOut.model_fields.items():
        bound = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
        if bound is not None:
            out[name] = out[name][:bound]
    return out


ANALYSE: Task[AnalysisOut] = Task(
    name="repo_courses.analyse", schema=AnalysisOut, system=SYSTEM, render=_render,
    offline=_offline,
)  # fmt: skip


class Phrasing(BaseModel):
    """A document's objectives and summary, as a drafting model words them."""

    learning_objectives: list[str] = Field(default_factory=list, max_length=6)
    summary: str = Field("", max_length=1500)


def _phrasing_prompt(inputs: dict[str, Any]) -> str:
    return (f"The page '{inputs['title']}', for {inputs['level']} learners:\n{inputs['text']}\n\n"
            "Word its learning objectives and a two-sentence summary.")  # fmt: skip


def _phrasing_offline(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"learning_objectives": inputs["objectives"][:6], "summary": inputs["summary"][:1500]}


def _draft_phrasing(inputs: Any, output: Any, drafter: Any) -> Any:
    from studyforge.repo_courses.drafting import draft_phrasing

    return draft_phrasing(inputs, output, drafter)


# For an LLM that drafts over the engine (the `local` one): one call per document, asked only
# when the analysis itself was the engine's.
PHRASE: Task[Phrasing] = Task(
    name="repo_courses.phrase", schema=Phrasing, system=SYSTEM, render=_phrasing_prompt,
    offline=_phrasing_offline, draft=_draft_phrasing,
)  # fmt: skip


def _text(structure: DocStructure) -> str:
    return "\n\n".join(b.text for b in structure.blocks)[:TEXT_CHARS]


def _supported(items: list[str], text: str) -> list[str]:
    """The items whose every word of four letters or more occurs in the text."""
    lowered = text.lower()
    out = []
    for item in items:
        words = [w for w in item.lower().replace("-", " ").split() if len(w) >= 4]
        if words and all(w.strip(".,;:()") in lowered for w in words):
            out.append(item.strip())
    return list(dict.fromkeys(out))


def _part(ai: AIProviders, path: str, part: DocStructure, number: int, parts: int, level: str,
          info: str | None, usage: Usage) -> tuple[DocAnalysis, bool]:  # fmt: skip
    """One part's analysis: the engine's, with what the model adds that the text supports;
    and whether it is the engine's alone."""
    offline = analyze_offline(path, part, level, info)
    inputs = {"path": path, "headings": offline.headings, "level": level, "info": info,
              "offline": offline.as_dict(), "part": number, "parts": parts,
              "text": _text(part)}  # fmt: skip
    generation = ai.llm.complete_json(ANALYSE, inputs)
    usage.add(generation.usage)
    if generation.extractive:
        return offline, True
    out, text = generation.output, "\n".join(b.text for b in part.blocks)
    concepts = _supported(out.key_concepts, text) or offline.key_concepts
    templated = [t for t in offline.templated if not t.startswith("learning_objectives")]
    objectives = [o.strip() for o in out.learning_objectives if o.strip()]
    return DocAnalysis(
        title=offline.title, doc_type=out.doc_type, complexity_level=out.complexity_level,
        key_concepts=concepts[:8], learning_objectives=objectives or offline.learning_objectives,
        summary=out.summary.strip() or offline.summary,
        prerequisites=_supported(out.prerequisites, text) or offline.prerequisites,
        related_topics=offline.related_topics, word_count=offline.word_count,
        code_count=offline.code_count,
        headings=offline.headings, links=offline.links, toctree=offline.toctree,
        templated=templated if objectives else offline.templated,
    ), False  # fmt: skip


def analyse(ai: AIProviders, path: str, structure: DocStructure, level: str, info: str | None,
            words_per_call: int, usage: Usage) -> DocAnalysis:  # fmt: skip
    """A document's analysis by the configured LLM (the engine's offline), part by part; a
    drafting model then words its objectives and summary (`PHRASE`).

    Raises the provider's error when a part's answer stays invalid (the caller records the
    document as failed and goes on)."""
    parts = chunk(structure, words_per_call) or [structure]
    if len(parts) == 1:
        whole, engine = _part(ai, path, structure, 1, 1, level, info, usage)
    else:
        done = [_part(ai, path, p, n, len(parts), level, info, usage)
                for n, p in enumerate(parts, start=1)]  # fmt: skip
        whole = merge([analysis for analysis, _ in done])
        whole.title = analyze_offline(path, structure, level, info).title
        engine = all(alone for _, alone in done)
    return _phrased(ai, whole, structure, level, usage) if engine else whole


def _phrased(
    ai: AIProviders, whole: DocAnalysis, structure: DocStructure, level: str, usage: Usage
) -> DocAnalysis:
    """The engine's analysis with the objectives and summary a drafting model worded."""
    prose = "\n\n".join(b.text for b in structure.blocks if b.kind == "prose")
    inputs = {"title": whole.title, "level": level, "text": prose[:TEXT_CHARS],
              "objectives": whole.learning_objectives, "summary": whole.summary}  # fmt: skip
    generation = ai.llm.complete_json(PHRASE, inputs)
    usage.add(generation.usage)
    out = generation.output
    if generation.extractive:
        return whole
    if out.learning_objectives != whole.learning_objectives:
        whole.learning_objectives = out.learning_objectives
        whole.templated = [t for t in whole.templated if not t.startswith("learning_objectives")]
    whole.summary = out.summary or whole.summary
    return whole
