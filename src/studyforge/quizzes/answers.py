"""Which option an answer names: one resolver for lesson checks and quiz questions.

A stored answer (`correct_option`) or a learner's answer (`chosen_option`) may be the option's
text (ignoring case, runs of spaces and surrounding punctuation or quotes), its letter (`B`,
`b)`, `(b)`, `Option B`), a letter with the text (`B) Paris`), `T`/`F` for True/False, or
(a learner's answer only) the option's 0-based index as a JSON number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ENDS = " \t\n.;:!?\"'\u201c\u201d\u2018\u2019"  # and curly quotes
_PREFIX = re.compile(
    r"^(?:the\s+)?(?:correct\s+)?(?:answer|option|choice)(?:\s+is)?\s*[:\-]?\s*", re.I
)
_LETTER = re.compile(r"^\(?([a-z])(?:\)|\.|:|\])?$", re.I)  # B  B)  (b)  b.  B:
_LETTER_TEXT = re.compile(r"^(?:\(([a-z])\)|([a-z])[).:\]])\s*(.+)$", re.I | re.S)  # B) text


def normalise(text: str) -> str:
    """Text compared without case, runs of spaces or surrounding punctuation and quotes."""
    return " ".join(text.casefold().split()).strip(_ENDS)


def _index(wanted: str, *texts: Sequence[str]) -> int | None:
    key = normalise(wanted)
    if not key:
        return None
    for candidates in texts:
        if key in candidates:
            return list(candidates).index(key)
    return None


def correct_option(options: Sequence[str], answer: str) -> int | None:
    """The index of the option that `answer` names, or None if it names none of them.

    `answer` may be an option's text (exactly, or ignoring case, spaces and end punctuation),
    a letter (`B`, `b)`, `(b)`, `B.`, `Option B`), a letter with the text (`B) Paris`: the text
    wins if it names another option), or `T`/`F` for True/False options.
    """
    if not options or not answer.strip():
        return None
    if answer in options:
        return list(options).index(answer)
    texts = [normalise(option) for option in options]
    labelled = [_LETTER_TEXT.match(option.strip()) for option in options]
    # Options written as "A) Paris", "B) London": compare without the labels too.
    bare = [normalise(m.group(3)) for m in labelled if m] if all(labelled) else texts
    candidates = list(dict.fromkeys([answer.strip(), _PREFIX.sub("", answer.strip(), count=1)]))
    for candidate in candidates:
        found = _index(candidate, texts, bare)
        if found is not None:
            return found
    for candidate in candidates:
        if (letter := _LETTER.match(candidate)) is not None:
            number = ord(letter.group(1).lower()) - ord("a")
        elif (both := _LETTER_TEXT.match(candidate)) is not None:
            found = _index(both.group(3), texts, bare)
            if found is not None:
                return found
            number = ord((both.group(1) or both.group(2)).lower()) - ord("a")
        else:
            continue
        if number < len(options):
            return number
    if sorted(texts) == ["false", "true"] and normalise(answer) in ("t", "f"):
        return texts.index("true" if normalise(answer) == "t" else "false")
    return None


def chosen_option(options: Sequence[str], answer: str | int | None) -> int | None:
    """The option a learner's answer picks: as `correct_option`, or a 0-based index (a JSON
    number; a bool is no index); None when it names no option."""
    if answer is None or isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer if 0 <= answer < len(options) else None
    return correct_option(options, answer)
