"""The offline engine's questions, each from one fact (a source sentence) and citing it.

- Multiple choice is a cloze on a key of the sentence: the key is blanked and three
  distractors of the same kind (terms for terms, names for names, years for years) come from
  the other sources, never from the cited passage (it could also assert them) and never
  making a statement some source makes.
- True/false states the sentence as written (true), or falsified in one checkable detail:
  a key swapped for a sibling from another source, a number for another of the sources', or
  `is` negated; the explanation quotes the source.
- Short answer asks what a defined term is ("What is a volcano?"), or to complete the
  sentence's opening in one's own words; the rest of the sentence is the reference answer,
  its key phrases the key points.

Difficulty changes the choices, not a label: easy takes the strongest key and the distractors
from the least related sources (obvious), hard prefers names and numbers and takes the
distractors from the most related sources (close). Question stems are fixed wording.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from studyforge.ai.offline import terms as vocab
from studyforge.ai.offline.terms import VERBS
from studyforge.quizzes.facts import STRENGTH, Candidate, Fact, Key, Material
from studyforge.quizzes.words import PAST, contains, generic, norm, plural, word_set
from studyforge.quizzes.words import noun_phrases as phrases

BLANK = "_____"
NUMERIC = ("year", "date", "count")
# Where a sentence may be cut for "complete the statement": clause boundaries and "by" (the
# means); a cut at another preposition leaves an opening that asks nothing ("Another useful
# data type built ...").
_CONNECTIVES = word_set(
    "until because so by when which that after before while if unless whether where whereas"
)
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


def _ordered_keys(fact: Fact, difficulty: str) -> list[Key]:
    keys = sorted(fact.keys, key=lambda k: (-k.strength, -len(k.text), k.text))
    if difficulty == "hard":
        keys.sort(key=lambda k: (k.kind not in (*NUMERIC, "name"), -k.strength))
    return keys


def _overlap(a: str, b: str) -> bool:
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
        if _overlap(c.text, key.text) or contains(fact.sentence, c.text):
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
        if not any(_overlap(c.text, other) for other in chosen):
            chosen.append(c.text)
        if len(chosen) == k:
            break
    return chosen


def _cite(fact: Fact) -> dict[str, Any]:
    return {"fact": fact.index, "quote": fact.sentence}


def _surface(m: Material, key: Key) -> str:
    """The key as written mid-sentence (a term that opened the sentence is not capitalised)."""
    c = m.pool.get(key.kind, {}).get(norm(key.text))
    return c.text if c is not None and c.text.lower() == key.text.lower() else key.text


def multiple_choice(m: Material, fact: Fact, difficulty: str, used: set[str]) -> Question | None:
    """A cloze with four options, or None when no key has three distractors."""
    for key in _ordered_keys(fact, difficulty):
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
            **_cite(fact), "type": "multiple_choice", "concept": key.text,
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
        for key in _ordered_keys(fact, difficulty):
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
        **_cite(fact), "type": "true_false", "concept": concept,
        "question": f"True or false: {statement}", "options": ["True", "False"],
        "answer": verdict, "key_points": [], "swapped": swapped,
        "explanation": f"{verdict}. The text says: \u201c{fact.sentence}\u201d",
    }  # fmt: skip


def _split(sentence: str, keys: list[Key]) -> tuple[str, str] | None:
    """(opening, rest) of a sentence: cut before a connective, where the rest holds the most
    of the sentence's keys (nearer the middle on a tie), or after a key that opens it ("The
    immune system | defends the body against infection")."""
    words = sentence.rstrip(".").split()
    strong = [k for k in keys if k.strength > STRENGTH["term"] or " " in k.text]

    def weight(i: int) -> tuple[float, float]:
        rest = " ".join(words[i:])
        return -sum(k.strength for k in strong if contains(rest, k.text)), abs(i - 0.5 * len(words))

    cuts = [i for i, w in enumerate(words) if w.lower() in _CONNECTIVES and i >= 4
            and len(words) - i >= 4 and not words[i - 1].endswith(":")]  # fmt: skip
    for i in sorted(cuts, key=weight):
        rest = " ".join(words[i:])
        if any(contains(rest, k.text) for k in strong):
            return " ".join(words[:i]), rest
    for key in keys:
        opening = re.match(rf"^(?:(?:The|A|An)\s+)?{re.escape(key.text)}\b", sentence, re.I)
        if opening and len(opening.group(0).split()) >= 2 and key in strong:
            rest = sentence[opening.end() :].strip().rstrip(".")
            if len(rest.split()) >= 4 and phrases(rest) and _verb_first(rest):
                return opening.group(0), rest
    return None


_MODALS = {"may", "can", "must", "will", "should", "could", "might", "would", "is", "are",
           "was", "were", "has", "have", "had", "does", "do", "did"}  # fmt: skip
_ADVERBS = {"then", "also", "often", "usually", "always", "never", "still", "only", "now"}


def _verb_first(rest: str) -> bool:
    """Whether `rest` opens with what reads as a verb ("defends the body", "may have"), so
    the opening before it is a whole subject ("The sole argument | to raise ..." is not)."""
    words = [w for w in rest.lower().split() if w not in _ADVERBS and not w.endswith("ly")]
    if not words:
        return False
    first = words[0].strip(",;")
    if first in _MODALS or first in PAST or first in vocab.VERBS:
        return True
    return first.endswith(("s", "ed")) and not first.endswith("ss")


