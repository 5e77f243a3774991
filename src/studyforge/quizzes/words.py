"""Words a question may ask for, found without a part-of-speech tagger (none ships offline):
noun-phrase-like runs of the offline engine's plain words (`ai.offline.terms`), names,
acronyms, years, dates and counts.
"""

from __future__ import annotations

import re

from studyforge.ai.offline import terms as vocab
from studyforge.ai.offline.text import STOPWORDS


def word_set(text: str) -> frozenset[str]:
    """The words of `text` as a set (word lists are written as one string)."""
    return frozenset(text.split())


TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*|\S")
_LEAD = {
    "the", "a", "an", "its", "their", "his", "her", "our", "your", "this", "these", "those",
    "each", "every", "any", "some", "no", "all", "both", "many", "most", "several", "such",
    "of", "in", "into", "from", "by", "with", "on", "at", "for", "as", "about", "against",
    "between", "through", "across", "along", "under", "over", "within", "without", "during",
    "than", "called", "named", "known", "and", "or",
}  # fmt: skip
_ARTICLES = {"a", "an", "the", "this", "these", "its", "their"}
# Determiners and prepositions: a word after one of them is not a verb.
_DETS = _LEAD - {"and", "or"}
_BREAK = _DETS | word_set(
    "among around behind beside beyond near toward towards upon via despite per alone itself "
    "themselves inside outside like unlike instead immediately indirectly directly"
)
# Irregular past forms the verb list does not catch ("the revolution began").
PAST = word_set(
    "began became built made took gave went came found held led left ran saw sent spoke stood "
    "told thought wrote grew knew drew drove fell fed brought bought caught taught fought "
    "kept meant paid said sold won rose broke chose froze met hid laid lay struck swept wore"
)
_VERB = "<verb>"  # the lead of a word after a presumed verb: its object, a noun
_NUMBER_WORDS = {
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "hundred", "thousand", "million", "billion", "dozen",
}  # fmt: skip
_MONTHS = word_set(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
)
_YEAR = re.compile(r"^(?:1[0-9]{3}|20[0-9]{2})$")
_INNER_CAPS = re.compile(r"[a-z][A-Z]|^[A-Z]{2,}[a-z]")


# Adjectives that grade or point rather than name: "a useful data type", "a special problem".
EVALUATIVE = word_set(
    "useful important special common different new same other various certain entire whole "
    "simple main particular specific good great several many few similar additional possible "
    "another such more most some following further extra real basic general usual typical "
    "actual major minor key nice easy hard"
)


def generic(phrase: str) -> bool:
    """Whether a phrase opens with an evaluative adjective (it names nothing on its own)."""
    words = phrase.lower().split()
    return bool(words) and words[0] in EVALUATIVE


def norm(text: str) -> str:
    """A key compared without case, quotes and a plural `s`."""
    words = re.sub(r"[\u2019']", "", text.casefold()).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in words)  # fmt: skip


def _plural(word: str) -> bool:
    w = word.lower()
    return len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ous", "ics"))


def plural(phrase: str) -> bool:
    """Whether a term reads as plural (its last word: "antibodies", not "photosynthesis")."""
    return _plural(phrase.split()[-1])


def _base_verb(word: str) -> bool:
    w = word.lower()
    return w in vocab.VERBS or (w.endswith("s") and w[:-1] in vocab.VERBS)


_WEAK = word_set(
    "even least longer general whatever specific preceding rest form order purpose kind "
    "amount number lot part end top side use way case fact thing something anything "
    "everything"
)


def _plain(word: str, adverbs: frozenset[str] = frozenset()) -> bool:
    """A word that may be part of a term: the offline engine's rule (with the -ly words that
    recur before a noun, "finally clause"), and no code token."""
    w = word.lower()
    plain = vocab.plain_word(word) or (w in adverbs and w not in STOPWORDS)
    return plain and not _INNER_CAPS.search(word) and w not in _MONTHS


