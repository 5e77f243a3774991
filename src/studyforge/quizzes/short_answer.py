"""The offline engine's short-answer questions, each from one fact (a source sentence).

A definition asks what the term is ("What is a volcano?"); a sentence opening with a term
asks what it does ("What does sequence unpacking require?"); otherwise the sentence's
opening is to be completed in one's own words. The rest of the sentence is the reference
answer, its longest noun phrases the key points a grader looks for.
"""

from __future__ import annotations

import re

from studyforge.ai.offline import terms as vocab
from studyforge.ai.offline.terms import VERBS
from studyforge.quizzes.facts import STRENGTH, Fact, Key, Material
from studyforge.quizzes.offline import Question, cite_fact, ordered_keys, overlap
from studyforge.quizzes.words import PAST, contains, generic, norm, plural, word_set
from studyforge.quizzes.words import noun_phrases as phrases

# Where a sentence may be cut for "complete the statement": clause boundaries and "by" (the
# means); a cut at another preposition leaves an opening that asks nothing ("Another useful
# data type built ...").
_CONNECTIVES = word_set(
    "until because so by when which that after before while if unless whether where whereas"
)


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
        if not any(overlap(p, q) for q in points):
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
            **cite_fact(fact), "type": "short_answer", "concept": fact.defines,
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
        split = _split(fact.sentence, ordered_keys(fact, difficulty))
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
        **cite_fact(fact), "type": "short_answer", "concept": concept, "question": asked,
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
