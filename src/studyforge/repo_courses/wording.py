"""What an offline analysis says about a document, in words taken from the document.

The rules of DESIGN §6 for repository documents: concepts are terms the text defines,
stresses or heads a section with (no code token, stopword or page furniture); objectives come
from section headings ("Installing Flask" -> "Install Flask" only when the verb is known, else
"Understand <noun phrase>", which is the one templated wording); the summary is the lead
sentence and the most central self-contained prose sentences; prerequisites are phrases the
text states ("requires Python 3.9", "familiar with Python", a "Prerequisites" list) and the
documents it links to from a "read this first" context. Code is never read for any of them.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from studyforge.ai.offline.terms import (
    VERBS,
    code_like,
    defined_terms,
    key_terms,
    strip_numbering,
    verb_form,
)
from studyforge.ai.offline.text import STOPWORDS, central_sentences, content_words, split_sentences
from studyforge.documents.blocks import Block
from studyforge.repo_courses.structure import DocStructure

MAX_CONCEPTS, MAX_OBJECTIVES, MIN_OBJECTIVES, MAX_RELATED = 8, 6, 3, 15
UNDERSTAND = "Understand "  # the templated objective's fixed wording
NOT_TAUGHT = ("changelog", "license", "other")  # no concepts or objectives are read from these

_FURNITURE_TEXT = """
    note notes see also see table of contents contents introduction overview summary
    conclusion next steps what's next whats next further reading references reference examples
    example usage acknowledgements acknowledgments credits license licence changelog changes
    faq index api api reference appendix glossary footnotes links resources donate
    contributing support community indices and tables related todo to do tip warning
    getting started quickstart quick start tutorial welcome documentation docs about
    installation install requirements prerequisites screencast video miscellaneous misc
    page pages other more basics general random remarks information primer odds ends first
    look complete practical technical topics details tips tricks things simple quick short
    brief full detailed small"""
_FURNITURE = frozenset(_FURNITURE_TEXT.split())
_FURNITURE_PHRASES = {
    "see also", "table of contents", "next steps", "what's next", "further reading",
    "api reference", "indices and tables", "getting started", "quick start", "to do",
    "user's guide", "user guide", "release notes", "additional notes", "read more",
}  # fmt: skip
_TEACH_VERBS_TEXT = """
    install configure deploy debug build write create add handle register define use set
    make keep connect design extend customize customise manage migrate upgrade package publish
    serve render validate secure log monitor test run call pass read load save query import
    export share organize organise structure document translate generate schedule cache
    authenticate authorize protect host scale store send process access switch nest group
    prompt wrap match filter map sort merge split format style escape override subclass
    inherit decorate invoke bind mount route redirect upload download stream fetch update
    delete insert select join profile trace catch raise handle report commit push pull clone
    enable disable initialize initialise stop restart open close append rename copy convert
    encode decode compress extract transform localize plan train evaluate embed index search
    sign verify encrypt hash work serialize serialise deserialize calculate construct emit
    apply"""
_TEACH_VERBS = frozenset(_TEACH_VERBS_TEXT.split())
_LABEL = re.compile(r"^(?:Note|Warning|Tip|Hint|Important|Caution|Attention|Danger|Error|"
                    r"See also|To do|New in version|Changed in version|Deprecated)\b")  # fmt: skip
_POINTER = re.compile(
    r"^(?:see|refer|read|check out|continue|click (?:on|here|the)|go to|visit|follow|head|jump|"
    r"take a look|for more|more information)\b|\bplease\b|\b(?:below|above|the following|"
    r"as follows|shown here|this example|here is|here's|previous|earlier)\b|https?://|\b[\w-]+/[\w./-]+\b",
    re.I,
)
# Verbs as often nouns: "Test Coverage", "Log Messages" are topics unless an object follows.
_NOUNS_TOO_TEXT = """
    test set use run support start change return store work form point release place order
    drop end force lead type design structure document process access host plan index search
    report cache log query package map filter match sort style format stream group prompt
    switch hash sign train profile trace catch update upgrade import export share scale copy
    rest view route mount call pass read load save handle record list debug build register"""
_NOUNS_TOO = frozenset(_NOUNS_TOO_TEXT.split())
_CODE_WORDS = frozenset({"self", "cls", "none", "true", "false", "def", "lambda", "yield",
                         "kwargs", "args", "null", "nil", "undefined", "str", "int", "dict",
                         "var"})  # fmt: skip
_EDGE_WORDS = frozenset({"since", "until", "unless", "whether", "although", "though", "via", "per",
                         "like", "onto", "upon", "toward", "towards", "anything", "everything",
                         "something", "nothing", "everyone", "someone"})  # fmt: skip
_DETERMINERS = frozenset({"the", "a", "an", "your", "our", "my", "its", "their", "this", "these",
                          "it", "up"})  # fmt: skip
# A sentence leaning on its neighbours: opening with a connective, or pointing back early on.
_DEICTIC = re.compile(
    r"^(?:also|however|but|and|or|so|then|instead|otherwise|now|here|there|in addition|"
    r"additionally|furthermore|moreover|likewise|similarly|until now|so far)\b|"
    r"\bfor (?:instance|example)\b|"
    r"^(?:\S+\s+){0,5}(?:this|these|that|those|it|its|they|their|them|such|he|she)\b(?!\s+(?:page|document|"
    r"section|tutorial|guide|chapter|library|package|project|part|document\w*)\b)",
    re.I,
)
_CONDITION = re.compile(r"^(?:if|unless|when|whenever|once|while|although)\b", re.I)
_STATEMENT = re.compile(r"^(?:import \w|from [\w.]+ import |def \w+\(|class \w+[(:]|@\w|\$ \w)")
_LEAD_IN = re.compile(r"^(?:list of|overview of|introduction to|summary of|more on)\s+", re.I)
VERSION = re.compile(r"^(?:version|release|v)?\s*\d+(?:\.\d+)+\b", re.I)
STEP = re.compile(r"^(?:step\s+\d+\b\s*[:.\-\u2013\u2014]?\s*|\d+[.)]\s+)", re.I)


# --- reading the structure --------------------------------------------------------------------


def item_texts(block: Block) -> list[str]:
    """A list block's items without their markers."""
    return [re.sub(r"^\s*(?:[-*+]|\d+\.)\s*", "", x) for x in block.text.split("\n") if x.strip()]