def noun_phrases(sentence: str, adverbs: frozenset[str] = frozenset()) -> list[str]:
    """Noun-phrase-like runs of 1-3 plain words (no part-of-speech tagger ships offline).

    A plural word inside a run ends the phrase and the word after it is taken for a verb
    ("light reactions | split | water"); a word right before an article is taken for a verb
    ("flow control | uses a"); a lone word needs a determiner or preposition before it.
    """
    tokens = TOKEN.findall(vocab.IDENTIFIER.sub(" , ", sentence.replace("`", "")))
    found: list[str] = []
    run: list[str] = []
    before = ""  # the token before the run
    for token in [*tokens, "."]:
        possessive = token.endswith(("\u2019s", "'s")) and len(token) > 3
        word = token[:-2] if possessive else token
        if (
            word[0].isalpha()
            and _plain(word, adverbs)
            and word.lower() not in _BREAK | _NUMBER_WORDS
        ):
            run.append(word)
            if not possessive:
                continue
            token = ","
        if run:
            found.extend(_split_run(run, before, token))
        run, before = [], token.lower()
    return found


def _split_run(run: list[str], before: str, after: str) -> list[str]:
    if after.lower() in _ARTICLES and len(run) > 1:
        run = run[:-1]
    parts: list[tuple[list[str], str]] = []
    current: list[str] = []
    lead, skip = before, False
    for j, word in enumerate(run):
        if skip:
            skip, lead = False, _VERB
            continue
        if word.lower() in PAST and current:
            parts.append((current, lead))
            current, lead = [], _VERB
            continue
        verbish = (
            _base_verb(word)
            or lead == "to"
            or (word.lower().endswith("ing") and lead not in _ARTICLES)
        )
        if not current and lead not in _DETS - {"to"} | {""} and verbish and j + 1 < len(run):
            lead = _VERB
            continue
        current.append(word)
        if _plural(word) and j + 1 < len(run):
            parts.append((current, lead))
            current, skip = [], True
    if current:
        parts.append((current, lead))
    out = []
    for words, lead in parts:
        if len(words) > 3 or vocab.verb_form(words[-1]):
            continue
        if len(words) > 1 and _base_verb(words[-1]):
            continue
        if len(words) == 1 and (lead not in _LEAD and lead not in ("", ".", _VERB)):
            continue
        if len(words) == 1 and words[0].lower().endswith("ing") and lead not in _ARTICLES:
            continue
        if len(words) == 1 and words[0].lower() in _WEAK:
            continue
        out.append(" ".join(words))
    return out


# Capitalised, but not names: Python's values, and ordinals or adverbs opening a clause.
NOT_NAMES = word_set("None True False First Second Third Next Last Finally Also However")


def names(sentence: str, proper: set[str]) -> list[tuple[str, str]]:
    """Capitalised names ("Versailles", "National Assembly") and acronyms ("TCP")."""
    tokens = TOKEN.findall(sentence)
    out: list[tuple[str, str]] = []
    run: list[str] = []
    for i, token in enumerate([*tokens, "."]):
        acronym = re.fullmatch(r"[A-Z]{2,6}", token) is not None
        capital = re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*", token) is not None
        if acronym:
            out.append((token, "acronym"))
        lowered = token.lower()
        if (
            capital
            and (i > 0 or token in proper)
            and lowered not in STOPWORDS | _MONTHS
            and token not in NOT_NAMES
            and not token.endswith("ly")
        ):
            run.append(token)
            continue
        if run:
            out.append((" ".join(run), "name"))
            run = []
    return out


def numbers(sentence: str) -> list[tuple[str, str]]:
    out = []
    tokens = TOKEN.findall(sentence)
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.isdigit() and following.lower() in _MONTHS:
            out.append((f"{token} {following}", "date"))
        elif _YEAR.match(token):
            out.append((token, "year"))
        elif token[0].isdigit() or token.lower() in _NUMBER_WORDS:
            out.append((token, "count"))
    return out


def contains(text: str, key: str) -> bool:
    """`key` occurs in `text` as whole words, ignoring case (a plural `s` allowed)."""
    pattern = rf"(?<![\w-]){re.escape(key)}s?(?![\w-])"
    return re.search(pattern, text, re.IGNORECASE) is not None
