"""The CoreTask for a topic with no number theme, when the owner has passages on it: a jigsaw.

Each seat becomes the group's expert on one passage: it reads the passage (quoted with its
citation), explains the idea in its own words, tests it with an example and a non-example, and
writes a question the others must answer from it. The group then teaches itself the topic from
every seat's passage, sorts and tallies the examples by idea, and counts the questions it got
right (`questions_answered_pct`). Seats that share a passage (more seats than passages) compare
their examples. Everything but the quoted passages is templated.
"""

from __future__ import annotations

from typing import Any

from studyforge.projects.spec import Part, SectionBody
from studyforge.projects.themes import ROLES, SOURCES, part

DUTIES = {
    "Facilitator": "Make sure every expert is heard before anyone reads their passage.",
    "Recorder": "Write every seat's idea, example and non-example in the shared table.",
    "Checker": "Check one other seat's example against its passage and initial it.",
    "Measurer": "Tally the examples under each idea and give the group the counts.",
    "Sceptic": "Ask one seat 'which sentence of your passage says that?'.",
    "Timekeeper": "Give each expert two minutes and call time.",
}


def source_label(citation: dict[str, Any]) -> str:
    """`budget.md, p. 2 · Discounts`: where a passage comes from, as a reader sees it."""
    label = str(citation.get("filename") or "a document")
    if citation.get("page"):
        label += f", p. {citation['page']}"
    if citation.get("heading"):
        label += f" · {citation['heading']}"
    return label


def core(inputs: dict[str, Any], quotes: list[dict[str, Any]]) -> SectionBody:
    """The jigsaw CoreTask: seat i reads passage i (round robin when seats outnumber them)."""
    topic, size = inputs["topic"], inputs["group_size"]
    used = quotes[:size]
    seats: dict[str, Part] = {}
    for i in range(size):
        role, n = ROLES[i], i % len(used) + 1
        quote = used[n - 1]
        steps = [
            f"Read passage {n} twice and underline the sentence that carries its main idea.",
            "Explain that idea in two sentences of your own, without looking at the page.",
            "Write one example the idea applies to and one it does not (a non-example); "
            "say why for each.",
            "Write one question whose answer is in your passage, for another seat to answer.",
        ]
        partners = [str(j + 1) for j in range(size) if j != i and j % len(used) == n - 1]
        if partners:
            steps.append(
                f"Seat {', '.join(partners)} also has passage {n}: compare your examples and "
                "keep the clearer one."
            )
        steps.append(DUTIES.get(role, "Explain your idea to the seat next to you first."))
        seats[str(i + 1)] = part(
            f"As {role}, become the group's expert on passage {n} "
            f"({source_label(quote['citation'])}): explain it and test it with examples.",
            steps,
            {
                "role": role,
                "given": {"passage": n},
                **{key: quote[key] for key in ("code",) if quote.get(key)},
                "reading": quote["excerpt"],
                **{key: quote[key] for key in ("example",) if quote.get(key)},
            },
            citations=[quote["citation"]],
        )
    return SectionBody(
        teacher=part(
            SOURCES.objective.format(topic=topic, life_skill=inputs["life_skill"]) + ".",
            [
                f"Give each seat its passage: {len(used)} passage"
                f"{'s' if len(used) != 1 else ''} for {size} seat{'s' if size != 1 else ''} "
                "(listed below with their sources).",
                "Ask each expert to explain their idea before the others read the passage.",
                "Check that every example is sorted under the idea it really shows.",
                f"Collect how many of the experts' questions each group answered correctly "
                f"({SOURCES.metric}).",
            ],
            {
                "answer_check": {"seats": size, "metric": SOURCES.metric, "target": SOURCES.target},
                "passages": [
                    f"Passage {k + 1}: {source_label(q['citation'])}" for k, q in enumerate(used)
                ],
            },
        ),
        shared=part(
            f"Teach each other {topic} from every seat's passage, in one table.",
            [
                "Each expert explains their passage; everyone writes its idea in one line.",
                "Sort every example and non-example under the idea it shows, and tally them.",
                "Answer each expert's question and count how many the group got right.",
                "Write one sentence that links all the ideas together.",
            ],
            {"table_columns": ["seat", "role", "passage", "idea", "example", "non-example"]},
        ),
        seats=seats,
    )
