"""A module's assessment, offline: 3-5 questions on what the module taught, and their Markdown.

The questions come from the project's quiz engine (`quizzes.facts.Material`,
`quizzes.plan.plan_questions`): facts are self-contained prose sentences of the module's
sections, the questions mixed (multiple choice as a cloze on a key term, true/false stated as
written or falsified in one detail, short answer) at the difficulty of the module's level.
Facts the module's text shows are asked first; the rest of its sections' prose only fills in
when those are too few. Each check cites the sentence it was made from.

A module with too few such sentences (only code and headings, say) is made up to three
questions with one templated question per example: "In your own words: what does the
first example under “<section>” in <path> do?", citing the example. The assessment's Markdown lists the questions, then the
answers with their explanations and sources after all of them (plain Markdown: the
project's exports escape HTML, so no `<details>`). Question stems and those labels are
fixed wording.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studyforge.quizzes.facts import Material
from studyforge.quizzes.plan import NotEnoughMaterial, plan_questions

DIFFICULTY = {"beginner": "easy", "intermediate": "medium", "advanced": "hard"}
MIN_CHECKS, MAX_CHECKS = 3, 5
WORDS_PER_CHECK = 300  # one more question (up to MAX_CHECKS) per this many words taught
# The quiz engine ranks every sentence it is given (quadratic): the facts come from what the
# module shows, and only when those are too few from its other prose, up to this many words.
MORE_WORDS = 2500
_TYPES = ("mixed", "true_false", "short_answer", "multiple_choice")
Cite = Callable[[int, int, int], int]  # (document number, start, end) -> source number


@dataclass(frozen=True)
class Passage:
    """A block of a module's section: prose or a list to ask about, or code (fallback)."""

    doc: int
    path: str
    kind: str
    text: str
    start: int  # in the document's text (`content.document_text`)
    heading: str  # the section's own title
    shown: bool = True  # the module shows (some of) it


def _material(passages: list[Passage]) -> Material:
    return Material([{"index": i, "text": p.text, "kind": p.kind, "heading": p.heading,
                      "start": p.start, "document_id": p.path, "path": p.path}
                     for i, p in enumerate(passages)])  # fmt: skip


def _keep(m: Material, fit: Callable[[str], bool], taught: set[str] | None = None) -> int:
    """Keep the facts that `fit` accepts (and, given `taught`, that the module shows),
    renumbered; how many there are."""
    kept = [f for f in m.facts if fit(f.sentence) and (
        taught is None or " ".join(f.sentence.split()).casefold() in taught)]  # fmt: skip
    m.facts = [dataclasses.replace(f, index=i) for i, f in enumerate(kept)]
    return len(kept)


def _plan(m: Material, target: int, difficulty: str) -> list[dict[str, Any]]:
    """As many questions as the material carries, from `target` down: mixed types first."""
    sizes = list(range(target, 0, -1))
    for n, quiz_type in [(n, "mixed") for n in sizes if n >= MIN_CHECKS] + [
        (n, t) for n in sizes for t in _TYPES
    ]:
        try:
            return plan_questions(m, n, difficulty, quiz_type)
        except NotEnoughMaterial:
            continue
    return []


def _weak(q: dict[str, Any]) -> bool:
    """A statement to complete whose opening says too little ("The tutorial doesn't ...")."""
    opening = re.search(r"\u201c(.*?) \u2026\u201d", q["question"])
    return opening is not None and len(opening.group(1).split()) < 4


def _checks(m: Material, passages: list[Passage], drafts: list[dict[str, Any]],
            cite: Cite, target: int) -> list[dict[str, Any]]:  # fmt: skip
    """The planned questions as checks: weak ones last, at most `target`."""
    out = []
    for q in sorted(drafts, key=_weak)[:target]:
        fact = m.facts[q["fact"]]
        passage = passages[fact.source]
        at = passage.text.find(fact.sentence)
        if at < 0:
            continue
        start = passage.start + at
        out.append({
            "kind": q["type"], "question": q["question"], "options": list(q["options"]),
            "answer": q["answer"], "explanation": q["explanation"],
            "source": {"index": cite(passage.doc, start, start + len(fact.sentence))},
        })  # fmt: skip
    return out


