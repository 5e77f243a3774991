"""A model's chat answer as it is written, for `POST /chat/stream` on a streaming LLM.

The material decides first, as for every reply (`Evidence.covered`); only then is the model
asked, and it streams plain prose. Each piece is passed on at once, with its citation markers
settled as they close: a number that is not one of the passages is dropped (with the space
before it), and the rest are renumbered in the order the answer first cites them, as
`make_reply` does with a whole answer. When the stream ends the whole text is judged by the
same rules (`reply.settle`); if the result differs from what was sent (a sentence that cited
only invented passages, a provider error mid-answer, no valid citation, the model's "not
covered"), one `replace` piece carries the final text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from studyforge.ai.errors import ProviderError
from studyforge.ai.llm import StreamingLLM, Usage
from studyforge.ai.registry import AIProviders
from studyforge.chat.compose import Answer
from studyforge.chat.grounding import Evidence
from studyforge.chat.prompts import ANSWER, MARKER, NOT_COVERED, STREAM_SYSTEM
from studyforge.chat.reply import prepare, provider_failed, settle

_MARKER = re.compile(r"(\s*)" + MARKER.pattern)  # a marker and the space before it
_OPEN = re.compile(r"\[[\d,\s]{0,40}")  # the start of a marker still being written


@dataclass(frozen=True)
class Piece:
    """What to send next: a `token` to append, or the `replace`ment of everything sent."""

    kind: str
    text: str


class Markers:
    """Settles the [n] markers of a text that arrives in pieces, holding back only a marker
    still open and the whitespace before it (which goes if the marker does)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.numbers: dict[int, int] = {}  # passage number -> number in the reply
        self.held = ""

    def feed(self, piece: str) -> str:
        """The text that can be sent now that `piece` has arrived."""
        self.held += piece
        text = self.held
        opened = text.rfind("[")
        cut = opened if opened >= 0 and _OPEN.fullmatch(text, opened) else len(text)
        cut = len(text[:cut].rstrip())
        ready, self.held = text[:cut], text[cut:]
        return _MARKER.sub(self._settle, ready)

    def flush(self) -> str:
        """Whatever is still held, once the text is complete."""
        rest, self.held = self.held, ""
        return _MARKER.sub(self._settle, rest).rstrip()

    def _settle(self, match: re.Match[str]) -> str:
        valid = [n for n in map(int, match.group(2).split(",")) if 1 <= n <= self.count]
        if not valid:
            return ""
        return match.group(1) + "".join(
            f"[{self.numbers.setdefault(n, len(self.numbers) + 1)}]" for n in valid
        )


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^A-Za-z ]", " ", text).split()).upper()


def _undecided(start: str) -> bool:
    """Whether the answer so far could still be the model's "not covered"."""
    return NOT_COVERED.startswith(_words(start))


class LiveReply:
    """One streamed reply: iterate `pieces()`, then read `answer` (the reply to store)."""

    def __init__(self, ai: AIProviders, llm: StreamingLLM, evidence: Evidence, question: str,
                 mode: str, history: Sequence[dict[str, str]],
                 covers: Callable[[], list[str]]) -> None:  # fmt: skip
        self.llm, self.evidence, self.question, self.covers = llm, evidence, question, covers
        self.offline, self.inputs, self.meta = prepare(ai, evidence, question, mode, history)
        self.answer: Answer | None = None

    def pieces(self) -> Iterator[Piece]:
        """The reply's pieces as the model writes them, and a `replace` if it must change."""
        markers = Markers(len(self.evidence.sources))
        usage, raw, sent = Usage(), [], []
        opened = False  # held back until it cannot be the model's "not covered"
        try:
            for piece in self.llm.stream(STREAM_SYSTEM, ANSWER.render(self.inputs), usage):
                raw.append(piece)
                if not opened:
                    if _undecided("".join(raw)):
                        continue
                    opened, piece = True, "".join(raw).lstrip()  # as the judged text
                ready = markers.feed(piece)
                if ready:
                    sent.append(ready)
                    yield Piece("token", ready)
        except ProviderError as exc:
            self.answer = provider_failed(self.offline, self.meta, exc)
        else:
            ready = markers.flush() if opened else ""
            if ready:
                sent.append(ready)
                yield Piece("token", ready)
            self.meta.update(usage.as_dict())
            text = "".join(raw)
            self.answer = settle(self.evidence, self.question, self.covers, self.offline,
                                 self.meta, text, _words(text) != NOT_COVERED)  # fmt: skip
        if self.answer.text != "".join(sent):
            yield Piece("replace", self.answer.text)