def teaching_text(structure: DocStructure) -> list[str]:
    """Prose paragraphs and list items: the words a reader reads (no code, headings, tables,
    nor code a reader did not recognise as such: the body of an unknown directive)."""
    out: list[str] = []
    for block in structure.blocks:
        if block.kind == "prose" and not _STATEMENT.match(block.text):
            out.append(block.text)
        elif block.kind == "list":
            out.extend(item_texts(block))
    return out


def word_count(structure: DocStructure) -> int:
    """Words of prose and list items; code, headings and tables do not count."""
    return sum(len(t.split()) for t in teaching_text(structure))


def _stem(word: str) -> str:
    return re.sub(r"(?:ies|es|s)$", "", word.lower())


@functools.lru_cache(maxsize=4)
def _casing(prose: str) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """How often the prose writes each word in lower case, capitalised mid-sentence, and
    capitalised anywhere (code spans left out)."""
    plain = re.sub(r"`[^`]*`", " ", prose)
    return (Counter(re.findall(r"\b[a-z][\w'-]*", plain)),
            Counter(re.findall(r"(?<=[a-z,;] )[A-Z][\w'-]*", plain)),
            Counter(re.findall(r"\b[A-Z][\w'-]*", plain)))  # fmt: skip


def _reader_case(text: str, prose: str) -> str:
    """Heading words as prose writes them inside a sentence: a Title Case heading's words
    lower-cased ("Application Setup" -> "application setup"), else only the first word.
    Acronyms stay, and so do names: words the prose capitalises mid-sentence more often than
    not ("Flask"), or capitalises and never writes in lower case ("Widgetry")."""
    words = text.split()
    lower, inside, anywhere = _casing(prose)
    long = [w for w in words if len(w) > 3 and w[:1].isalpha() and w.lower() not in STOPWORDS]
    title_case = bool(long) and all(w[:1].isupper() for w in long)
    out = []
    for i, w in enumerate(words):
        low = lower[w.lower()]
        name = (w.isupper() and len(w) > 1) or inside[w] > low or (anywhere[w] and not low)
        if w in ("A", "An", "The") or (not name and w[:1].isupper() and w[1:].islower()
                                        and (title_case or i == 0)):  # fmt: skip
            w = w.lower()
        out.append(w)
    return " ".join(out)


