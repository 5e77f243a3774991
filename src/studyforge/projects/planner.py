"""The offline project planner: a real classroom plan from the request and the owner's passages.

No model is involved. Code decides the three sections (Launch, CoreTask, Share & reflect) and
their minutes (summing to at most `duration_min`), a math objective, materials and measurable
success criteria chosen by the topic's theme (projects/themes.py), and one distinct role and
task per seat. A number theme (money, fractions, geometry, data) gives each seat its own
calculation, reading a different passage of the owner's documents on the topic when there are
any (quoted, with a citation). A topic with no number theme but with passages becomes a jigsaw
(projects/jigsaw.py): each seat is the group's expert on one passage. With neither, each seat
surveys classmates with its own question on the topic and works out the mean and the range.
Every sentence the planner writes from a template is marked `extras.templated = true`; quoted
passages are not templated.
"""

from __future__ import annotations

import hashlib
import re
from itertools import zip_longest
from typing import Any

from studyforge.ai.offline.text import split_sentences
from studyforge.projects import jigsaw
from studyforge.projects.spec import Part, Plan, PlanSection, SectionBody, SuccessCriterion
from studyforge.projects.themes import MAX_GROUP, ROLES, SOURCES, Theme, part, task, theme_for

SECTION_NAMES = ("Launch", "CoreTask", "Share & reflect")
SHARES = (0.2, 0.6, 0.2)  # of the minutes; the rest of the rounding is left unplanned


def minutes(duration_min: int) -> list[int]:
    """Each section's minutes: 20/60/20 per cent, rounded down, summing to <= duration_min."""
    times = [int(duration_min * share) for share in SHARES]
    times[1] += max(0, duration_min - sum(times) - 1) if duration_min < 10 else 0
    return times


_JOIN = re.compile(r"\s*(?:,|&|\band\b|\bvs\.?|\bversus\b)\s*", re.I)
MAX_PARTS = 3
_PROSE_END = re.compile(r"[.!?:;…][\"')\]]*$")


def _numbers(topic: str, seats: int) -> list[int]:
    """A distinct, stable number per seat (so reruns of a topic give the same task)."""
    seed = int(hashlib.sha256(topic.casefold().encode()).hexdigest()[:8], 16)
    return [10 + (seed >> (i % 24)) % 40 + 7 * i for i in range(seats)]


def _sentences(text: str) -> list[str]:
    """The passage's sentences, as the offline engine splits them, from its first sentence up
    to the next line that is not one (a heading, a list item or code starts something else)."""
    pieces = [sentence.text for sentence in split_sentences(text)]
    prose = [i for i, piece in enumerate(pieces) if _PROSE_END.search(piece)]
    if not prose:
        return pieces or [" ".join(text.split())]
    out = []
    for piece in pieces[prose[0] :]:
        if not _PROSE_END.search(piece):
            break
        out.append(piece)
    return out


def _sentence(text: str, limit: int = 280) -> str:
    first = _sentences(text)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def _excerpt(text: str, limit: int = 600) -> str:
    """The passage's first sentences, whole, up to `limit` characters (at least one), without
    a last sentence that introduces what follows (`...for instance:`)."""
    kept: list[str] = []
    for sentence in _sentences(text):
        if kept and len(" ".join([*kept, sentence])) > limit:
            break
        kept.append(sentence)
    if len(kept) > 1 and kept[-1].endswith(":"):
        kept.pop()
    return _sentence(" ".join(kept), limit) if len(kept) == 1 else " ".join(kept)


def stands_alone(passage: dict[str, Any]) -> bool:
    """A passage a reader can work from: a few lines long and, if short, not ending in a colon
    (the code or list it introduces is another passage)."""
    text = passage.get("text", "").strip()
    return len(text) >= 300 or (len(text) >= 80 and not text.endswith(":"))


def topic_parts(topic: str) -> list[str]:
    """The things a topic names together, each as a query that tells it from the others
    ("Python lists and dictionaries" -> ["lists", "dictionaries"]: words the parts share are
    left to the topic's own search). A topic that names one thing gives no parts."""
    parts = [p.strip() for p in _JOIN.split(topic) if p and p.strip()]
    if len(parts) < 2:
        return []
    if all(len(p.split()) == 1 for p in parts[1:]):
        parts[0] = parts[0].split()[-1]
    return parts[:MAX_PARTS]


