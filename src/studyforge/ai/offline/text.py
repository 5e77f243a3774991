"""Extractive text tools for the offline engine: sentences, key phrases, central sentences.

Nothing here generates wording: every output is a span copied from the input.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just
may me might more most must my no nor not now of off on once only or other our ours out over
own same shall she should so some such than that the their theirs them then there these they
this those through to too under until up upon us very was we were what when where which
while who whom why will with within without would you your yours one two use used using e.g
i.e etc however thus therefore
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# A sentence ends at . ! or ? before a capital or a digit, but not after an initial ("Randal
# L. Schwartz").
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*[A-Za-z0-9]|[A-Za-z]")


@dataclass(frozen=True)
class Sentence:
    """A sentence and its character span in the text it was split from."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences (and bare lines such as headings or list items) with their spans."""
    out: list[Sentence] = []
    for base, chunk in _runs(text):
        pos = 0
        for match in [*_SENTENCE_END.finditer(chunk), None]:
            stop = match.start() if match else len(chunk)
            piece = chunk[pos:stop]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                start = base + pos + lead
                out.append(Sentence(" ".join(stripped.split()), start, start + len(stripped)))
            pos = match.end() if match else pos
    return out


def _runs(text: str) -> list[tuple[int, str]]:
    """Paragraphs split further at heading-like lines: (offset, text) pieces."""
    runs: list[tuple[int, str]] = []
    for block in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        start = block.start()
        lines = block.group().split("\n")
        offset = start
        for i, line in enumerate(lines):
            end_of_line = offset + len(line)
            if i + 1 < len(lines) and _heading_like(line, lines[i + 1]):
                if offset > start:
                    runs.append((start, text[start : offset - 1]))
                runs.append((offset, line))
                start = end_of_line + 1
            offset = end_of_line + 1
        if start < block.end():
            runs.append((start, text[start : block.end()]))
    return runs


def _heading_like(line: str, following: str) -> bool:
    """A short capitalised line without closing punctuation (not a wrapped sentence)."""
    tokens = line.split()
    if not 0 < len(tokens) <= 8 or not tokens[0][:1].isupper():
        return False
    if following.lstrip()[:1].islower():  # the sentence goes on
        return False
    if line.rstrip().endswith((".", "!", "?", ":", ",", ";")):
        return False
    return len(tokens) <= 3 or all(t[0].isupper() for t in tokens if len(t) > 3 and t.isalpha())


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Words that are not stopwords and longer than two letters."""
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 2]


def central_sentences(sentences: Sequence[str], limit: int, diversity: float = 0.7) -> list[int]:
    """Indices of the most central, non-redundant sentences (TF-IDF TextRank + MMR)."""
    bags = [Counter(content_words(s)) for s in sentences]
    if not sentences:
        return []
    df: Counter[str] = Counter(w for bag in bags for w in bag)
    n = len(sentences)
    vectors = [{w: c * math.log(1 + n / df[w]) for w, c in bag.items()} for bag in bags]
    norms = [math.sqrt(sum(v * v for v in vec.values())) or 1.0 for vec in vectors]

    def sim(i: int, j: int) -> float:
        a, b = vectors[i], vectors[j]
        if len(a) > len(b):
            a, b = b, a
        return sum(v * b.get(w, 0.0) for w, v in a.items()) / (norms[i] * norms[j])

    window = range(n) if n <= 400 else range(0, n, max(1, n // 400))
    centrality = [sum(sim(i, j) for j in window if j != i) for i in range(n)]
    for i, s in enumerate(sentences):  # very short or very long sentences make poor notes
        length = len(s.split())
        if length < 6 or length > 60:
            centrality[i] *= 0.3
    chosen: list[int] = []
    candidates = set(range(n))
    while candidates and len(chosen) < limit:
        best = max(
            candidates,
            key=lambda i: (
                diversity * centrality[i]
                - (1 - diversity) * max((sim(i, j) for j in chosen), default=0.0) * max(centrality)
            ),
        )
        chosen.append(best)
        candidates.discard(best)
    return sorted(chosen)
