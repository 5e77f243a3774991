"""The offline engine's questions, each from one fact (a source sentence) and citing it.

- Multiple choice is a cloze on a key of the sentence: the key is blanked and three
  distractors of the same kind (terms for terms, names for names, years for years) come from
  the other sources, never from the cited passage (it could also assert them) and never
  making a statement some source makes.
- True/false states the sentence as written (true), or falsified in one checkable detail:
  a key swapped for a sibling from another source, a number for another of the sources', or
  `is` negated; the explanation quotes the source.
- Short answer (`quizzes.short_answer`) asks what a defined term is ("What is a volcano?"),
  what a subject does, or to complete the sentence's opening in one's own words.

Difficulty changes the choices, not a label: easy takes the strongest key and the distractors
from the least related sources (obvious), hard prefers names and numbers and takes the
distractors from the most related sources (close). Question stems are fixed wording.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from studyforge.quizzes.facts import STRENGTH, Candidate, Fact, Key, Material
from studyforge.quizzes.words import contains, norm, plural

BLANK = "_____"
NUMERIC = ("year", "date", "count")
_HEDGES = re.compile(
    r"\b(?:not|no|never|none|nor|only|may|might|can|could|cannot|some|most|often|usually|"
    r"sometimes|generally|typically|rarely|unless|without|except|almost|rather|n't)\b",
    re.I,
)
_AUX = re.compile(r"\b(is|are|was|were)\b")
Question = dict[str, Any]


def digest(*parts: str) -> str:
    """A stable tie-breaker (the same material gives the same quiz)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def _pattern(key: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w-])", re.IGNORECASE)


def blank(sentence: str, key: str) -> str:
    """The sentence with every occurrence of `key` blanked ("a(n) _____" after an article)."""
    text = _outside_code(sentence, _pattern(key), BLANK)
    return re.sub(rf"\b([Aa])n? {BLANK}", rf"\1(n) {BLANK}", text)


def _replace(sentence: str, key: str, other: str) -> str:
    """The sentence with `key` swapped for `other` (its article made to agree)."""

    def swap(match: re.Match[str]) -> str:
        return other[:1].upper() + other[1:] if match.start() == 0 else other

    text = _outside_code(sentence, _pattern(key), swap)
    article = "an" if other[:1].lower() in "aeiou" else "a"
    return re.sub(
        rf"\b([Aa])n? (?={re.escape(other)}(?![\w-]))",
        lambda m: (article.capitalize() if m.group(1) == "A" else article) + " ",
        text,
    )


def ordered_keys(fact: Fact, difficulty: str) -> list[Key]:
    keys = sorted(fact.keys, key=lambda k: (-k.strength, -len(k.text), k.text))
    if difficulty == "hard":
        keys.sort(key=lambda k: (k.kind not in (*NUMERIC, "name"), -k.strength))
    return keys


def overlap(a: str, b: str) -> bool:
    x, y = norm(a), norm(b)
    return x in y or y in x or bool(set(x.split()) & set(y.split()) and len(x.split()) == 1)


def _same_form(key: Key, c: Candidate) -> bool:
    """Terms agree in number ("antibodies" with "antigens"); counts are written alike and
    agree with their noun ("two sequences" never becomes "1 sequences"); names always."""
    if key.kind == "count":
        digits = key.text[:1].isdigit() == c.text[:1].isdigit()
        return digits and _one(key.text) == _one(c.text) and ("." in key.text) == ("." in c.text)
    if key.kind != "term":
        return True
    return plural(c.text) == plural(key.text)


def _one(count: str) -> bool:
    return count.lower() in ("1", "one")


def _outside_code(sentence: str, pattern: re.Pattern[str], repl: Any) -> str:
    """`pattern.sub(repl, ...)` on the prose of a sentence, never inside a `code span`: a
    word swapped inside code changes what the code does ("`list(d)`" -> "`tuple(d)`")."""
    parts = re.split(r"(`[^`]*`)", sentence)
    return "".join(p if p.startswith("`") else pattern.sub(repl, p) for p in parts)


def distractors(m: Material, fact: Fact, key: Key, k: int, difficulty: str,
                swap: bool = False) -> list[str]:  # fmt: skip
    """Up to `k` wrong answers of the key's kind from other sources, as close as asked; a
    `swap` (into a true/false statement) has as many words as the key and is stressed."""
    cited = m.lowered[fact.source]
    scored: list[tuple[float, str, Candidate]] = []
    for c in m.pool.get(key.kind, {}).values():
        if overlap(c.text, key.text) or contains(fact.sentence, c.text):
            continue
        if key.kind not in NUMERIC and contains(cited, c.text):
            continue  # the cited passage may assert it too: never a second right answer
        if key.kind == "term" and c.count < 2 and len(c.text) < 6 and " " not in c.text:
            continue  # a short word met once: too weak to offer
        if not _same_form(key, c) or m.asserted(_replace(fact.sentence, key.text, c.text)):
            continue
        if swap and (not c.strong or c.text.count(" ") != key.text.count(" ")):
            continue
        if swap and key.kind == "term" and not m.stressed(c.text):
            continue
        close = max((m.closeness(fact.source, s) for s in c.sources), default=0.0)
        head = key.text.lower().split()[-1] == c.text.lower().split()[-1]
        close += 0.25 * head + 0.1 * (key.text.count(" ") == c.text.count(" "))
        scored.append((close, digest(fact.sentence, c.text), c))
    scored.sort(key=lambda x: (x[0], x[1]))
    strong = [x for x in scored if x[2].strong]
    if len(strong) >= k:  # words the text stresses make plausible options; others only if need be
        scored = strong
    if difficulty == "hard":
        scored.reverse()
    elif difficulty == "medium":
        middle = len(scored) // 2
        scored = [x for _, x in sorted(enumerate(scored), key=lambda p: abs(p[0] - middle))]
    chosen: list[str] = []
    for _, _, c in scored:
        if not any(overlap(c.text, other) for other in chosen):
            chosen.append(c.text)
        if len(chosen) == k:
            break
    return chosen


