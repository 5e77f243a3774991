"""Offline text-to-speech: hibari's `heart` voice (American English, female, 24 kHz).

Only `heart` is used: it ships inside the package; hibari's other voices are downloaded from
the network on first use, so the model file is always passed explicitly (a verified path from
`ai/offline/models.py`), which bypasses hibari's downloader entirely. The model loads once per
process, lazily, under a lock. Long text is spoken one sentence at a time and joined with a
short pause and tiny fades, so there are no clicks at the joins.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np

from studyforge.ai.errors import ProviderError
from studyforge.ai.offline.models import model_path
from studyforge.ai.tts import SynthesisFailed, UnknownVoice, Voice

SAMPLE_RATE = 24_000
PAUSE_SECONDS = 0.18
FADE_SECONDS = 0.006
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n{2,}")
_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}

VOICES = [Voice("heart", "Heart", "en-US", "Female")]


def _hibari() -> Any:
    with _LOCK:
        if "heart" not in _MODELS:
            from hibari import Hibari

            path = model_path("tts.hibari.heart")
            _MODELS["heart"] = Hibari(voice="heart", model=str(path), threads=1)
        return _MODELS["heart"]


def split_sentences(text: str, max_chars: int = 400) -> list[str]:
    """Sentences of `text`; an over-long one is cut at commas or spaces under `max_chars`."""
    out: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        while len(sentence) > max_chars:
            cut = max(sentence.rfind(",", 0, max_chars), sentence.rfind(" ", 0, max_chars))
            cut = cut if cut > 0 else max_chars
            out.append(sentence[: cut + 1].strip())
            sentence = sentence[cut + 1 :].strip()
        if sentence:
            out.append(sentence)
    return out


def join(pieces: list[np.ndarray], rate: int) -> np.ndarray:
    """Concatenate with a short silence between pieces, each faded in and out."""
    fade = max(int(rate * FADE_SECONDS), 1)
    pause = np.zeros(int(rate * PAUSE_SECONDS), np.float32)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    parts: list[np.ndarray] = []
    for piece in pieces:
        piece = np.nan_to_num(np.asarray(piece, np.float32).reshape(-1)).copy()
        if len(piece) > 2 * fade:
            piece[:fade] *= ramp
            piece[-fade:] *= ramp[::-1]
        if parts:
            parts.append(pause)
        parts.append(piece)
    if not parts:
        return np.zeros(0, np.float32)
    return np.clip(np.concatenate(parts), -1.0, 1.0)


class OfflineTTS:
    """hibari `heart`, sentence by sentence."""

    name = "hibari:heart"

    def voices(self) -> list[Voice]:
        """The one bundled voice."""
        return list(VOICES)

    def synthesize(self, text: str, voice: str, *, timeout: float) -> tuple[np.ndarray, int]:
        """Speak `text` with `voice` (only `heart`)."""
        if voice not in {v.id for v in VOICES}:
            raise UnknownVoice(f"unknown voice {voice!r}")
        model = _hibari()
        pieces = []
        try:
            for sentence in split_sentences(text):
                pieces.append(model(sentence, seed=0))
        except ProviderError:
            raise
        except Exception as exc:
            raise SynthesisFailed(f"the offline voice could not speak the text: {exc}") from None
        return join(pieces, SAMPLE_RATE), SAMPLE_RATE
