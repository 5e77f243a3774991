"""The offline planner's vocabulary: the seats' roles, the themes a topic can call for, and
each theme's per-seat calculation in the CoreTask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from studyforge.projects.spec import Part

ROLES = (
    "Facilitator",
    "Measurer",
    "Recorder",
    "Checker",
    "Presenter",
    "Timekeeper",
    "Researcher",
    "Sceptic",
    "Designer",
    "Calculator",
    "Connector",
    "Reporter",
)
MAX_GROUP = len(ROLES)


@dataclass(frozen=True)
class Theme:
    """What kind of mathematics the topic calls for."""

    name: str
    words: tuple[str, ...]
    objective: str  # formatted with topic and life_skill
    materials: tuple[str, ...]
    metric: str  # the CoreTask's accuracy metric
    target: float
    quantity: str  # what each seat's number means
    op: Literal["<=", ">="] = "<="  # how the metric meets its target


THEMES = (
    Theme(
        "money",
        (
            "price",
            "budget",
            "money",
            "cost",
            "shop",
            "percent",
            "discount",
            "profit",
            "saving",
            "interest",
            "tax",
            "vat",
            "trip",
            "party",
            "fundrais",
            "market",
        ),
        "Use percentages, discounts and 5% VAT to compare prices and choose within a budget "
        "({topic}), practising {life_skill}",
        ("paper", "calculator", "price cards"),
        "price_error_pct",
        0.02,
        "AED price",
    ),
    Theme(
        "fractions",
        ("fraction", "ratio", "proportion", "share", "recipe", "scale"),
        "Use fractions and ratios to scale and share quantities fairly ({topic}), practising "
        "{life_skill}",
        ("paper", "fraction strips", "measuring cups"),
        "ratio_error_pct",
        0.05,
        "quantity in grams",
    ),
    Theme(
        "geometry",
        (
            "area",
            "perimeter",
            "shape",
            "angle",
            "volume",
            "geometry",
            "design",
            "map",
            "garden",
            "floor",
        ),
        "Calculate area and perimeter to compare designs ({topic}), using {life_skill} to agree "
        "on one",
        ("paper", "ruler", "grid paper", "tape measure"),
        "measurement_error_pct",
        0.05,
        "length in metres",
    ),
    Theme(
        "data",
        (
            "data",
            "statistic",
            "survey",
            "graph",
            "chart",
            "average",
            "mean",
            "probability",
            "chance",
            "energy",
            "water",
            "climate",
        ),
        "Summarise data with mean and range and draw a conclusion ({topic}), practising "
        "{life_skill}",
        ("paper", "ruler", "graph paper", "calculator"),
        "mean_error_pct",
        0.05,
        "measured value",
    ),
)
# A topic with no number theme and no passages: each seat surveys classmates on the topic.
GENERAL = Theme(
    "general",
    (),
    "Survey classmates about {topic}: tally the answers, find the mean and the range, and "
    "compare the group's results, practising {life_skill}",
    ("paper", "tally sheet", "calculator"),
    "mean_error_pct",
    0.1,
    "survey answer",
)
SURVEY = (
    "On a scale of 1 to 5, how sure are you that you could explain {topic} to a friend?",
    "How many times in the last week did you meet {topic} outside school?",
    "On a scale of 1 to 10, how useful is knowing about {topic} in everyday life?",
    "How many minutes a week would you spend learning more about {topic}?",
    "How many facts about {topic} can you name in one minute?",
    "On a scale of 1 to 10, how interesting do you find {topic}?",
    "How many people at home could explain {topic} to you?",
    "How many questions about {topic} would you like answered?",
    "On a scale of 1 to 5, how hard do you think {topic} is to learn?",
    "How many school lessons have you had on {topic} this year?",
    "How many books, videos or websites about {topic} have you used this month?",
    "On a scale of 1 to 10, how important will {topic} be in the job you want?",
)  # one per seat: MAX_GROUP of them
# A topic with no number theme, when the owner has passages on it: a jigsaw (projects/jigsaw.py).
SOURCES = Theme(
    "sources",
    (),
    "Organise evidence: sort examples by the idea they show, tally them in a table and "
    "compare the counts ({topic}), practising {life_skill}",
    ("paper", "highlighters", "the printed passages"),
    "questions_answered_pct",
    0.75,
    "passage",
    ">=",
)


# Phrases whose theme word is not about numbers ("data structures" is not statistics).
NOT_NUMBERS = re.compile(r"\bdata\s*(?:structure|type|base)s?\b|\bshare\s*(?:ideas?|work)\b")


def _best(text: str) -> Theme | None:
    words = re.findall(r"[a-z]+", NOT_NUMBERS.sub(" ", text.casefold()))
    scores = [(sum(any(w.startswith(k) for w in words) for k in t.words), t) for t in THEMES]
    best = max(scores, key=lambda s: s[0])
    return best[1] if best[0] else None


def theme_for(topic: str, title: str = "", grounded: bool = False) -> Theme:
    """The theme whose words occur most in the topic (the title only when the topic has none);
    with neither, the jigsaw on the passages (`grounded`) or the class survey."""
    return _best(topic) or _best(title) or (SOURCES if grounded else GENERAL)


def task(theme: Theme, n: int, seat: int, topic: str = "") -> tuple[dict[str, Any], list[str]]:
    """Seat `seat`'s own numbers and calculation steps in the CoreTask (different per seat)."""
    if theme.name == "money":
        off = 10 + 5 * (seat % 4)
        return {"price_aed": n, "discount_pct": off, "vat_pct": 5}, [
            f"Item {seat}: the shelf price is {n} AED with {off}% off. Estimate the sale price.",
            f"Calculate it exactly: {n} x (1 - {off}/100), then add 5% VAT.",
            "Write the price per unit and say whether it fits the group's budget.",
        ]
    if theme.name == "fractions":
        return {"grams_for_4": n * 10, "scale_to": 4 + 2 * seat}, [
            f"Ingredient {seat}: {n * 10} g serves 4 people. How much for {4 + 2 * seat}?",
            f"Write the scale factor as a fraction ({4 + 2 * seat}/4) and simplify it.",
            "Multiply, round to the nearest 5 g and check with a second method.",
        ]
    if theme.name == "geometry":
        w = 2 + seat
        return {"length_m": n / 4, "width_m": w}, [
            f"Design {seat}: a rectangle {n / 4} m by {w} m. Sketch it on grid paper (1 cm = 1 m).",
            "Calculate its area (m²) and perimeter (m).",
            "Compare with the design of the seat before you: which uses less border?",
        ]
    if theme.name == "data":
        values = [n, n + seat + 3, max(1, n - 2 * seat), n + 5]
        return {"values": values}, [
            f"Data set {seat}: {', '.join(map(str, values))}. Estimate the mean by eye.",
            "Calculate the mean and the range exactly.",
            "Plot your values on the group's chart and describe what they show.",
        ]
    question, asked = SURVEY[(seat - 1) % len(SURVEY)].format(topic=topic), 5 + n % 6
    return {"question": question, "classmates": asked}, [
        f"Survey {seat}: ask {asked} classmates “{question}” and tally their answers.",
        "Before calculating, estimate the mean answer by eye.",
        "Calculate the mean and the range exactly, then compare them with your estimate.",
    ]


def part(
    objective: str, steps: list[str], data: dict[str, Any] | None = None, **extras: Any
) -> Part:
    """A role's part written from the planner's templates (`extras.templated`)."""
    return Part(
        objective=objective, steps=steps, data=data or {}, extras={"templated": True, **extras}
    )
