"""Stage 3 of repository → course: learning pathways from the analysed documents (offline).

`build_pathways` offers several courses over the same documents, each a different order
(see `ordering.py`) cut into modules. It is pure: no database, HTTP or jobs; the caller stores
the `PathwayPlan`s (`as_dict()` gives the `pathways`/`modules`/`module_documents` columns).
Wording is extractive (titles, summaries, objectives and prerequisites of the documents) except
the pathway titles and descriptions and a few fallback module texts, which are fixed wording
and listed in `PathwayPlan.templated`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from studyforge.ai.offline.terms import plain_word
from studyforge.repo_courses.analysed import LEADERS, LEFT_OUT, LEVELS, Doc, codeish, read_doc
from studyforge.repo_courses.layout import (
    duration,
    level_of,
    module_description,
    module_groups,
    module_title,
    objectives,
    rounded,
)
from studyforge.repo_courses.ordering import (
    Corpus,
    api_dive,
    by_folder,
    foundations,
    hands_on,
    leaders,
    quick_start,
)

MAX_PREREQUISITES = 5
_ONE = " Each document is a module of its own."
_SMALL = " Small modules: at most two documents each."
_SHORTER = " Shorter pages first where the order is free."
_PROJECT_ORDER = " Otherwise in the project's reading order, not by prerequisites."
_FOCUSED = " Pages on the topics of your note come as early as their prerequisites allow."
_TEXTS = {  # key -> (title, description); fixed wording, filled in by `_strategy`
    "reading-order": ("The project's reading order", "Follows the project's own order: "
        "{route}.{skipped}"),
    "foundations-first": ("Foundations first", "Starts with what the other pages build on: "
        "each page comes after the pages its prerequisites and links name, easier pages first "
        "where the order is free.{focused}{dropped}{skipped}"),
    "hands-on": ("Hands-on", "Starts doing at once: the {kind} lead, each right after the "
        "pages it needs and followed by the background pages it links to or shares key ideas "
        "with; the API reference comes last.{focused}{skipped}"),
    "api-deep-dive": ("API reference deep dive", "For readers who want the reference: the "
        "overview, the pages the API builds on, then every API and reference page in the "
        "project's order. Leaves out the {rest} other pages."),
    "quick-start": ("Quick start", "About an hour: {start}, for a first working result; the "
        "other {rest} documents are left for a full course."),
    "by-folder": ("Folder by folder", "One part of the documentation at a time, folders in "
        "name order, each in the project's reading order."),
    "step-by-step": ("Step by step", "The project's reading order, one document per module."),
    "two-at-a-time": ("Two documents at a time", "The project's reading order, two documents "
        "per module."),
    "one-sitting": ("In one sitting", "Every document in one module, in the project's reading "
        "order."),
}  # fmt: skip

_CUES = {  # words in the user's note -> the pathway they put first
    "hands-on": "hands-on|hands on|practical|practice|practise|example|examples|exercise|"
    "exercises|tutorial|tutorials|workshop|workshops",
    "api-deep-dive": "api|apis|reference|references|endpoint|endpoints",
    "foundations-first": "beginner|beginners|basics|basic|fundamentals|foundations|newcomer|"
    "newcomers|novice|novices|introduction|introductory",
}
_CUE_WORDS = frozenset(re.findall(r"[a-z]+", " ".join(_CUES.values())))
_NOTE_FILLER = frozenset(
    re.findall(r"[a-z]+", "focus friendly course learn learning want need please mostly mainly more"
               " less level style cover covering include including")
)  # fmt: skip


@dataclass
class ModulePlan:
    """One module of a pathway: its documents in the pathway's order."""

    title: str
    description: str
    sequence_order: int  # 1..n within the pathway
    learning_objectives: list[str]
    estimated_time: str
    document_ids: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PathwayPlan:
    """One pathway (the specification's `pathways` row) with its modules."""

    key: str  # stable slug: reading-order, foundations-first, hands-on, api-deep-dive, ...
    title: str
    description: str
    complexity_level: str
    estimated_duration: str
    prerequisites: list[str]
    modules: list[ModulePlan]
    templated: list[str] = field(default_factory=list)  # "title", "modules[2].description"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Strategy:
    """A candidate pathway: ways to lay it out, tried in turn until one is new."""

    key: str
    title: str
    description: str
    options: list[tuple[list[Doc], str, str]]  # (order, grouping, note added to description)


