"""Which facts a quiz asks about, and of which type: the code decides, any writer phrases.

Facts are ranked by how central they are (defined and heading terms, central sentences,
central passages). Difficulty picks where in that ranking to start: easy from the top, hard
from the less central end. Each question takes the fact nearest that point from the section
asked least so far, so a quiz spreads over its sources; no two questions share a sentence (or
one nearly the same), and no two multiple-choice questions share a right answer. True/false
questions are half true, half false (the odd one decided by the material, deterministically).
"""

from __future__ import annotations

from collections import Counter

from studyforge.ai.offline.text import content_words
from studyforge.errors import Conflict
from studyforge.quizzes import offline
from studyforge.quizzes.context import stress
from studyforge.quizzes.facts import Fact, Material
from studyforge.quizzes.offline import Question, digest
from studyforge.quizzes.short_answer import short_answer
from studyforge.quizzes.words import norm

TARGET = {"easy": 0.0, "medium": 0.45, "hard": 0.85}
TYPES = ("multiple_choice", "true_false", "short_answer")
NEAR_DUPLICATE = 0.6  # content-word overlap (Jaccard) of two sentences on one fact
LABELS = {"multiple_choice": "multiple-choice", "true_false": "true/false",
          "short_answer": "short-answer", "mixed": ""}  # fmt: skip


class NotEnoughMaterial(Conflict):
    """The sources hold fewer distinct, askable facts than questions asked."""

    code = "NOT_ENOUGH_MATERIAL"


def question_types(n: int, quiz_type: str) -> list[str]:
    """The type of each question: all the same, or (mixed) taking turns."""
    if quiz_type != "mixed":
        return [quiz_type] * n
    return [TYPES[i % len(TYPES)] for i in range(n)]


def truths(n: int, seed: str) -> list[bool]:
    """n true/false answers, balanced (the odd one and the order from `seed`)."""
    half = n // 2 + (n % 2 if int(digest(seed), 16) % 2 else 0)
    flags = [True] * half + [False] * (n - half)
    order = sorted(range(n), key=lambda i: digest(seed, str(i)))
    return [flags[i] for i in order]


def _section(m: Material, fact: Fact) -> tuple[str, str]:
    source = m.sources[fact.source]
    return str(source.get("document_id")), str(source.get("heading") or "")


def _bag(fact: Fact) -> set[str]:
    return set(content_words(fact.sentence))


def write(m: Material, fact: Fact, kind: str, difficulty: str, truth: bool,
          used: set[str]) -> Question | None:  # fmt: skip
    """The offline engine's question of `kind` on `fact`, or None if the fact cannot carry it."""
    if kind == "multiple_choice":
        return offline.multiple_choice(m, fact, difficulty, used)
    if kind == "true_false":
        return offline.true_false(m, fact, difficulty, truth, used)
    return short_answer(m, fact, difficulty)


def plan_questions(m: Material, n: int, difficulty: str, quiz_type: str) -> list[Question]:
    """`n` questions on distinct facts (see the module docstring); NotEnoughMaterial if the
    sources cannot carry that many."""
    # Received notes' key terms (context.py) make their facts more central.
    ranked = sorted(m.facts, key=lambda f: (-(f.score + stress(m, f)), f.index))
    rank = {f.index: i / max(1, len(ranked) - 1) for i, f in enumerate(ranked)}
    target = TARGET[difficulty]
    kinds = question_types(n, quiz_type)
    seed = "".join(f.sentence for f in ranked[:3])
    flags = iter(truths(kinds.count("true_false"), seed))
    sections: Counter[tuple[str, str]] = Counter()
    answers: set[str] = set()
    bags: list[set[str]] = []
    done: set[int] = set()
    out: list[Question] = []
    for kind in kinds:
        truth = next(flags) if kind == "true_false" else True
        order = sorted(
            (f for f in m.facts if f.index not in done),
            key=lambda f: (sections[_section(m, f)], abs(rank[f.index] - target),
                           digest(f.sentence)),
        )  # fmt: skip
        question = _first(m, order, kind, difficulty, truth, answers, bags)
        if question is None and kind == "true_false":
            question = _first(m, order, kind, difficulty, not truth, answers, bags)
        if question is None:
            raise NotEnoughMaterial(_too_few(len(out), quiz_type))
        fact = m.facts[question["fact"]]
        done.add(fact.index)
        bags.append(_bag(fact))
        sections[_section(m, fact)] += 1
        if kind == "multiple_choice":
            answers.add(norm(question["answer"]))
        swapped = question.pop("swapped", "")
        if swapped:  # a word swapped into a false statement is not swapped in again
            answers.add(norm(swapped))
        question["difficulty"] = difficulty
        out.append(question)
    return out


def _first(m: Material, order: list[Fact], kind: str, difficulty: str, truth: bool,
           answers: set[str], bags: list[set[str]]) -> Question | None:  # fmt: skip
    for fact in order:
        bag = _bag(fact)
        if any(len(bag & b) / (len(bag | b) or 1) > NEAR_DUPLICATE for b in bags):
            continue
        question = write(m, fact, kind, difficulty, truth, answers)
        if question is not None:
            return question
    return None


def _too_few(made: int, quiz_type: str) -> str:
    label = LABELS.get(quiz_type, "")
    what = f"{label} question" if label else "question"
    what += "" if made == 1 else "s"
    if made == 0:
        return (f"The sources hold no facts that {what} can be asked about (full sentences of "
                "prose, not code or headings). Choose other documents.")  # fmt: skip
    return (f"The sources hold enough distinct facts for {made} {what}; ask for at most "
            f"{made}, or choose more documents.")  # fmt: skip
