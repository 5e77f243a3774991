"""The offline engine's answers: extractive, cited, and honest about what is not there.

An answer is the sentence of the material that best answers the question, the sentence after
it when that one carries the idea on, and at most one more from another passage if it answers
nearly as well; sentences of one passage stay in their order and are cited together ([1],
[2], numbered in the order the answer cites them). Nothing is reworded. Tutor mode points at
the passage with a guiding question instead. When the material does not hold the answer, the
reply says so and names what the material does cover. Fixed wording (the tutor's prompts, the
refusal) is marked as templated in the message's `meta`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from studyforge.ai.offline.text import split_sentences, words
from studyforge.chat.grounding import Candidate, Evidence, Source, answering_sentence

MAX_SENTENCES = 3
MAX_SOURCES = 2
ALSO_RATIO = 0.93  # a sentence of another passage joins if it scores this share of the best
NEXT_RATIO = 0.7  # the best sentence's successor joins if it scores this share of the best
REDUNDANT = 0.6  # word overlap (Jaccard) above which a sentence repeats one already chosen
# A sentence that carries on the one before it (and means little without it).
_BACK_REFERENCE = re.compile(
    r"^(?:It|This|That|These|They|Such|Its|Their|Then|Again|For this purpose|For convenience|"
    r"Therefore|Thus|Hence|So|Instead|In that case|Otherwise)\b"
)
# "The try statement works as follows." announces the sentences after it.
_LEAD_IN = re.compile(r"\bas follows[.:]$", re.IGNORECASE)
NOT_IN_MATERIAL = "That is not in your material"


@dataclass
class Answer:
    """A reply: its text, the citations its [n] markers refer to, and how it was made."""

    text: str
    citations: list[dict[str, Any]]
    grounded: bool
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for the cache and the LLM task's offline output)."""
        return {"text": self.text, "citations": self.citations, "grounded": self.grounded,
                "meta": self.meta}  # fmt: skip


def _jaccard(a: str, b: str) -> float:
    x, y = set(words(a)), set(words(b))
    return len(x & y) / len(x | y) if x | y else 0.0


def choose(evidence: Evidence) -> list[Candidate]:
    """The sentences of the answer, best first (see the module docstring)."""
    ranked = sorted(evidence.candidates, key=lambda c: -c.score)
    if not ranked:
        return []
    best = ranked[0]
    if _BACK_REFERENCE.match(best.text):  # "It is useful for..." needs what "it" is
        before = _neighbour(evidence.candidates, best, -1)
        if before is not None:
            best = before
    chosen = [best]
    if _LEAD_IN.search(best.text):  # what it announces, in order
        while len(chosen) < MAX_SENTENCES:
            after = _neighbour(evidence.candidates, chosen[-1], +1)
            if after is None:
                break
            chosen.append(after)
        return chosen
    after = _neighbour(evidence.candidates, best, +1)
    if after is not None and (
        after.score >= NEXT_RATIO * best.score or _BACK_REFERENCE.match(after.text)
    ):
        chosen.append(after)
    for c in ranked[1:]:
        sources = {x.source for x in chosen}
        if len(chosen) >= MAX_SENTENCES or c.score < ALSO_RATIO * ranked[0].score:
            break
        if c in chosen or (c.source not in sources and len(sources) >= MAX_SOURCES):
            continue
        leans = _BACK_REFERENCE.match(c.text) or _LEAD_IN.search(c.text)
        if leans or any(_jaccard(c.text, x.text) > REDUNDANT for x in chosen):
            continue
        chosen.append(c)
    return chosen


def _neighbour(candidates: Sequence[Candidate], of: Candidate, step: int) -> Candidate | None:
    """The answering sentence right before (-1) or after (+1) `of` in its passage."""
    same = sorted((c for c in candidates if c.source == of.source), key=lambda c: c.start)
    i = same.index(of) + step
    return same[i] if 0 <= i < len(same) else None


def citation(number: int, source: Source, start: int, end: int) -> dict[str, Any]:
    """A citation of `source.text[start:end]`; its span is in the document's text (in the
    request's `relevant_text` for that source)."""
    return {
        "number": number, "document_id": source.document_id, "filename": source.filename,
        "page": source.page, "heading": source.heading, "passage_id": source.passage_id,
        "start": source.start + start, "end": source.start + end,
        "quote": " ".join(source.text[start:end].split()),
        "source": "passage" if source.stored else "relevant_text",
    }  # fmt: skip


def _as_sentence(text: str) -> str:
    return text[:-1] + "." if text.endswith(":") else text