def _key_points(text: str, asked: str, limit: int = 3, genus: bool = False) -> list[str]:
    """The longest distinct noun phrases of the reference answer not given in the question;
    its first word only when it is a definition's genus ("an opening in the crust")."""
    first = "" if genus else (text.split()[0] if text.split() else "")
    found = [p for p in phrases(text) if not contains(asked, p) and p != first]
    found.sort(key=lambda p: (-len(p.split()), -len(p)))
    points: list[str] = []
    for p in found:
        if not any(_overlap(p, q) for q in points):
            points.append(p)
    return points[:limit]


def short_answer(m: Material, fact: Fact, difficulty: str) -> Question | None:
    """ "What is X?" for a definition, "What does X require?" for a sentence about a term the
    text stresses, else "complete the statement"; None if none fits."""
    defining = re.match(r"^(?:(A|An|The)\s+)?(.+?)\s+(is|are)\s+(?:an?|the|one)\s", fact.sentence)
    called = re.match(r"^(.{8,}?)\s+(is|are)\s+(?:called|known as|termed)\s+([\w' -]+?)"
                      r"(?=[,.;:]|\s+(?:and|but|or)\s)", fact.sentence)  # fmt: skip
    if called and fact.defines and norm(called.group(3)) == norm(fact.defines):
        subject = called.group(1)
        subject = subject[:1].lower() + subject[1:] if not subject.split()[0].isupper() else subject
        return {
            **_cite(fact), "type": "short_answer", "concept": fact.defines,
            "question": f"What {called.group(2)} {subject} called?", "options": [],
            "answer": called.group(3), "key_points": [called.group(3)],
            "explanation": f"The text says: \u201c{fact.sentence}\u201d",
        }  # fmt: skip
    if (
        fact.defines
        and defining
        and norm(defining.group(2)) == norm(fact.defines)
        and not generic(fact.defines)
    ):
        article = (defining.group(1) or "").lower()
        asked = f"What {defining.group(3)} {article + ' ' if article else ''}{defining.group(2)}?"
        reference, predicate = fact.sentence, fact.sentence[defining.end(3) :].strip()
        concept = fact.defines
    elif (asking := _subject_question(m, fact)) is not None:
        asked, predicate, concept = asking
        reference = predicate
    else:
        split = _split(fact.sentence, _ordered_keys(fact, difficulty))
        if split is None:
            return None
        opening, predicate = split
        asked = (
            f"Complete this statement from the text in your own words: \u201c{opening} \u2026\u201d"
        )
        reference, concept = predicate, max(fact.keys, key=lambda k: k.strength).text
    points = _key_points(predicate, asked, genus=concept == fact.defines)
    if not any(" " in p or len(p) >= 6 for p in points):
        return None
    return {
        **_cite(fact), "type": "short_answer", "concept": concept, "question": asked,
        "options": [], "answer": reference, "key_points": points,
        "explanation": f"The text says: \u201c{fact.sentence}\u201d",
    }  # fmt: skip


_ASK_MODALS = word_set("can may must will should could might")
_PARTICLES = word_set("of in on to with from for into")


def _subject_question(m: Material, fact: Fact) -> tuple[str, str, str] | None:
    """(question, reference answer, concept) asking what a term opening the sentence does
    (a term the text stresses, or one of several words): "Sequence unpacking requires that
    ..." -> "What does sequence unpacking require?", "List comprehensions provide ..." ->
    "What do list comprehensions provide?", "A try statement may have ..." -> "What may a
    try statement have?"; None when the sentence is not of that form."""
    for key in sorted(fact.keys, key=lambda k: -len(k.text)):
        several = " " in key.text
        if not (key.kind == "term" and (several or m.stressed(key.text))) and not (
            key.kind == "name" and several
        ):
            continue
        opening = re.match(rf"^(?:(?:The|A|An)\s+)?{re.escape(key.text)}\s+", fact.sentence, re.I)
        if opening is None:
            continue
        words = fact.sentence[opening.end() :].rstrip(".").split()
        subject = opening.group(0).strip()
        if key.kind != "name" or subject.split()[0] in ("The", "A", "An"):
            subject = subject[:1].lower() + subject[1:]  # "the Transmission Control Protocol"
        verb, asked, used = words[0].lower() if words else "", None, 0
        then = words[1] if len(words) > 2 else ""
        if (
            verb in _ASK_MODALS
            and then.isalpha()
            and then.islower()
            and not _adverb(then)
            and (
                then != "be"  # a passive ("Tuples can be used as keys") asks nothing this way
            )
        ):
            asked, used = f"What {verb} {subject} {words[1].lower()}", 2
        elif _third_person(verb) and (
            _base(verb) in VERBS or (key.kind == "term" and several and not plural(key.text))
        ):
            asked, used = f"What does {subject} {_base(verb)}", 1
        elif plural(key.text) and verb in VERBS:
            asked, used = f"What do {subject} {verb}", 1
        following = words[used].lower().strip(",") if len(words) > used else ""
        if asked is None or following in ("and", "or") or verb.endswith(","):
            continue  # "The optional arguments start and end are ...": nouns, not a verb
        if len(words) > used and words[used].lower() in _PARTICLES:
            asked, used = f"{asked} {words[used].lower()}", used + 1
        rest = " ".join(words[used:])
        if len(rest.split()) >= 3:
            return f"{asked}?", rest, key.text
    return None


def _adverb(word: str) -> bool:
    return word.endswith("ly") or word in _ADVERBS


def _third_person(word: str) -> bool:
    """Whether a lower-case word may be a verb's third-person form (defends, fixes)."""
    return word.isalpha() and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _base(verb: str) -> str:
    """The base form of a third-person verb: requires -> require, passes -> pass."""
    for suffix, base in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"),
                         ("xes", "x"), ("s", "")):  # fmt: skip
        if verb.endswith(suffix):
            return verb[: -len(suffix)] + base
    return verb
