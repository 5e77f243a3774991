"""Key terms a teacher would pick: terms the text defines or stresses, never code or fluff.

No part-of-speech tagger ships offline, so noun phrases are approximated: runs of 1-3 words with
no stopword, none of them a verb form or filler word at either end, found in prose (code is
never read here). A term scores for being defined ("X is called Y", "An X is a..."), for
standing in a heading, and for recurring; single words need one of the first two, so "called",
"Large" or "increases" never become concepts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from studyforge.ai.offline.text import STOPWORDS, split_sentences

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
# A phrase never crosses punctuation, quotes or a dash between words.
_CLAUSE = re.compile('[,;:()"\u201c\u201d\u2018\u2019!?]|\\s[-\u2013\u2014]+\\s|\\.\\s')
_FILLER_TEXT = """
    example examples case cases way ways thing things part parts kind kinds lot lots section
    sections chapter chapters page pages figure figures following above below note notes time
    times first second third last next another certain simple possible available whole given
    much many several various different same new old large small big little good bad true
    false like also already always never often usually sometimes rather quite really well
    see shown show shows make makes made take takes get gets got set sets put puts let lets
    say says said called call calls way means mean meaning let's here there yes okay way
    able unable whether either neither per via etc versus twice once every each allows allow
    provides provide whose whatever special
    contains contain includes include requires require gives give becomes become causes cause
    happens happen occurs occur tells tell helps help creates create defines define describes
    describe prints raises handles works starts ends looks seems needs wants tries keeps goes
    comes takes gets means explains explain discusses discuss introduces introduce
    """
_FILLER = frozenset(_FILLER_TEXT.split())
IDENTIFIER = re.compile(r"\S*(?:\w_\w|\w\.\w|\(\))\S*")
# Common verbs: a phrase never ends in one of their forms ("tides come", "ice flows"), unless
# the word is mostly a noun in teaching text (NOUNISH).
_VERB_TEXT = """
    accept add affect agree align allow appear apply arise ask assume become begin believe
    belong break bring build carry catch cause change choose claim come compare consider
    consist contain continue convert correspond create decide decrease define depend derive
    describe determine develop differ die do drive drop eat enable end enter escape exist
    expect explain express fall feel fill find flow fly follow force form get give go grow
    happen hold include increase indicate involve keep know lead learn leave let lie like
    live look lose make mean meet melt move need occur offer open pass pay perform place
    play point prefer prevent produce protect prove provide pull push put raise reach read
    receive reduce refer reflect release remain remove repeat replace require rest return
    rise run say see seem send serve set show sit spend split stand start stay stop store
    suggest support take talk tell tend think travel try turn understand use vary wait walk
    want watch wear win work write yield implement encode decode parse check print compute
    """
_NOUNISH_TEXT = """change form point return set store test use work run rest support release
    place order drop end start force lead type"""
_NOUNISH = frozenset(_NOUNISH_TEXT.split())
VERBS = frozenset(_VERB_TEXT.split())
_DEFINED = [
    # "... are called exceptions", "... is known as the call stack", "also known as X"
    re.compile(
        r"\b(?:(?:is|are|be)\s+(?:called|known as|referred to as|termed|named)|also known as)\s+"
        r"(?:an?\s+|the\s+)?([A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*){0,3})"
    ),
    # "An exception is an error ...", "A generator is a function ..."
    re.compile(
        r"^(?:An?|The)\s+([A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*){0,2})\s+(?:is|are)\s+"
        r"(?:an?|the|one)\s"
    ),
    # "`X` means ...", "X refers to ..."
    re.compile(r"^([A-Z][\w'-]*(?:\s+[A-Za-z][\w'-]*){0,2})\s+(?:means|refers to|denotes)\s"),
]
_NUMBERING = re.compile(
    r"^\s*(?:(?:[Cc]hapter|[Ss]ection|[Pp]art|[Ll]esson)\s+)?(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+"
)


def strip_numbering(heading: str) -> str:
    """ "8.3. Handling Exceptions" -> "Handling Exceptions" (the lesson has its own number)."""
    stripped = _NUMBERING.sub("", heading).strip()
    return stripped or heading.strip()


def code_like(text: str) -> bool:
    """True for text that reads as code, a traceback or a shell line rather than prose."""
    if re.search(r">>>|^\.\.\. |^\$ |Traceback \(most recent|File \"|[{}\[\]<>=]|::|__", text):
        return True
    if re.search(r"\w\((?:\)|[^)]*[,'\"=.])", text):  # a call: f(), f(x, y), f('a')
        return True
    tokens = text.split()
    odd = sum(1 for t in tokens if re.search(r"[a-z][A-Z]|_|\.\w|\(\)", t))
    return bool(tokens) and odd / len(tokens) > 0.2


def worked_example(code: str) -> bool:
    """True for a code block that shows something being done: several lines, or a prompt line
    (`>>>`, `$`). A lone line such as "list.insert(i, x)" is an API entry's signature."""
    lines = code.strip("\n").splitlines()
    return len(lines) > 1 or (bool(lines) and lines[0].lstrip().startswith((">>>", "$ ")))