def topic(heading: str) -> str:
    """A heading's topic: numbering and "Step 2:" dropped, the last part of "A - B" / "A: B"."""
    text = re.split(r"\s[-\u2013\u2014]\s|:\s", STEP.sub("", strip_numbering(heading)))[-1]
    text = _LEAD_IN.sub("", text.strip()).rstrip("!").strip()
    return text[:1].upper() + text[1:]


def _furniture(text: str) -> bool:
    """Page furniture ("See also", "Screencast and Examples"), not a topic."""
    low = text.lower().strip(" :")
    words = content_words(low)
    return low in _FURNITURE_PHRASES or not words or all(w in _FURNITURE for w in words)


def _base_verb(word: str, vocabulary: set[str]) -> str | None:
    """The base form of a gerund ("Installing" -> "install") when it is a known verb or the
    document writes it; None otherwise."""
    w = word.lower()
    if not w.endswith("ing") or len(w) < 6:
        return None
    stem = w[:-3]
    for base in (stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else ""):
        if base and (base in VERBS or base in _TEACH_VERBS or base in vocabulary):
            return base
    return None


def _imperative(words: list[str]) -> bool:
    """An instruction: a verb then its object ("Test the application", "Name your options";
    "Test Coverage" is a noun phrase)."""
    first, rest = words[0].lower(), [w.lower() for w in words[1:]]
    if rest and rest[0] in _DETERMINERS and first not in STOPWORDS and not first.endswith("s"):
        return True
    if not rest or (first not in VERBS and first not in _TEACH_VERBS):
        return False
    return first not in _NOUNS_TOO or rest[0] in STOPWORDS


def _noun_phrase(topic: str, vocabulary: set[str]) -> bool:
    words = topic.split()
    if not 1 <= len(words) <= 6 or topic[-1:] in "?:." or code_like(topic) or "`" in topic:
        return False
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):  # "The Routing System"
        words = words[1:]
    first = words[0].lower()
    if first in STOPWORDS or _base_verb(first, vocabulary) or _imperative(words):
        return False
    if any(w.lower() in ("you", "your", "we", "our", "my", "i") for w in words):
        return False
    return not any(verb_form(w, inflected_only=True) for w in words[1:])


def _body_sections(structure: DocStructure) -> list[tuple[int, str, int]]:
    """(level, topic, words in it and its subsections) of the sections below the title."""
    out = []
    for s in structure.sections:
        if s.level and s.title != structure.title:
            size = sum(
                len(b.text.split())
                for x in structure.sections
                for b in x.blocks
                if (x.heading + " > ").startswith(s.heading + " > ")
            )
            out.append((s.level, topic(s.title), size))  # fmt: skip
    return out


# --- concepts, objectives, summary, prerequisites ---------------------------------------------


def _matches(term: str, note_stems: set[str]) -> bool:
    return bool({_stem(w) for w in content_words(term)} & note_stems)


def _overlaps(term: str, chosen: Iterable[str]) -> bool:
    """`term` is a chosen term or a part of one, as whole words ("request" after "request
    object"); a longer term holding a chosen one ("widget lifecycle" after "widget") is new."""
    key = f" {term.lower()} "
    return any(key in f" {c.lower()} " for c in chosen)


