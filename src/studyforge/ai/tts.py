"""The text-to-speech capability: plain text -> mono float32 samples and their sample rate.

Adapters: `ai/offline/tts.py` (hibari's bundled `heart` voice) and `ai/openai_tts.py` (any
OpenAI-compatible `/v1/audio/speech`). They raise only the `ProviderError` family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from studyforge.ai.errors import ProviderError


class UnknownVoice(ProviderError):
    """The adapter has no voice of that id."""

    code = "UNKNOWN_VOICE"


class SynthesisFailed(ProviderError):
    """The model or endpoint produced no usable audio."""

    code = "SYNTHESIS_FAILED"


@dataclass(frozen=True)
class Voice:
    """A voice an adapter speaks with (`gender`: "Female" | "Male", as the specification)."""

    id: str
    name: str
    language_code: str
    gender: str


class TTS(Protocol):
    """Speaks plain text (markup already stripped) with one of its voices."""

    name: str

    def voices(self) -> list[Voice]:
        """The voices this adapter offers."""
        ...

    def synthesize(self, text: str, voice: str, *, timeout: float) -> tuple[np.ndarray, int]:
        """`text` spoken by `voice`: float32 mono samples in -1..1 and their sample rate."""
        ...