def cite_fact(fact: Fact) -> dict[str, Any]:
    return {"fact": fact.index, "quote": fact.sentence}


def _surface(m: Material, key: Key) -> str:
    """The key as written mid-sentence (a term that opened the sentence is not capitalised)."""
    c = m.pool.get(key.kind, {}).get(norm(key.text))
    return c.text if c is not None and c.text.lower() == key.text.lower() else key.text


def multiple_choice(m: Material, fact: Fact, difficulty: str, used: set[str]) -> Question | None:
    """A cloze with four options, or None when no key has three distractors."""
    for key in ordered_keys(fact, difficulty):
        if norm(key.text) in used or key.strength < STRENGTH["term"] or _in_code(fact, key):
            continue
        wrong = distractors(m, fact, key, 3, difficulty)
        if len(wrong) < 3:
            continue
        stem = blank(fact.sentence, key.text)
        answer = _surface(m, key)
        options = sorted([answer, *wrong], key=lambda o: digest(fact.sentence, o))
        if stem.startswith(BLANK):
            options = [o[:1].upper() + o[1:] for o in options]
            answer = answer[:1].upper() + answer[1:]
        return {
            **cite_fact(fact), "type": "multiple_choice", "concept": key.text,
            "question": f"Fill in the blank: {stem}", "options": options, "answer": answer,
            "key_points": [], "explanation": f"The text says: \u201c{fact.sentence}\u201d",
        }  # fmt: skip
    return None


def _in_code(fact: Fact, key: Key) -> bool:
    """Whether the key stands next to code punctuation (`except*`, `raise(`)."""
    return re.search(rf"[*(=_\[]{re.escape(key.text)}|{re.escape(key.text)}[*(=_\[]",
                     fact.sentence, re.I) is not None  # fmt: skip


def _negated(sentence: str) -> str | None:
    if _HEDGES.search(sentence) or len(_AUX.findall(sentence)) != 1:
        return None
    aux = _AUX.search(sentence)
    clause = re.search(r",|\b(?:which|where|that|when|who|whom|if|because|while)\b", sentence)
    if aux is None or (clause is not None and clause.start() < aux.start()):
        return None  # only the main clause's verb is negated
    return _AUX.sub(lambda match: f"{match.group(1)} not", sentence, count=1)


def falsified(m: Material, fact: Fact, difficulty: str,
              used: set[str] = frozenset()) -> tuple[str, str, str] | None:  # type: ignore[assignment]  # fmt: skip
    """(statement, concept, word swapped in): the sentence made false in one detail, or None.

    A swapped-in term has several words, like the one it replaces ("base class" for "try
    clause"), or is one word the text stresses for one the text stresses ("queue" for
    "stack"): a single common word may mean the same ("error" for "problem") and would make
    a statement that is not clearly false. A word swapped in once is not swapped in again.
    """
    ways = {"easy": ("negate", "number", "swap"), "medium": ("number", "swap", "negate"),
            "hard": ("number", "swap", "negate")}[difficulty]  # fmt: skip
    for way in ways:
        if way == "negate":
            statement = _negated(fact.sentence)
            if statement:
                return statement, max(fact.keys, key=lambda k: k.strength).text, ""
            continue
        for key in ordered_keys(fact, difficulty):
            if (way == "number") != (key.kind in NUMERIC):
                continue
            if key.kind == "term" and not m.stressed(key.text):
                continue  # only a word the text stresses, for another ("stack" -> "queue")
            if fact.sentence.lower().startswith(key.text.lower()):
                continue  # the subject: a bare term swapped in reads wrong ("Data type requires")
            # An absurd swap teaches nothing: even an easy statement takes a middling sibling.
            closeness = "hard" if difficulty == "hard" else "medium"
            wrong = [w for w in distractors(m, fact, key, 4, closeness, swap=True)
                     if norm(w) not in used][:1]  # fmt: skip
            if wrong:
                statement = _replace(fact.sentence, key.text, wrong[0])
                if statement != fact.sentence and not m.asserted(statement):
                    return statement, key.text, wrong[0]
    return None


def true_false(m: Material, fact: Fact, difficulty: str, truth: bool,
               used: set[str] = frozenset()) -> Question | None:  # type: ignore[assignment]  # fmt: skip
    """The sentence as written (true) or falsified in one detail (false)."""
    concept = max(fact.keys, key=lambda k: k.strength).text
    statement, swapped = fact.sentence, ""
    if not truth:
        made = falsified(m, fact, difficulty, used)
        if made is None:
            return None
        statement, concept, swapped = made
    verdict = "True" if truth else "False"
    return {
        **cite_fact(fact), "type": "true_false", "concept": concept,
        "question": f"True or false: {statement}", "options": ["True", "False"],
        "answer": verdict, "key_points": [], "swapped": swapped,
        "explanation": f"{verdict}. The text says: \u201c{fact.sentence}\u201d",
    }  # fmt: skip