def plain_word(word: str) -> bool:
    lowered = word.lower()
    return (
        lowered not in STOPWORDS
        and lowered not in _FILLER
        and len(lowered) > 2
        and not lowered.endswith(("ly", "ed"))
    )


def verb_form(word: str, inflected_only: bool = False) -> bool:
    """A form of a common verb (come, comes, -es, -ed, -d), not a word mostly used as a
    noun; with `inflected_only`, the base form does not count."""
    w = word.lower()
    stems = {
        w[:-1] if w.endswith("s") else "",
        w[:-2] if w.endswith(("es", "ed")) else "",
        w[:-1] if w.endswith("d") else "",
        w[:-3] + "y" if w.endswith("ies") else "",
    }
    if not inflected_only:
        stems.add(w)
    return bool(stems & VERBS) and w not in _NOUNISH and w.rstrip("s") not in _NOUNISH


def _verbal(gram: tuple[str, ...]) -> bool:
    """A phrase with a verb in it: ending in one ("tides come") or inflected anywhere
    ("retreat follows warmer")."""
    return verb_form(gram[-1]) or any(verb_form(w, inflected_only=True) for w in gram[:-1])


def _phrases(sentence: str) -> Iterable[tuple[str, ...]]:
    """1-3 word runs whose words are all plain (no stopword, filler or -ed/-ly word)."""
    # Identifiers (object_pairs_hook, json.dumps, f()) are code, not words of a phrase.
    for clause in _CLAUSE.split(IDENTIFIER.sub(" , ", sentence.replace("`", ""))):
        tokens = _TOKEN.findall(clause)
        for n in (3, 2, 1):
            for i in range(len(tokens) - n + 1):
                gram = tuple(tokens[i : i + n])
                if all(plain_word(t) for t in gram) and not (n > 1 and _verbal(gram)):
                    yield gram


def _longest(heading: str) -> set[str]:
    """A heading's longest plain phrases ("Handling Exceptions" -> "handling exceptions")."""
    grams = [" ".join(g).lower() for g in _phrases(heading)]
    return {g for g in grams if not any(g != o and f" {g} " in f" {o} " for o in grams)}


def defined_terms(sentences: Iterable[str]) -> list[str]:
    """Terms the sentences define, as written, in order of first definition."""
    found: list[str] = []
    for sentence in sentences:
        if code_like(sentence):
            continue
        for pattern in _DEFINED:
            match = pattern.search(sentence.replace("`", "").replace("*", ""))
            if match is None:
                continue
            words: list[str] = []
            for word in match.group(1).split():
                word = word.strip("'\",.;:")
                if not plain_word(word):
                    break
                words.append(word)
            if words and (len(words) > 1 or len(words[0]) > 3):
                found.append(" ".join(words))
    return list(dict.fromkeys(found))


def key_terms(prose: str, headings: Iterable[str] = (), limit: int = 5) -> list[str]:
    """The terms of `prose` most worth learning, as written in it (see the module docstring)."""
    sentences = [s.text for s in split_sentences(prose) if not code_like(s.text)]
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for sentence in sentences:
        for gram in _phrases(sentence):
            key = " ".join(gram).lower()
            counts[key] += 1
            if key not in surface or surface[key][:1].isupper():  # prefer mid-sentence form
                surface[key] = " ".join(gram)
    score: dict[str, float] = {}
    for key, count in counts.items():
        words = key.count(" ") + 1
        score[key] = count * (1.0 + 0.6 * (words - 1)) if count > 1 or words > 1 else 0.0
    for term in defined_terms(sentences):
        key = term.lower()
        score[key] = score.get(key, 0.0) + 6.0
        surface.setdefault(key, term)
    heading_words = {p for h in headings for p in _longest(strip_numbering(h))}
    for key in heading_words & counts.keys():
        score[key] += 3.0
    singles_ok = {t.lower() for t in defined_terms(sentences)} | heading_words
    ranked = sorted(
        (k for k, v in score.items() if k in singles_ok or (" " in k and counts[k] >= 2)),
        key=lambda k: (-score[k], k),
    )
    chosen: list[str] = []
    for key in ranked:
        if any(key in other or other in key for other in chosen):
            continue
        chosen.append(key)
        if len(chosen) >= limit:
            break
    return [surface[k] for k in chosen]