def build_pathways(
    documents: list[dict[str, Any]],
    *,
    overview_document: str | None,
    complexity_level: str,
    additional_info: str | None,
) -> list[PathwayPlan]:
    """Learning pathways over the analysed `documents` (stage-2 dicts, see `read_doc`).

    Pathways, in this default order: "reading-order" (the project's toctree/link order),
    "foundations-first" (prerequisites before what needs them, beginner to advanced),
    "hands-on" (tutorials and how-tos lead, each right after the pages it names as needed;
    guides lead when there are neither), then when they apply "api-deep-dive" (at least 3
    api/reference pages, or 1 when the note asks for the API; a subset) and "quick-start"
    (the overview, the first tutorials and what they need within about an hour; a subset).
    Changelog, license and contributing documents are left out of every pathway (the
    descriptions say so) unless nothing else is left.

    `additional_info`: "hands-on"/"practical"/"examples"/"exercise"... puts hands-on first,
    "api"/"reference" the API deep dive, "beginner"/"basics" foundations-first (which then
    leaves out advanced documents, if others remain); several cues rank in the order they are
    written. Its other words are a focus: documents whose key concepts or title hold one come
    as early as their prerequisites allow in foundations-first and hands-on. A `complexity_level`
    of "beginner" ranks foundations-first first too; it also fills in a missing document level.

    Modules: consecutive documents of the same section (a toctree page with its entries, else
    a folder; the overview's own entries are chapters that only share a folder) up to
    `WORD_BUDGET` words and `DOC_BUDGET` documents; a document of `LONG_DOC` words or more
    stands alone. Times: 200 words a minute, plus 2 minutes per code example when a document
    has an int `code_count`, else +50% for tutorials and how-tos; each module rounded up to 5
    minutes, a pathway the sum of its modules.

    No two pathways share a module sequence: a pathway equal to an earlier one is laid out
    again (its alternative order, then modules of at most two documents, then one document
    per module) or dropped. With 3 or more kept documents there are always at least 3
    (fallbacks: folder by folder, one document per module, two per module, one module). With
    2 documents only orders a strategy chose are used (never an arbitrary one): 2 or 3
    pathways differing in order or grouping. With 1 document there is one possible sequence,
    so one pathway; none without documents. Deterministic: same input, same output, whatever
    the order of `documents`.
    """
    default = complexity_level if complexity_level in LEVELS else "intermediate"
    docs = [read_doc(raw, default) for raw in documents]
    kept = [d for d in docs if d.doc_type not in LEFT_OUT] or docs
    if not kept:
        return []
    corpus = Corpus(kept, overview_document)
    left_out = [d for d in docs if d not in kept]
    cues = _note_cues(additional_info or "", complexity_level)
    focus = _focus_of(additional_info or "", corpus.docs)
    strategies = _strategies(corpus, cues, focus, left_out, additional_info or "")
    first = [s for c in cues for s in strategies if s.key == c]
    ranked = first + [s for s in strategies if s not in first]
    reading = corpus.reading
    fallbacks = [
        _strategy("by-folder", [(by_folder(corpus, reading), "")], ("section", "single")),
        _strategy("step-by-step", [(reading, "")], ("single",)),
        _strategy("two-at-a-time", [(reading, "")], ("pairs",)),
        _strategy("one-sitting", [(reading, "")], ("whole",)),
    ]
    seen: set[tuple[tuple[str, ...], ...]] = set()
    out: list[PathwayPlan] = []
    for i, strategy in enumerate(ranked + fallbacks):
        if i >= len(ranked) and len(out) >= 3:
            break
        plan = _first_new(strategy, corpus, seen)
        if plan is not None:
            out.append(plan)
    return out


