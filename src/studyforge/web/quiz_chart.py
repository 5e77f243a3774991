"""Scores over time as an inline SVG line chart, drawn on the server (no script, no library).

The plot is a 100 x 100 box stretched to the chart's width (`preserveAspectRatio="none"`), so
it fits any screen without scrolling; lines and dots keep their thickness and roundness because
they are drawn with `vector-effect: non-scaling-stroke` (a dot is a zero-length line with round
caps). The axis labels are HTML beside the plot, so they never shrink with it. The chart says
what it shows in its `<title>` and `<desc>`, and every page that draws it lists the same
attempts in a table: that table is the text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

MAX_POINTS = 50  # the newest attempts a chart draws; the table beside it lists more
TOP, BOTTOM = 6.0, 94.0  # the plot's y for 100 % and 0 % (room for the dots' round caps)
LEFT, RIGHT = 3.0, 97.0


@dataclass(frozen=True)
class Point:
    """One attempt on the chart: where it is drawn and what its tooltip says."""

    x: float
    y: float
    score: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A chart of scores, oldest to newest, evenly spaced."""

    points: list[Point]
    first: datetime
    last: datetime

    @property
    def grid(self) -> list[float]:
        """The y of the 100 %, 50 % and 0 % lines (the HTML labels sit at the same heights)."""
        return [y_of(100), y_of(50), y_of(0)]

    @property
    def line(self) -> str:
        """The polyline's `points` attribute."""
        return " ".join(f"{p.x:g},{p.y:g}" for p in self.points)

    @property
    def summary(self) -> str:
        """The chart in one sentence, for its `<desc>`."""
        scores = [p.score for p in self.points]
        n = len(scores)
        if n == 1:
            return f"One attempt, scoring {pct(scores[0])}."
        trend = "up" if scores[-1] > scores[0] else "down" if scores[-1] < scores[0] else "level"
        return (
            f"{n} attempts from {self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}: first "
            f"{pct(scores[0])}, latest {pct(scores[-1])} ({trend}), lowest {pct(min(scores))}, "
            f"highest {pct(max(scores))}."
        )


def pct(score: float) -> str:
    """A score in percent as the pages show it: `80%`, `66.7%` (the `pct` template filter)."""
    return f"{round(score, 1):g}%"


def y_of(score: float) -> float:
    """The plot's y for a score in percent (0 at the bottom)."""
    clamped = min(100.0, max(0.0, score))
    return round(BOTTOM - (BOTTOM - TOP) * clamped / 100, 2)


def score_chart(attempts: Sequence[tuple[datetime, float, str]]) -> Chart | None:
    """The chart of `(submitted at, score, label)` attempts, oldest first (the newest
    MAX_POINTS of them); None when there are none."""
    shown = list(attempts)[-MAX_POINTS:]
    if not shown:
        return None
    n = len(shown)
    points = []
    for i, (when, score, label) in enumerate(shown):
        x = 50.0 if n == 1 else LEFT + (RIGHT - LEFT) * i / (n - 1)
        points.append(Point(round(x, 2), y_of(score), score,
                            f"{label}, {when:%Y-%m-%d %H:%M}: {pct(score)}"))  # fmt: skip
    return Chart(points, shown[0][0], shown[-1][0])
