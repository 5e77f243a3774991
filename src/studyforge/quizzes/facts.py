"""Facts a question may ask about, read from the sources: self-contained prose sentences, the
words in them that could be asked for (terms, names, numbers), and how central each one is.

A fact is a full prose sentence (never code, a list fragment, a heading or a caption) that
stands on its own: it does not open with a pronoun or a connective ("This", "However"), does
not point at an example ("the following", "as you can see"), and holds at least one key. Keys
are the offline engine's key terms (`ai.offline.terms`: defined, in a heading, recurring), then
other noun phrases, names, acronyms, years and counts. The pool of every key by kind is where
distractors and swapped-in words come from, so they are of the same kind and from the sources.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studyforge.ai.offline.terms import VERBS, code_like, defined_terms, key_terms, strip_numbering
from studyforge.ai.offline.text import central_sentences, split_sentences
from studyforge.quizzes.words import (
    NOT_NAMES,
    TOKEN,
    contains,
    generic,
    names,
    norm,
    noun_phrases,
    numbers,
    word_set,
)

Source = dict[str, Any]
MAX_SENTENCES = 800  # statements read, at most (spread over the sources)
STRENGTH = {"defined": 3.0, "heading": 2.5, "key": 2.0, "name": 1.3, "acronym": 1.3,
            "year": 1.2, "date": 1.2, "count": 1.0, "term": 0.8}  # fmt: skip
_NOT_SELF_CONTAINED = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|them|such|here|there|he|she|his|her|both|"
    r"then|also|however|but|and|or|so|thus|hence|otherwise|instead|finally|again|now|still|"
    r"likewise|similarly|yet|first|second|next|lastly)\b",
    re.I,
)
_DEICTIC = re.compile(
    r"\b(?:following|above|below|this example|the example|these examples|as you can see|"
    r"shown|see also|for example|for instance|e\.g\.|i\.e\.|previous|aforementioned|"
    r"this code|this section|this chapter|this tutorial|this document|this guide|this howto|"
    r"this page|this article|later|until now|so far|for more (?:information|details)|"
    r"(?-i:see [A-Z])|(?:one|some|each|many|most|all) of (?:its|their)|"
    r"(?:this|these|that|those) (?:purpose|way|case|code|method|reason|point))\b",
    re.I,
)
_PERSONAL = re.compile(r"\b(?:you|your|we|our|us|I)\b")
_INSTRUCTIONS = word_set(
    "note insert append extend sort reverse pop clear copy count index delete add remove return "
    "call pass try see notice"
)
# What follows an imperative verb: its object ("Return the number", "Use `deque`"), where a
# noun phrase would go on with a noun ("Flow control uses a sliding window").
_OBJECT_OPENERS = word_set(
    "the a an all any each every this that these those it them its one x how"
)


@dataclass(frozen=True)
class Key:
    """A word or phrase of a sentence that a question may ask for."""

    text: str
    kind: str  # term | name | acronym | year | count
    strength: float


@dataclass
class Fact:
    """A sentence that can be asked about, where it is, and what in it can be asked."""

    index: int
    source: int
    sentence: str
    start: int  # in the document's text
    end: int
    keys: list[Key]
    defines: str | None = None
    score: float = 0.0


@dataclass
class Candidate:
    """A key of the pool: its surface form, kind and the sources it occurs in."""

    text: str
    kind: str
    sources: set[int] = field(default_factory=set)
    count: int = 0
    strong: bool = False  # recurring, defined, in a heading or a key term of the text


def _statements(source: Source) -> list[tuple[str, int, int]]:
    """(sentence, start, end) in the document of a prose or list source."""
    if source.get("kind", "prose") not in ("prose", "list"):
        return []
    base = int(source.get("start") or 0)
    text = source["text"]
    out = []
    for s in split_sentences(text):
        sentence = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", "", s.text) if source.get(
            "kind") == "list" else s.text  # fmt: skip
        if sentence.endswith(".") and not code_like(sentence):
            out.append((sentence, base + s.start, base + s.end))
    return out


def _inside(key: Key, other: Key) -> bool:
    """Whether `key` is part of a longer key of its kind (or of a term)."""
    longer = len(other.text) > len(key.text) and contains(other.text, key.text)
    return longer and other.kind in ("term", key.kind)


def _imperative(sentence: str) -> bool:
    """Whether the sentence opens with a bare verb ("Return the number of times x appears"):
    an instruction or a method's summary, whose subject is somewhere else."""
    words = sentence.lower().split()[:2]
    return (
        len(words) == 2
        and (words[0] in VERBS or words[0] in _INSTRUCTIONS)
        and (words[1] in _OBJECT_OPENERS or words[1].startswith("`"))
    )