_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def _about_examples(code: list[Passage], cite: Cite) -> list[dict[str, Any]]:
    """One templated question per example, those of different sections first."""
    seen: dict[tuple[str, str], int] = {}
    ranked: list[tuple[int, int, Passage, int]] = []
    for n, p in enumerate(code):
        nth = seen[p.path, p.heading] = seen.get((p.path, p.heading), -1) + 1
        ranked.append((nth, n, p, nth))
    out = []
    for _, _, p, nth in sorted(ranked, key=lambda r: r[:2])[:MIN_CHECKS]:
        which = f"the {_ORDINALS[nth]} example" if nth < len(_ORDINALS) else "an example"
        where = f"under \u201c{p.heading}\u201d in {p.path}" if p.heading else f"in {p.path}"
        out.append({
            "kind": "short_answer",
            "question": f"In your own words: what does {which} {where} do?",
            "options": [],
            "answer": "Check your description against the example and the sentences around it.",
            "explanation": f"It is {which} {where}.",
            "source": {"index": cite(p.doc, p.start, p.start + len(p.text))},
        })  # fmt: skip
    return out


def write_checks(passages: list[Passage], taught: set[str], words: int, level: str,
                 fit: Callable[[str], bool], cite: Cite) -> list[dict[str, Any]]:  # fmt: skip
    """3-5 checks (fewer only when the material cannot carry them) on the module's prose
    and lists (`taught`: the casefolded sentences it shows; `words`: how many it shows;
    `fit`: whether a sentence reads on its own, for the quiz engine's facts)."""
    difficulty = DIFFICULTY.get(level, "medium")
    target = max(MIN_CHECKS, min(MAX_CHECKS, MIN_CHECKS + words // WORDS_PER_CHECK - 1))
    text = [p for p in passages if p.kind in ("prose", "list") and p.shown]
    drafts: list[dict[str, Any]] = []
    ask = target + 2  # a weak question or two can be left out
    m = _material(text) if text else None
    if m is not None and _keep(m, fit, taught) >= MIN_CHECKS:
        drafts = _plan(m, ask, difficulty)
    wider, words = [], 0
    for p in (p for p in passages if p.kind in ("prose", "list")):
        words += len(p.text.split())
        if p.shown or words <= MORE_WORDS:
            wider.append(p)
    if len(drafts) < MIN_CHECKS and len(wider) > len(text):
        whole = _material(wider)
        _keep(whole, fit)
        more = _plan(whole, ask, difficulty)
        if len(more) > len(drafts):
            m, text, drafts = whole, wider, more
    checks = _checks(m, text, drafts, cite, target) if m is not None else []
    code = [p for p in passages if p.kind == "code"]
    return checks + _about_examples(code, cite)[: max(0, MIN_CHECKS - len(checks))]


def assessment_markdown(checks: list[dict[str, Any]]) -> str:
    """The checks as Markdown: the questions, then "Answers" (each with why and its source)."""
    if not checks:
        return ""
    lines = ["## Check your understanding", ""]
    for n, check in enumerate(checks, start=1):
        lines.append(f"{n}. {check['question']}")
        if check["kind"] == "multiple_choice":
            lines += [f"   - {chr(65 + i)}. {o}" for i, o in enumerate(check["options"])]
        elif check["kind"] == "true_false":
            lines.append("   - True / False")
    lines += ["", "### Answers", ""]
    for n, check in enumerate(checks, start=1):
        index = (check.get("source") or {}).get("index")
        mark = f" [{index}]" if index else ""
        if check["kind"] == "multiple_choice":
            letter = chr(65 + check["options"].index(check["answer"]))
            lines.append(f"{n}. **{letter}. {check['answer']}**. {check['explanation']}{mark}")
        elif check["kind"] == "true_false":
            why = check["explanation"].removeprefix(f"{check['answer']}. ")
            lines.append(f"{n}. **{check['answer']}**. {why}{mark}")
        else:
            label = "A good answer says:" if check["answer"][:1].islower() else "Answer:"
            lines.append(f"{n}. *{label}* {check['answer'].rstrip('.')}. "
                         f"{check['explanation']}{mark}")  # fmt: skip
    return "\n".join(lines)