def key_concepts(structure: DocStructure, note: str | None) -> tuple[list[str], list[str]]:
    """Up to MAX_CONCEPTS concepts and the further terms left over. Candidates are the
    offline key terms (defined, in a heading, recurring) then noun-phrase headings; a lone
    common word that is not defined ("name", "values") goes after the phrases and names;
    concepts matching the user's note come first."""
    texts = teaching_text(structure)
    prose = " ".join(texts)
    vocabulary = set(re.findall(r"\b[a-z]+\b", prose.lower()))
    heads = [s.title for s in structure.sections if s.level]
    terms = key_terms("\n\n".join(texts), heads, limit=3 * MAX_CONCEPTS)
    defined = {t.lower() for t in defined_terms(s.text for t in texts for s in split_sentences(t))}
    topics = [_reader_case(re.sub(r"^(?:the|an?)\s+(?=\S+\s)", "", t, flags=re.I), prose)
              for _, t, _ in _body_sections(structure)]  # fmt: skip
    candidates: list[str] = []
    for term in [*terms, *(t for t in topics if _noun_phrase(t, vocabulary))]:
        if _furniture(term) or code_like(term) or term.lower() == structure.title.lower():
            continue
        if {term.split()[0].lower(), term.split()[-1].lower()} & _EDGE_WORDS:
            continue
        if term.lower() in _CODE_WORDS:
            continue
        if " " in term and _imperative(term.split()):  # "install Flask" is a step, not a concept
            continue
        if not _overlaps(term, candidates):
            candidates.append(term)
    counts = Counter(w.lower() for w in re.findall(r"[\w'-]+", prose))
    strong = [t for t in candidates if " " in t or t.lower() in defined or t[:1].isupper()]
    weak = [t for t in candidates if t not in strong and counts[t.lower()] >= 3]
    candidates = strong + weak
    stems = {_stem(w) for w in content_words(note or "")}
    ranked = sorted(candidates, key=lambda t: not _matches(t, stems)) if stems else candidates
    return ranked[:MAX_CONCEPTS], ranked[MAX_CONCEPTS:]


def _objective(topic: str, vocabulary: set[str], prose: str) -> tuple[str, bool] | None:
    """An objective from a section topic and whether it is templated; None if no safe one."""
    how = re.match(r"^how (?:to|do (?:i|you))\s+(.+?)\??$", topic, re.I)
    text = how.group(1) if how else topic
    words = text.split()
    if not words or code_like(text) or "`" in text or _furniture(text) or VERSION.match(text):
        return None
    if text.endswith("?") or "'" in words[0]:  # a question is not an objective
        return None
    core = re.sub(r"^(?:the|an?)\s+", "", text, flags=re.I)
    if len(core.split()) > 1 and re.search(
        rf"\b(?:the|an?|its|this)\s+{re.escape(core)}\b", prose, re.I
    ):  # "the routing system": a noun phrase
        return UNDERSTAND + "the " + _reader_case(core, prose), True
    base = _base_verb(words[0], vocabulary) if len(words) > 1 else None
    if base and _furniture(" ".join(words[1:])):  # "Sorting Basics" names a topic
        base = None
    if base or _imperative(words) or (how and words[0].lower() in VERBS | _TEACH_VERBS):
        rest = _reader_case(" ".join(words[1:]), prose).split() if words[1:] else []
        if base:  # "Raising and Handling Exceptions" -> "Raise and handle exceptions"
            rest = [(_base_verb(w, vocabulary) or w) if i and rest[i - 1] in ("and", "or") else w
                    for i, w in enumerate(rest)]  # fmt: skip
        verb = base or words[0]
        return f"{verb[:1].upper()}{verb[1:].lower()} {' '.join(rest)}".strip(), False
    if _noun_phrase(text, vocabulary):
        return UNDERSTAND + _reader_case(text, prose), True
    return None


