"""Cutting an ordered list of documents into modules, and the words and times of a module.

`module_groups` makes the modules; `module_title`, `module_description` and `objectives` take
their words from the documents (titles, section heads, folder names, summaries, learning
objectives), falling back to fixed wording that the caller marks as templated; `level_of`,
`rounded` and `duration` state a level and times.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter

from studyforge.ai.offline.terms import code_like
from studyforge.ai.offline.text import STOPWORDS, split_sentences
from studyforge.repo_courses.analysed import LEVELS, Doc
from studyforge.repo_courses.ordering import Corpus

WORD_BUDGET = 4000  # a module holds at most this many words ...
DOC_BUDGET = 4  # ... and this many documents,
LONG_DOC = 2000  # and a document this long is a module of its own.
MAX_OBJECTIVES = 5
_DASHES = ":-\u2013\u2014,."
_GENERIC_FOLDERS = {"", "docs", "doc", "documentation", "source", "src", "content", "pages", "site"}


def module_groups(order: list[Doc], corpus: Corpus, grouping: str) -> list[list[Doc]]:
    """Modules' documents. "section": consecutive documents of one `Corpus.section` up to
    `WORD_BUDGET` words and `DOC_BUDGET` documents, a `LONG_DOC` alone; "small": the same with
    half the budgets; "single": one document each; "pairs": two each; "whole": one module."""
    if grouping == "single":
        return [[d] for d in order]
    if grouping == "pairs":
        return [order[i : i + 2] for i in range(0, len(order), 2)]
    if grouping == "whole":
        return [list(order)] if order else []
    share = 2 if grouping == "small" else 1
    groups: list[list[Doc]] = []
    for d in order:
        last = groups[-1] if groups else []
        if (
            last
            and corpus.section(d) == corpus.section(last[0])
            and len(last) < DOC_BUDGET // share
            and max(x.words for x in [*last, d]) < LONG_DOC // share
            and sum(x.words for x in last) + d.words <= WORD_BUDGET // share
        ):
            last.append(d)
        else:
            groups.append([d])
    return groups


def module_title(group: list[Doc], corpus: Corpus, used: set[str]) -> tuple[str, bool]:
    """(title, templated): one document's title; else the section's head page, the titles'
    shared opening words, the name of the folder they make up, a key concept most of them
    share; else the titles joined. A title used earlier in the pathway gets its first other
    title added."""
    fixed = False
    sections = {corpus.section(d) for d in group}
    head = corpus.section_head(sections.pop()) if len(sections) == 1 else None
    folders = {d.folder for d in group}
    # The folder names the group only when the group is the whole folder ("Concepts"), not
    # two pages of a tutorial's ten.
    whole = len(folders) == 1 and all(d in group for d in corpus.docs if d.folder in folders)
    folder = _folder_words(folders.pop()) if whole else ""
    names = [d.title for d in group]
    if len(group) == 1:
        title = names[0]
    elif head is not None:
        title = head.title
    else:
        concept = _shared_concept(group) if len(group) > 2 else ""
        title = _shared_opening(names) or folder or concept
    if not title:
        glue = "; " if any(" and " in n for n in names) else ", "
        title = glue.join(names[:-1]) + (glue if glue == "; " else " and ") + names[-1]
        if len(title) > 70:
            title, fixed = f"{names[0]}{glue}{names[1]} and {len(names) - 2} more", True
    if title.casefold() in used:
        other = next((n for n in names if n.casefold() != title.casefold()), "")
        title = f"{title}: {other}" if other else title
    used.add(title.casefold())
    return title, fixed


def _folder_words(folder: str) -> str:
    """A folder's name as words ("docs/user-guide" -> "User guide"); "" for a bare docs root."""
    name = re.sub(r"^\d+[-_. ]+", "", folder.rsplit("/", 1)[-1]).replace("-", " ").replace("_", " ")
    if name.strip().lower() in _GENERIC_FOLDERS or code_like(name):
        return ""
    return name.strip()[:1].upper() + name.strip()[1:]


def _shared_opening(titles: list[str]) -> str:
    """The words every title opens with ("Tutorial: Step 1", "Tutorial: Step 2" -> "Tutorial"),
    without a trailing stopword or punctuation."""
    common = posixpath.commonprefix([t.casefold().split() for t in titles])
    words = titles[0].split()[: len(common)]
    while words and words[-1].strip(_DASHES).casefold() in {*STOPWORDS, ""}:
        words.pop()
    text = " ".join(words).strip(_DASHES + " ")
    return "" if code_like(text) else text


def _shared_concept(group: list[Doc]) -> str:
    """A key concept every document of the group holds, as first written."""
    counts = Counter(c for d in group for c in d.ideas)
    best = [c for c, n in counts.most_common() if n == len(group)]
    if not best:
        return ""
    written = next(c for d in group for c in d.concepts if c.casefold() == best[0])
    return written[:1].upper() + written[1:]


def module_description(group: list[Doc]) -> tuple[str, bool]:
    """The first sentence of the longest document's summary (that is prose), else fixed."""
    for d in sorted(group, key=lambda d: -d.words):
        sentences = [s.text for s in split_sentences(d.summary)]
        if sentences and not code_like(sentences[0]):
            return sentences[0], False
    return "Reading: " + "; ".join(d.title for d in group) + ".", True


def objectives(group: list[Doc]) -> list[str]:
    """The documents' learning objectives, one from each in turn, deduplicated."""
    out: dict[str, str] = {}
    depth = max((len(d.objectives) for d in group), default=0)
    for i in range(depth):
        for d in group:
            if i < len(d.objectives):
                out.setdefault(d.objectives[i].casefold(), d.objectives[i])
    return list(out.values())[:MAX_OBJECTIVES]


def level_of(docs: list[Doc]) -> str:
    """The word-weighted mean level of the documents, rounded half up."""
    weight = sum(max(d.words, 1) for d in docs)
    mean = sum(d.level * max(d.words, 1) for d in docs) / weight
    return LEVELS[min(len(LEVELS) - 1, math.floor(mean + 0.5))]


def rounded(minutes: float) -> int:
    return max(5, 5 * math.ceil(minutes / 5 - 1e-9))


def duration(minutes: int) -> str:
    """ "3 hours 20 minutes", "1 hour", "45 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    parts += [f"{rest} minute{'s' * (rest != 1)}"] if rest or not hours else []
    return " ".join(parts)