def _cue_match(key: str, note: str) -> re.Match[str] | None:
    """Where the note first says one of the cue words of pathway `key`."""
    words = sorted(_CUES[key].split("|"), key=len, reverse=True)
    return re.search(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", note.lower())


def _note_cues(note: str, complexity_level: str) -> list[str]:
    """Pathway keys the note asks for, in the order it names them."""
    found = [(m.start(), key) for key in _CUES if (m := _cue_match(key, note))]
    keys = [k for _, k in sorted(found)]
    if complexity_level == "beginner" and "foundations-first" not in keys:
        keys.append("foundations-first")
    return keys


def _stem(word: str) -> str:
    """A crude singular: "retries" -> "retry", "workers" -> "worker"."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def _topics(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z][a-z0-9]+", text.lower()) if plain_word(w)}


def _focus_of(note: str, docs: list[Doc]) -> set[str]:
    """Ids of the documents whose key concepts or title hold a topic word of the note (words
    that are no cue and no filler, compared in a crude singular)."""
    wanted = _topics(note) - _CUE_WORDS - _NOTE_FILLER
    return {d.id for d in docs if wanted & _topics(" ".join([d.title, *d.concepts]))}


def _strategy(
    key: str,
    orders: list[tuple[list[Doc], str]],
    groupings: tuple[str, ...] = ("section", "small", "single"),
    **words: str,
) -> _Strategy:
    """A strategy from `_TEXTS[key]` (filled with `words`): each grouping in turn, each
    (order, note) within it; a layout with smaller modules than planned says so."""
    title, text = _TEXTS[key]
    said = {"small": _SMALL, "single": _ONE} if len(groupings) > 1 else {}
    options = [
        (order, grouping, note + said.get(grouping, ""))
        for grouping in groupings
        for order, note in orders
    ]
    return _Strategy(key, title, text.format(**words), options)


def _strategies(
    corpus: Corpus, cues: list[str], focus: set[str], left_out: list[Doc], note: str
) -> list[_Strategy]:
    """The candidate pathways in default order (see `build_pathways`)."""
    reading = corpus.reading
    skipped = _left_out_note(left_out)
    focused = _FOCUSED if focus else ""
    route = (
        f"“{corpus.root.title}” and its table of contents, then the pages they link to; pages "
        "they never reach come last, by path"
        if corpus.root
        else "the documents by path, each index page followed by its table of contents"
    )
    found = [_strategy("reading-order", [(reading, "")], route=route, skipped=skipped)]
    base, dropped = reading, ""
    if _cue_match("foundations-first", note):
        easy = [d for d in reading if LEVELS[d.level] != "advanced"]
        if easy and len(easy) < len(reading):
            base = easy
            dropped = f" Leaves out {len(reading) - len(easy)} advanced documents for later."
    orders = [(foundations(corpus, base, focus), ""),
              (foundations(corpus, base, focus, by_length=True), _SHORTER)]  # fmt: skip
    found.append(
        _strategy("foundations-first", orders, focused=focused, dropped=dropped, skipped=skipped)
    )
    full = foundations(corpus, reading, focus)
    practice = hands_on(corpus, full)
    if practice is not None:
        kind = "tutorials and how-to guides" if leaders(full)[0].doc_type in LEADERS else (
            "practical guides")  # fmt: skip
        orders = [(practice, ""), (hands_on(corpus, reading) or practice, _PROJECT_ORDER)]
        found.append(_strategy("hands-on", orders, kind=kind, focused=focused, skipped=skipped))
    dive = api_dive(corpus, full, 1 if "api-deep-dive" in cues else 3)
    if dive is not None:
        found.append(_strategy("api-deep-dive", [(dive, "")], rest=str(len(reading) - len(dive))))
    quick = quick_start(corpus, practice or [])
    if quick is not None:
        start = "the first tutorials and what they need"
        start = f"the overview, {start}" if corpus.root in quick else start
        rest = str(len(reading) - len(quick))
        found.append(_strategy("quick-start", [(quick, "")], start=start, rest=rest))
    return found


def _left_out_note(left_out: list[Doc]) -> str:
    names = {"changelog": "the changelog", "license": "the license",
             "contributing": "the contributing guide"}  # fmt: skip
    listed = [names[k] for k in LEFT_OUT if any(d.doc_type == k for d in left_out)]
    if not listed:
        return ""
    joined = " and ".join([", ".join(listed[:-1]), listed[-1]] if len(listed) > 1 else listed)
    verb = "are" if len(listed) > 1 else "is"
    return f" {joined[0].upper()}{joined[1:]} {verb} left out: records of the project, not lessons."


def _first_new(
    strategy: _Strategy, corpus: Corpus, seen: set[tuple[tuple[str, ...], ...]]
) -> PathwayPlan | None:
    """The strategy's first layout whose module sequence no earlier pathway has."""
    for order, grouping, note in strategy.options:
        groups = module_groups(order, corpus, grouping)
        sequence = tuple(tuple(d.id for d in g) for g in groups)
        if not groups or sequence in seen:
            continue
        seen.add(sequence)
        return _plan(strategy, groups, note, corpus)
    return None


def _plan(strategy: _Strategy, groups: list[list[Doc]], note: str, corpus: Corpus) -> PathwayPlan:
    templated = ["title", "description"]
    modules: list[ModulePlan] = []
    used: set[str] = set()
    total = 0
    for n, group in enumerate(groups, 1):
        title, fixed_title = module_title(group, corpus, used)
        description, fixed_text = module_description(group)
        templated += [f"modules[{n}].title"] * fixed_title
        templated += [f"modules[{n}].description"] * fixed_text
        minutes = rounded(sum(d.minutes for d in group))
        total += minutes
        modules.append(
            ModulePlan(
                title, description, n, objectives(group), duration(minutes), [d.id for d in group]
            )
        )
    docs = [d for g in groups for d in g]
    return PathwayPlan(
        key=strategy.key,
        title=strategy.title,
        description=strategy.description + note,
        complexity_level=level_of(docs),
        estimated_duration=duration(total),
        prerequisites=_prerequisites(docs, corpus),
        modules=modules,
        templated=templated,
    )


def _prerequisites(docs: list[Doc], corpus: Corpus) -> list[str]:
    """The documents' prerequisites that the pathway does not itself teach, first few."""
    inside = {d.id for d in docs}
    out: dict[str, str] = {}
    for d in docs:
        for p in d.prerequisites:
            taught = any(m.id in inside for m in corpus.mentions(p))
            if not taught and not codeish(p):
                out.setdefault(p.casefold(), p)
    return list(out.values())[:MAX_PREREQUISITES]
