"""Follow-up questions: rewrite a message that leans on earlier turns into a search query.

"And what about its finally clause?" means nothing to a search engine on its own; after "How
does the try statement work?" it means "try statement finally clause". Offline, without a
model, a message counts as a follow-up when it opens with a connective ("and", "what about",
"also"), refers back with a pronoun ("it", "its", "they", "those") in a short message, or
names no subject at all ("why?", "an example?"); the key terms of the previous user turn (as
it was searched, so a chain of follow-ups keeps its subject) are then put in front of it.
"""

from __future__ import annotations

import re

from studyforge.ai.offline.text import STOPWORDS, words

# Words of a question that say how to answer, not what about.
_QUESTION_TEXT = """
    what whats how why when where which who whom whose does do did can could should would
    is are was were tell explain mean means meaning describe happens happen work works define
    give show example examples please difference between kind kinds type types way ways
    really exactly actually need know want
    """
QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_CONNECTIVE = re.compile(
    r"^\s*(?:and|but|also|so|then|plus|or|what about|how about|what else|same for|"
    r"and what|and how|and why|any other|more)\b",
    re.IGNORECASE,
)
_BACK_REFERENCE = frozenset(
    {"it", "its", "it's", "itself", "they", "them", "their", "theirs", "these", "those",
     "such", "former", "latter"}
)  # fmt: skip
_DEICTIC = frozenset({"this", "that", "there", "here", "one"})
MAX_TERMS = 8
SELF_CONTAINED = 4  # key terms from which a message stands alone whatever its pronouns


def key_terms(text: str) -> list[str]:
    """The words of a question that say what it is about, in order, without repeats."""
    found = [
        w.removesuffix("'s")
        for w in words(text)
        if w not in STOPWORDS and w not in QUESTION_WORDS and len(w) > 1 and w not in _DEICTIC
    ]
    return list(dict.fromkeys(found))


def is_follow_up(message: str) -> bool:
    """Whether the message leans on an earlier turn for its subject."""
    tokens = words(message)
    if _CONNECTIVE.match(message):
        return True
    terms = key_terms(message)
    if not terms:  # "why?", "an example?"
        return True
    # A long message names its own subject even with a pronoun in it ("is it possible to
    # catch several exceptions in one except clause?"); "this" or "that" point back only
    # in short ones ("why is that?").
    if len(terms) <= SELF_CONTAINED and any(t in _BACK_REFERENCE for t in tokens):
        return True
    return len(terms) <= 2 and any(t in _DEICTIC for t in tokens)


def rewrite(message: str, previous_query: str | None) -> str:
    """The search query for `message`: itself, or with the previous turn's key terms in front
    when it is a follow-up of it (`previous_query`: that turn as it was searched)."""
    message = " ".join(message.split())
    if not previous_query or not is_follow_up(message):
        return message
    mine = set(key_terms(message))
    carried = [t for t in key_terms(previous_query) if t not in mine][:MAX_TERMS]
    if not carried:
        return message
    return f"{' '.join(carried)} {message}"