def _cited(sentence: str, number: int) -> str:
    """The sentence with its citation marker before its final stop ("... it [1].")."""
    match = re.search(r"[.!?][\"')\u201d\u2019]*$", sentence)
    cut = match.start() if match else len(sentence)
    return f"{sentence[:cut]} [{number}]{sentence[cut:]}"


def answer(evidence: Evidence) -> Answer:
    """The extractive answer to the question the evidence was gathered for."""
    chosen = choose(evidence)
    if not evidence.covered or not chosen:
        raise ValueError("answer() needs covered evidence; use refusal()")
    order: list[int] = list(dict.fromkeys(c.source for c in chosen))
    parts: list[str] = []
    citations: list[dict[str, Any]] = []
    for number, index in enumerate(order, start=1):
        group = sorted((c for c in chosen if c.source == index), key=lambda c: c.start)
        sentences = [_as_sentence(c.text) for c in group]
        sentences[-1] = _cited(sentences[-1], number)
        parts.append(" ".join(sentences))
        citations.append(citation(number, evidence.sources[index], group[0].start, group[-1].end))
    return Answer(" ".join(parts), citations, True, {"templated": []})


def tutor(evidence: Evidence, question: str) -> Answer:
    """A guiding question that sends the learner to the passage holding the answer."""
    best = choose(evidence)[0]
    source = evidence.sources[best.source]
    opening = next((s.text for s in split_sentences(source.text) if answering_sentence(s.text)),
                   best.text)  # fmt: skip
    lead = " ".join(opening.split()[:8]).rstrip(",;:.")
    where = f"the passage in “{_section(source)}”" if source.heading else "this passage"
    if source.page:
        where += f" on page {source.page}"
    focus = _focus(question, best.text)
    cite = citation(1, source, best.start, best.end)
    text = (
        f"Let's work it out from your material. Reread {where}, the paragraph that begins "
        f"“{lead}…” [1]. As you read, ask yourself: what does it say about {focus}, and how "
        "does that answer your question? Tell me what you find and I will check it with you."
    )
    return Answer(text, [cite], True, {"templated": ["tutor prompt"]})


def _section(source: Source) -> str:
    from studyforge.ai.offline.terms import strip_numbering

    return strip_numbering((source.heading or "").rsplit(" > ", 1)[-1])


def _focus(question: str, sentence: str) -> str:
    """The phrases of the question the answering sentence shares ("“try statement” and
    “run”"), as the question writes them."""
    from studyforge.chat.followup import key_terms
    from studyforge.chat.grounding import stem, stems

    terms, held = set(key_terms(question)), stems(sentence)
    phrases: list[list[str]] = [[]]
    for word in re.findall(r"[\w'\u2019-]+", question):
        if _term(word) in terms:
            phrases[-1].append(word)
        elif phrases[-1]:
            phrases.append([])
    shared = [" ".join(p) for p in phrases if p and any(stem(_term(w)) in held for w in p)]
    if not shared:
        return "your question's key idea"
    quoted = [f"“{p}”" for p in shared[:3]]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def refusal(evidence: Evidence, question: str, covers: Sequence[str]) -> Answer:
    """The material does not answer: say so, name the topic asked, and what it does cover."""
    topic = missing_topic(question, evidence.missing)
    about = f": I found nothing in it about {topic}" if topic else ""
    if topic and evidence.sources and not evidence.missing:  # the words are there, no answer
        about = f": it mentions {topic}, but no sentence of it answers your question"
    if covers:
        shown = ", ".join(covers[:8]) + (f" and {len(covers) - 8} more" if len(covers) > 8 else "")
        text = (f"{NOT_IN_MATERIAL}{about}. It covers {shown}. Ask about one of those, or add "
                "a document that covers your question.")  # fmt: skip
    else:
        text = (
            f"{NOT_IN_MATERIAL}{about}. There is no processed text to answer from yet: "
            "upload a document (or wait for its processing to finish) and ask again."
        )
    return Answer(text, [], False, {"templated": ["refusal"]})


def missing_topic(question: str, missing: Sequence[str]) -> str:
    """The stretch of the question from its first to its last term the material lacks
    ("the capital of Australia"), quoted; its key terms when the words are all there."""
    from studyforge.chat.followup import key_terms

    terms = list(missing) or key_terms(question)
    if not terms:
        return ""
    spans = [m for m in re.finditer(r"[\w'\u2019-]+", question) if _term(m.group()) in terms]
    if not spans:
        return "“" + " ".join(terms[:5]) + "”"
    first, last = spans[0], spans[-1]
    text = question[first.start() : last.end()]
    if len(text.split()) > 8:
        text = " ".join(dict.fromkeys(_term(m.group()) for m in spans))
    return f"“{text}”"


def _term(word: str) -> str:
    return word.lower().replace("\u2019", "'").removesuffix("'s")