def interleave(first: list[dict[str, Any]], *orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`first` reordered so each of `orders` (rankings of some of the same passages, for each
    part of the topic) has its best passage near the top: the best of each in turn, then the
    next of each, skipping any already taken. Of an order only the passages that stand alone
    count; the rest follow in `first`'s order."""
    out: list[dict[str, Any]] = []
    taken: set[int] = set()  # the same passage is the same object in every order
    readable = [[p for p in order if stands_alone(p)] for order in orders]
    for row in zip_longest(first, *readable):
        for p in row:
            if p is not None and id(p) not in taken:
                taken.add(id(p))
                out.append(p)
    return out


def varied(passages: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """`n` of the passages (best first) that a reader can work from and that cover the most
    sections: first one per (document, heading) of those that stand alone (`stands_alone`),
    then the other standalone ones, then the rest."""

    seen: set[tuple[Any, Any]] = set()
    first: list[dict[str, Any]] = []
    for p in passages:
        key = (p.get("document_id"), p.get("heading"))
        if stands_alone(p) and key not in seen:
            seen.add(key)
            first.append(p)
    rest = [p for p in passages if stands_alone(p) and p not in first]
    return (first + rest + [p for p in passages if not stands_alone(p)])[:n]


def _cite(passage: dict[str, Any]) -> dict[str, Any]:
    return {
        key: passage.get(key)
        for key in ("document_id", "filename", "page", "heading", "start", "end")
    }


def _launch(inputs: dict[str, Any], theme: Theme, quotes: list[dict[str, Any]]) -> SectionBody:
    topic, skill, size = inputs["topic"], inputs["life_skill"], inputs["group_size"]
    reading = theme is SOURCES
    hook = (
        f"What do we need to understand about {topic}, and how would we explain it to "
        "someone meeting it for the first time?"
        if reading
        else f"Where do we meet {topic} outside school, and what decision depends on it?"
    )
    asks = "the passages can answer" if reading else "that needs a number to answer"
    shared_data: dict[str, Any] = {"driving_question": hook}
    if quotes:
        shared_data["reading"] = quotes[0]["quote"]
        shared_data["source"] = jigsaw.source_label(quotes[0]["citation"])
    cites = {"citations": [quotes[0]["citation"]]} if quotes else {}
    seats = {
        str(i + 1): part(
            f"As {ROLES[i]}, bring one question about {topic} the group must answer.",
            [
                f"Write one question about {topic} {asks}.",
                _launch_duty(ROLES[i], skill),
                "Share your question in one sentence.",
            ],
            {"role": ROLES[i]},
        )
        for i in range(size)
    }
    return SectionBody(
        teacher=part(
            f"Launch {topic}: pose the driving question and assign the roles.",
            [
                f"Read the driving question aloud: {hook}",
                f"Assign the {size} roles: " + ", ".join(ROLES[:size]) + ".",
                f"Say how {skill} will be noticed today (one example).",
            ],
        ),
        shared=part(
            "Agree on what the group must find out and how you will check it.",
            [
                "List every question the seats bring.",
                "Choose the one question the whole group will answer "
                + ("from the passages." if reading else "with numbers."),
            ],
            shared_data,
            **cites,
        ),
        seats=seats,
    )


def _launch_duty(role: str, skill: str) -> str:
    duties = {
        "Facilitator": "Make sure every member speaks once.",
        "Timekeeper": "Call time at the end of the launch.",
        "Recorder": "Write down every question the group brings.",
        "Sceptic": "Ask one 'how do we know?' question.",
    }
    return duties.get(role, f"Name one way your role will practise {skill}.")


def _core(inputs: dict[str, Any], theme: Theme, quotes: list[dict[str, Any]]) -> SectionBody:
    if theme is SOURCES:
        return jigsaw.core(inputs, quotes)
    topic, size = inputs["topic"], inputs["group_size"]
    numbers = _numbers(topic, size)
    seats: dict[str, Part] = {}
    for i in range(size):
        role, n = ROLES[i], numbers[i]
        given, steps = task(theme, n, i + 1, topic)
        data: dict[str, Any] = {"role": role, "given": given}
        steps.append(f"Find your error: |estimate - exact| / exact, as a decimal ({theme.metric}).")
        extras: dict[str, Any] = {}
        if quotes:
            q = quotes[i % len(quotes)]
            data["reading"] = q["quote"]
            extras["citations"] = [q["citation"]]
            steps.insert(
                0, "Read your passage and underline one fact that changes the calculation."
            )
        steps.append(_core_duty(role, size))
        seats[str(i + 1)] = part(
            f"As {role}, solve part {i + 1} of the group's task.", steps, data, **extras
        )
    return SectionBody(
        teacher=part(
            theme.objective.format(topic=topic, life_skill=inputs["life_skill"]) + ".",
            [
                "Check that each seat has a different task.",
                "Ask each seat to explain its estimate before its exact answer.",
                f"Collect the group's {theme.metric} values.",
            ],
            {"answer_check": {"seats": size, "metric": theme.metric, "target": theme.target}},
        ),
        shared=part(
            f"Combine every seat's result into one answer about {topic}.",
            [
                "Put every seat's number and result in one table.",
                "Add or compare the results to answer the driving question.",
                "Check the total with a second method.",
            ],
            {"table_columns": ["seat", "role", theme.quantity, "estimate", "exact", theme.metric]},
        ),
        seats=seats,
    )


def _core_duty(role: str, size: int) -> str:
    duties = {
        "Checker": "Recalculate one other seat's answer and initial it.",
        "Recorder": f"Enter all {size} results in the shared table.",
        "Calculator": "Do the combined calculation for the group.",
        "Measurer": "Check that every number in the table has its unit.",
    }
    return duties.get(role, "Explain your result to the seat next to you.")


def _share(inputs: dict[str, Any], theme: Theme) -> SectionBody:
    topic, skill, size = inputs["topic"], inputs["life_skill"], inputs["group_size"]
    reading = theme is SOURCES
    seats = {
        str(i + 1): part(
            f"As {ROLES[i]}, "
            + ("teach your passage" if reading else "present one step of the group's solution")
            + f" and reflect on {skill}.",
            [
                "Teach your passage's idea to the class in one minute, with your example."
                if reading
                else f"Explain step {i + 1} of the solution in your own words.",
                f"Say one moment when the group used {skill}.",
                "Write one thing you would change next time.",
            ],
            {"role": ROLES[i]},
        )
        for i in range(size)
    }
    return SectionBody(
        teacher=part(
            f"Close {topic}: hear each group's answer and the reflections.",
            [
                "Ask each group for its tally table and the idea it found hardest."
                if reading
                else "Ask each group for its answer and its error.",
                f"Ask how {skill} changed the result.",
                "Note which groups met the success criteria.",
            ],
        ),
        shared=part(
            "Present the answer, how you checked it, and what you learned.",
            [
                "Show the table and the final answer.",
                f"Agree on one sentence about {topic} everyone can explain.",
            ],
        ),
        seats=seats,
    )


def plan(inputs: dict[str, Any]) -> dict[str, Any]:
    """`{"plan": Plan, "sections": {id: SectionBody}}` for the request in `inputs`.

    `inputs`: topic, life_skill, group_size, duration_min, title, and `passages` (the owner's
    best passages on the topic: text plus document_id/filename/page/heading/start/end).
    """
    size = min(int(inputs["group_size"]), MAX_GROUP)
    inputs = {**inputs, "group_size": size}
    quotes = [
        {
            "quote": _sentence(p["text"]),
            "excerpt": _excerpt(p["text"]),
            "code": p.get("code"),
            "example": p.get("example"),
            "citation": _cite(p),
        }
        for p in inputs.get("passages", [])
        if p.get("text", "").strip()
    ]
    theme = theme_for(inputs["topic"], inputs.get("title", ""), grounded=bool(quotes))
    times = minutes(int(inputs["duration_min"]))
    bodies = [_launch(inputs, theme, quotes), _core(inputs, theme, quotes), _share(inputs, theme)]
    roles = ["teacher", "shared", *(f"seat_{i + 1}" for i in range(size))]
    criteria = [
        [SuccessCriterion(metric="questions_posed", target_op=">=", target_value=size)],
        [
            SuccessCriterion(metric=theme.metric, target_op=theme.op, target_value=theme.target),
            SuccessCriterion(metric="seats_contributing", target_op="==", target_value=size),
        ],
        [SuccessCriterion(metric="steps_explained", target_op=">=", target_value=size)],
    ]
    topic = inputs["topic"]
    jigsaw = theme is SOURCES
    objectives = [
        f"Pose the questions the group will answer about {topic}"
        + (" from the passages" if jigsaw else " and estimate the answers before working them out"),
        theme.objective.format(topic=topic, life_skill=inputs["life_skill"]),
        "Teach each passage to the group and compare the counts in the shared table"
        if jigsaw
        else "Explain each step of the working and compare the group's results with the estimates",
    ]
    sections = [
        PlanSection(
            id=f"sec_{i + 1:02d}",
            name=name,
            math_objective=objectives[i],
            constraints={"time_min": times[i], "materials": list(theme.materials)},
            success_criteria=criteria[i],
            roles=roles,
        )
        for i, name in enumerate(SECTION_NAMES)
    ]
    return {
        "plan": Plan(sections=sections).model_dump(),
        "sections": {s.id: body.model_dump() for s, body in zip(sections, bodies, strict=True)},
        "grounded": bool(quotes),
        "theme": theme.name,
    }