def _self_contained(sentence: str) -> bool:
    words = len(sentence.split())
    return (
        7 <= words <= 32
        and not _NOT_SELF_CONTAINED.match(sentence)
        and not _imperative(sentence)
        and not _DEICTIC.search(sentence)
        and sentence[:1].isupper()
        and ">>>" not in sentence
    )


class Material:
    """The sources of one quiz, read once: facts, the key pool and source similarities."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.lowered = [" ".join(s["text"].split()).casefold() for s in sources]
        statements = [(s["index"], *st) for s in sources for st in _statements(s)]
        if len(statements) > MAX_SENTENCES:
            step = len(statements) / MAX_SENTENCES
            statements = [statements[int(i * step)] for i in range(MAX_SENTENCES)]
        texts = [t for _, t, _, _ in statements]
        self._texts = texts
        pairs: dict[tuple[str, str], int] = {}
        for text in texts:
            lowered = [t.lower() for t in TOKEN.findall(text)]
            for a, b in itertools.pairwise(lowered):
                if a.endswith("ly") and b.isalpha():
                    pairs[a, b] = pairs.get((a, b), 0) + 1
        self.adverbs = frozenset(a for (a, _), n in pairs.items() if n >= 3)
        headings = list(dict.fromkeys(strip_numbering((s.get("heading") or "").rsplit(" > ")[-1])
                                      for s in sources if s.get("heading")))  # fmt: skip
        self.defined = {norm(t): t for t in defined_terms(texts)}
        self.heading_terms = {norm(p) for h in headings for p in noun_phrases(h + ".")} | {
            norm(h) for h in headings}  # fmt: skip
        self.key_terms = {norm(t): t for t in key_terms(" ".join(texts), headings, limit=80)}
        proper = {t for text in texts for t in TOKEN.findall(text)[1:] if t[:1].isupper()}
        self.pool: dict[str, dict[str, Candidate]] = {}
        found = [self._keys(text, proper) for text in texts]
        for (index, text, _, _), keys in zip(statements, found, strict=True):
            for key in keys:
                surface = key.text
                if key.kind == "term" and text.startswith(surface) and surface[1:2].islower():
                    surface = surface[:1].lower() + surface[1:]  # capitalised as the opening
                c = self.pool.setdefault(key.kind, {}).setdefault(norm(key.text), Candidate(
                    surface, key.kind))  # fmt: skip
                c.sources.add(index)
                c.count += 1
        for kind, candidates in self.pool.items():
            for n, c in candidates.items():
                c.strong = (
                    kind != "term"
                    or c.count > 1
                    or n in self.defined
                    or (n in self.heading_terms or n in self.key_terms)
                )
        self.similarity = _similarity(sources)
        self.facts = self._facts(statements, found)

    def _keys(self, sentence: str, proper: set[str]) -> list[Key]:
        keys: dict[str, Key] = {}
        for text, kind in [*numbers(sentence), *names(sentence, proper)]:
            keys.setdefault(norm(text), Key(text, kind, STRENGTH[kind]))
        first = TOKEN.findall(sentence)[:1]
        for found in noun_phrases(sentence, self.adverbs):
            phrase = found.split(" ", 1)[1] if generic(found) and " " in found else found
            if generic(phrase):
                continue  # "useful data type" is asked as "data type"; "useful" not at all
            n = norm(phrase)
            if n in keys:
                continue
            if phrase in NOT_NAMES or (phrase.endswith("ly") and " " not in phrase):
                continue
            if all(w[:1].isupper() for w in phrase.split()) and phrase.split()[0] != first[0]:
                keys[n] = Key(phrase, "name", STRENGTH["name"])
                continue
            kind = ("defined" if n in self.defined else "heading" if n in self.heading_terms
                    else "key" if n in self.key_terms else "term")  # fmt: skip
            if kind == "term" and len(phrase) < 4:
                continue
            if (
                kind == "term"
                and phrase[:1].isupper()
                and phrase.split()[0] == first[0]
                and not any(contains(t, phrase) and not t.startswith(phrase) for t in self._texts)
            ):
                continue  # capitalised at the start only: a name or a common word, unknown
            keys[n] = Key(phrase, "term", STRENGTH[kind])
        # A name inside a longer term is that term ("Calvin" in "Calvin cycle").
        every = list(keys.values())
        return [k for k in every if not any(_inside(k, o) for o in every)]

    def _facts(
        self, statements: list[tuple[int, str, int, int]], found: list[list[Key]]
    ) -> list[Fact]:
        texts = [t for _, t, _, _ in statements]
        central = set(central_sentences(texts, max(1, len(texts) // 3)))
        centrality = self._source_centrality()
        facts: list[Fact] = []
        seen: set[str] = set()
        for i, ((index, text, start, end), keys) in enumerate(zip(statements, found, strict=True)):
            keys = [k for k in keys if self._askable(k)]
            if not keys or not _self_contained(text) or text.casefold() in seen:
                continue
            seen.add(text.casefold())
            defines = next(iter(defined_terms([text])), None)
            score = max(k.strength for k in keys) + 0.8 * (i in central)
            score += 0.5 * centrality[index] - 0.7 * bool(_PERSONAL.search(text))
            facts.append(Fact(len(facts), index, text, start, end, keys, defines, score))
        return facts

    def _askable(self, key: Key) -> bool:
        """Names and numbers, and terms that recur, are stressed, or are long enough to be
        more than a common word."""
        if key.kind != "term":
            return True
        recurring = self.pool["term"][norm(key.text)].count > 1
        return recurring or key.strength > STRENGTH["term"] or " " in key.text or len(key.text) >= 6

    def _source_centrality(self) -> list[float]:
        """Each source's rank (0..1) by similarity to the centroid of all of them."""
        n = len(self.sources)
        if self.similarity is None or n < 2:
            return [0.5] * n
        mean = self.similarity.mean(axis=1)
        order = np.argsort(np.argsort(mean))
        return [float(r) / (n - 1) for r in order]

    def stressed(self, text: str) -> bool:
        """Whether the text defines the word, heads a section with it or has it as a key term."""
        n = norm(text)
        return n in self.defined or n in self.heading_terms or n in self.key_terms

    def closeness(self, a: int, b: int) -> float:
        """Cosine similarity of two sources (0.0 without vectors)."""
        return 0.0 if self.similarity is None else float(self.similarity[a, b])

    def asserted(self, statement: str) -> bool:
        """Whether some source states exactly this (ignoring case and spacing)."""
        key = " ".join(statement.split()).casefold().rstrip(".")
        return any(key in text for text in self.lowered)


def _similarity(sources: list[Source]) -> np.ndarray | None:
    vectors = [s["vector"] for s in sources if s.get("vector") is not None]
    if not vectors or len(vectors) < len(sources) or len({len(v) for v in vectors}) != 1:
        return None
    matrix = np.vstack(vectors).astype(np.float32)
    return np.asarray(matrix @ matrix.T)