def objectives(
    structure: DocStructure, kind: str, concepts: list[str]
) -> tuple[list[str], list[int]]:
    """3-6 objectives from the section headings (the biggest sections, in source order),
    topped up with "Understand <concept>", and the positions of the templated ones; none
    for a changelog, licence or empty document."""
    if kind in NOT_TAUGHT:
        return [], []
    prose = " ".join(teaching_text(structure))
    vocabulary = set(re.findall(r"\b[a-z]+\b", prose.lower()))
    found: list[tuple[int, int, int, str, bool]] = []
    for order, (level, topic, size) in enumerate(_body_sections(structure)):
        made = _objective(topic, vocabulary, prose)
        if made and made[0].lower() not in {f[3].lower() for f in found}:
            found.append((level, -size, order, *made))
    levels = sorted({f[0] for f in found})
    pool = [f for f in found if f[0] == levels[0]] if levels else []
    if len(pool) < MIN_OBJECTIVES and len(levels) > 1:
        pool += [f for f in found if f[0] == levels[1]]
    chosen = sorted(sorted(pool, key=lambda f: f[1])[:MAX_OBJECTIVES], key=lambda f: f[2])
    out = [(f[3], f[4]) for f in chosen]
    for concept in concepts:
        if len(out) >= MIN_OBJECTIVES:
            break
        text = UNDERSTAND + concept
        if not any(_bare(text) == _bare(o) for o, _ in out):
            out.append((text, True))
    return [o for o, _ in out], [i for i, (_, t) in enumerate(out) if t]


def _bare(objective: str) -> str:
    """An objective compared without case or articles ("Understand a simple example")."""
    return re.sub(r"\b(?:the|an?)\s+", "", objective.lower())


def _summary_candidates(structure: DocStructure) -> list[str]:
    """Prose sentences fit for a summary: complete, not code, a label or a pointer."""
    out: list[str] = []
    for block in (b for b in structure.blocks if b.kind == "prose"):
        for s in split_sentences(block.text):
            text = s.text
            if (
                4 < len(text.split()) <= 60 and text[:1].isupper()
                and text.rstrip("\"')")[-1:] == "."
                and not code_like(text) and not _LABEL.match(text) and not _POINTER.search(text)
            ):  # fmt: skip
                out.append(text)
    return out


def _instruction(sentence: str) -> bool:
    """An instruction to the reader: an imperative first ("Be sure to check ...") or after an
    opening clause ("To run it, use ...", "Before you begin, read ...")."""
    verbs = VERBS | _TEACH_VERBS | {"be", "don't", "do", "try"}
    if sentence.split()[0].lower().strip(",") in verbs:
        return True
    opening, _, rest = sentence.partition(", ")
    return bool(rest) and len(opening.split()) <= 8 and rest.split()[0].lower() in verbs


def summary(structure: DocStructure) -> str:
    """The lead sentence (documents say what they are about first) and the one or two most
    central sentences after it, in order, about 80 words at most. Only self-contained
    statements count: no connective or back-reference opening, instruction or condition;
    sentences with inline code only when there are too few others."""
    candidates = _summary_candidates(structure)
    sentences = [s for s in candidates if not _DEICTIC.search(s) and not _instruction(s)
                 and not _CONDITION.match(s)]  # fmt: skip
    if not sentences:
        return ""
    lead = next((s for s in sentences[:3] if "`" not in s), sentences[0])
    sentences = [lead, *(s for s in sentences if s is not lead)]
    plain = [i for i in range(1, len(sentences)) if "`" not in sentences[i]]
    rest = plain if len(plain) >= 2 else list(range(1, len(sentences)))
    picked = [rest[i] for i in central_sentences([sentences[i] for i in rest], 2)]
    while picked and sum(len(sentences[i].split()) for i in [0, *picked]) > 80:
        picked.pop()
    return " ".join(sentences[i] for i in [0, *picked])


def unique(items: Iterable[str]) -> list[str]:
    """Items in order, the first of each case-insensitive spelling."""
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return list(seen.values())
