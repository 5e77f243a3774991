"""What a module may say and ask, offline: the checks a sentence passes, and the assessment.

Sentence checks (used by `content` to choose what a module shows):

- `admissible`: a complete prose sentence a teacher would keep: a capital (or code span)
  first, closing punctuation last, balanced brackets, not code (inline `code spans` are
  words here), no "See ..." / "head over to" pointer, badge or "New in version" note.
- `lead_in`: it introduces what follows ("... like this:", "the following"); kept only
  right above the example or list it introduces.
- `leans`: it leans on the sentence before ("This ...", "For instance", "The second
  reason"); it comes with that sentence, or is left out. `glue`: narrative glue ("After
  doing this", "As you can see") and looks back at an example: only next to the example.
- `self_contained`: a statement that reads on its own, for takeaways, the summary and the
  questions' facts: none of the above, no pronoun early on, no question or instruction.

The assessment: 3-5 questions from the project's quiz engine (`quizzes.facts.Material`,
`quizzes.plan.plan_questions`), mixed (multiple choice as a cloze on a key term, true/false
as written or falsified in one detail, short answer) at the difficulty of the module's level.
Facts are self-contained sentences the module shows; only when those are too few does the
rest of its sections' prose (up to MORE_WORDS) fill in. Each check cites its sentence. A
module with too few facts (only code and headings, say) is made up to three questions with
one templated question per example ("In your own words: what does the first example under
“<section>” in <path> do?"), citing the example. The Markdown lists the questions, then the
answers with their explanations and sources (plain Markdown, no `<details>`: the project's
exports escape HTML). Question stems and those labels are fixed wording.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studyforge.ai.offline.terms import VERBS, code_like, defined_terms
from studyforge.quizzes.facts import Material
from studyforge.quizzes.plan import NotEnoughMaterial, plan_questions

_POINTER = re.compile(
    r"^(?:See also|See|Refer to|Read more|Continue (?:to|with|on|reading)|Check out|Head over|"
    r"Jump to|Click here|For more (?:information|details)|More information|Please (?:see|refer|"
    r"read|donate)|Visit the (?:docs|documentation|website|page)|To do)\b|\b(?:see below|see "
    r"above|see the|head over to|check out|refer to)\b|!\[|shields\.io|badge",
    re.I,
)
_VERSION_NOTE = re.compile(
    r"^(?:New in version|Changed in version|Deprecated since version|Added in version)\b", re.I
)
_LEAD_IN = re.compile(r"(?::|\.\.\.|\u2026)[\"')\]]*$|\b(?:the following|below|as follows)\b", re.I)
_LEANS = re.compile(
    r"^(?!(?:This|These) (?:tutorial|guide|page|document|chapter|section|library|package|"
    r"project|module|book|course|notebook)s?\b)"
    r"(?:This|These|That|Those|It|Its|They|Their|Them|Such|However|But|Also|Which|Or|And|Plus|"
    r"So|Then|Instead(?! of)|Otherwise|Both|Either|Another|One of|Similarly|Likewise|Conversely|"
    r"Additionally|Furthermore|Moreover|Finally|For (?:instance|example)|"
    r"The (?:first|second|third|last|other|latter|former|rest|same|answer|reason)|"
    r"In (?:this|that|such a|either) case|(?:To|With|Because of|Since) (?:\w+ )?(?:this|that))\b"
)
_POINTS_BACK = re.compile(
    r"^(?!It (?:is|was) )(?:\S+\s+){0,5}(?:this|these|those|it|its|they|their|them|such|he|she)\b"
    r"|\b(?:this|that)(?:[,.;:!?]| and\b| but\b)",
    re.I,
)
_GLUE = re.compile(
    r"^(?:After (?:doing )?(?:this|that)|Either way|A few \w+ later|Now,? let's|Let's|"
    r"Once (?:this|that|done)|That's it|As you can see)\b|"
    r"\b(?:the above|above example|previous example|(?:this|the) (?:particular )?example|"
    r"(?:shown|mentioned|described|defined|like \S+) above)\b",
    re.I,
)
_META = re.compile(
    r"\b(?:screencast|video|documentation|docs|readme|(?:this|the) (?:tutorial|guide|page|"
    r"chapter|section))\b|^There (?:is|are) ",
    re.I,
)
_ASIDE = re.compile(r"^(?:Note|Warning|Tip|Hint|Important|Caution|Attention|Danger|Error):")
_PERSONAL = re.compile(r"\b(?:you|your|we|our|us|I)\b", re.I)
_ENDS = re.compile(r"[.!?:][\"')\]*_]*$")
_STARTS = re.compile(r"^[\"'(\[*_]*[A-Z0-9`]")
_SPAN = re.compile(r"`[^`]+`")
_TAGLINE = re.compile(r"^\S+ [-\u2013\u2014] ")  # "HTTPX - A next-generation HTTP client"
_TOPIC = re.compile(r"^(?:\d+[.)]?\s+|step \d+\W*|how to\s+|about\s+)", re.I)
# An instruction to the reader opens with a bare verb ("Create the directory ...").
_INSTRUCTIONS = VERBS | {"install", "import", "add", "remember", "visit", "enter", "type"}
_INSTRUCTIONS |= {"note", "try", "place", "go", "run", "open", "call"}


def codey(text: str) -> bool:
    """Code rather than words (inline `code spans` in a sentence count as words)."""
    return code_like(_SPAN.sub("X", text))


def admissible(text: str, least: int = 4) -> bool:
    """A complete prose sentence a teacher would keep (module docstring)."""
    words = text.split()
    return (
        least <= len(words) <= 80
        and bool(_ENDS.search(text))
        and bool(_STARTS.match(text))
        and not (len(words) < 6 and text.endswith("!"))
        and text.count("(") == text.count(")")
        and text.count("`") % 2 == 0
        and not codey(text)
        and not _VERSION_NOTE.match(text)
        and not _POINTER.search(text)
    )


def lead_in(text: str) -> bool:
    """It introduces what follows it."""
    return bool(_LEAD_IN.search(text))


def leans(text: str) -> bool:
    """It leans on the sentence before it."""
    return bool(_LEANS.match(text))


def points_back(text: str) -> bool:
    """A pronoun early on ("If it is set to ...") or standing alone ("... doing that, but"):
    it may lean on the sentence before."""
    return bool(_POINTS_BACK.search(text))


def glue(text: str) -> bool:
    """Narrative glue or a look back at an example."""
    return bool(_GLUE.search(text))


def aside(text: str) -> bool:
    """A labelled aside ("Note: ...") or a sentence about the documentation itself ("There
    is a screencast ...", "... the rest of the documentation will assume ...")."""
    return bool(_ASIDE.match(text) or _META.search(text))


def personal(text: str) -> bool:
    """It speaks to the reader or for the authors ("you", "we")."""
    return bool(_PERSONAL.search(text))


def instruction(text: str) -> bool:
    """An instruction to the reader: a bare verb first, or after an opening phrase ("From
    the terminal, tell Flask ...")."""
    after = re.match(r"^(?:[^,]{1,40}),\s+(\w+)", text)
    first = [text.split()[0], after.group(1)] if after else text.split()[:1]
    return any(w.lower() in _INSTRUCTIONS for w in first)


def self_contained(text: str) -> bool:
    """A statement that reads on its own (module docstring)."""
    return (
        6 <= len(text.split()) <= 40
        and not leans(text)
        and not glue(text)
        and not points_back(text)
        and not lead_in(text)
        and not text.endswith("?")
        and not _TAGLINE.match(text)
        and not instruction(text)
    )


def defines(sentence: str, heading: str) -> bool:
    """Whether the sentence says what its section is about ("Boolean flags are options
    that ...") or defines a term ("... is called X")."""
    topic = re.escape(_TOPIC.sub("", heading.lower()).strip() or "\x00")
    verbs = r"is|are|was|were|can|have|work|\w+s"
    says = re.match(rf"^(?:(?:A|An|The)\s+)?{topic}\s+(?:{verbs})\b", sentence, re.I)
    return bool(says or defined_terms([sentence]))


# --- the assessment ---------------------------------------------------------------------------

DIFFICULTY = {"beginner": "easy", "intermediate": "medium", "advanced": "hard"}
MIN_CHECKS, MAX_CHECKS = 3, 5
WORDS_PER_CHECK = 300  # one more question (up to MAX_CHECKS) per this many words shown
# The quiz engine ranks every sentence it is given (quadratic): facts come from what the
# module shows, and only when those are too few from its other prose, up to this many words.
MORE_WORDS = 1500
_TYPES = ("mixed", "true_false", "short_answer", "multiple_choice")
_ORDINALS = ("first", "second", "third", "fourth", "fifth")
Cite = Callable[[int, int, int], int]  # (document number, start, end) -> source number


@dataclass(frozen=True)
class Passage:
    """Text of a module's section to ask about: a run of sentences or a list it shows, an
    example it shows (for the fallback questions), or prose it does not show."""

    doc: int  # the document's number in the module
    path: str
    kind: str  # prose | list | code
    text: str  # exactly the document's text from `start`
    start: int  # in `content.document_text(doc)`
    heading: str  # the section's own title
    shown: bool = True


def _material(passages: list[Passage]) -> Material:
    sources = [
        {"index": i, "text": p.text, "kind": p.kind, "heading": p.heading, "start": p.start,
         "document_id": p.path, "path": p.path}
        for i, p in enumerate(passages)
    ]  # fmt: skip
    return Material(sources)


def _keep(m: Material, taught: set[str] | None = None) -> int:
    """Keep the self-contained facts (those the module shows, given `taught`), renumbered as
    the planner expects; how many there are."""
    kept = [
        f for f in m.facts
        if self_contained(f.sentence)
        and (taught is None or " ".join(f.sentence.split()).casefold() in taught)
    ]  # fmt: skip
    m.facts = [dataclasses.replace(f, index=i) for i, f in enumerate(kept)]
    return len(kept)


def _plan(m: Material, n: int, difficulty: str) -> list[dict[str, Any]]:
    """As many questions as the material carries, from `n` down: mixed types first."""
    sizes = range(n, 0, -1)
    tries = [(k, "mixed") for k in sizes if k >= MIN_CHECKS] + [
        (k, t) for k in sizes for t in _TYPES
    ]
    for k, quiz_type in tries:
        try:
            return plan_questions(m, k, difficulty, quiz_type)
        except NotEnoughMaterial:
            continue
    return []


def _weak(q: dict[str, Any]) -> bool:
    """A statement to complete whose opening says too little ("The tutorial doesn't ...")."""
    opening = re.search(r"\u201c(.*?) \u2026\u201d", q["question"])
    return opening is not None and len(opening.group(1).split()) < 4


def _checks(
    m: Material, passages: list[Passage], drafts: list[dict[str, Any]], cite: Cite, n: int
) -> list[dict[str, Any]]:
    """The planned questions as checks (weak ones left out first), at most `n`."""
    out = []
    for q in sorted(drafts, key=_weak)[:n]:
        fact = m.facts[q["fact"]]
        passage = passages[fact.source]
        at = passage.text.find(fact.sentence)
        if at < 0:
            continue
        start = passage.start + at
        source = {"index": cite(passage.doc, start, start + len(fact.sentence))}
        out.append({
            "kind": q["type"], "question": q["question"], "options": list(q["options"]),
            "answer": q["answer"], "explanation": q["explanation"], "source": source,
        })  # fmt: skip
    return out


def _about_examples(code: list[Passage], cite: Cite, n: int) -> list[dict[str, Any]]:
    """Up to `n` templated questions, one per example, those of different sections first."""
    counts: dict[tuple[str, str], int] = {}
    nth = []
    for p in code:
        counts[p.path, p.heading] = counts.get((p.path, p.heading), -1) + 1
        nth.append(counts[p.path, p.heading])
    out = []
    for i in sorted(range(len(code)), key=lambda i: (nth[i], i))[: max(0, n)]:
        p = code[i]
        which = f"the {_ORDINALS[nth[i]]} example" if nth[i] < len(_ORDINALS) else "an example"
        where = f"under \u201c{p.heading}\u201d in {p.path}" if p.heading else f"in {p.path}"
        out.append({
            "kind": "short_answer",
            "question": f"In your own words: what does {which} {where} do?",
            "options": [],
            "answer": "Check your description against the example and the sentences around it.",
            "explanation": f"It is {which} {where}.",
            "source": {"index": cite(p.doc, p.start, p.start + len(p.text))},
        })  # fmt: skip
    return out


def write_checks(
    passages: list[Passage], taught: set[str], words: int, level: str, cite: Cite
) -> list[dict[str, Any]]:
    """3-5 checks on what the module shows (module docstring): `taught` holds the sentences
    it shows (whitespace-collapsed, casefolded), `words` how many words it shows; `cite`
    numbers a cited span."""
    difficulty = DIFFICULTY.get(level, "medium")
    n = max(MIN_CHECKS, min(MAX_CHECKS, MIN_CHECKS + words // WORDS_PER_CHECK - 1))
    ask = n + 2  # a weak question or two can be left out
    text = [p for p in passages if p.kind in ("prose", "list") and p.shown]
    m = _material(text) if text else None
    drafts = _plan(m, ask, difficulty) if m is not None and _keep(m, taught) >= MIN_CHECKS else []
    wider, more_words = list(text), 0
    for p in passages:
        if p.kind in ("prose", "list") and not p.shown:
            more_words += len(p.text.split())
            if more_words <= MORE_WORDS:
                wider.append(p)
    if len(drafts) < MIN_CHECKS and len(wider) > len(text):
        whole = _material(wider)
        _keep(whole)
        more = _plan(whole, ask, difficulty)
        if len(more) > len(drafts):
            m, text, drafts = whole, wider, more
    checks = _checks(m, text, drafts, cite, n) if m is not None else []
    code = [p for p in passages if p.kind == "code"]
    return checks + _about_examples(code, cite, MIN_CHECKS - len(checks))


def assessment_markdown(checks: list[dict[str, Any]]) -> str:
    """The checks as Markdown: the questions, then "Answers" (each with why and its source)."""
    if not checks:
        return ""
    lines = ["## Check your understanding", ""]
    for n, check in enumerate(checks, start=1):
        lines.append(f"{n}. {check['question']}")
        if check["kind"] == "multiple_choice":
            lines += [f"   - {chr(65 + i)}. {o}" for i, o in enumerate(check["options"])]
        elif check["kind"] == "true_false":
            lines.append("   - True / False")
    lines += ["", "### Answers", ""]
    for n, check in enumerate(checks, start=1):
        mark = f" [{check['source']['index']}]"
        answer, why = check["answer"], check["explanation"]
        if check["kind"] == "multiple_choice":
            lines.append(
                f"{n}. **{chr(65 + check['options'].index(answer))}. {answer}**. {why}{mark}"
            )
        elif check["kind"] == "true_false":
            lines.append(f"{n}. **{answer}**. {why.removeprefix(f'{answer}. ')}{mark}")
        else:
            label = "A good answer says:" if answer[:1].islower() else "Answer:"
            lines.append(f"{n}. *{label}* {answer.rstrip('.')}. {why}{mark}")
    return "\n".join(lines)
