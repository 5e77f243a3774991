"""The speech-to-text capability: audio bytes -> timed text.

Adapters: `ai/offline/stt.py` (faster-whisper tiny.en, shipped in a package) and
`ai/openai_stt.py` (any OpenAI-compatible `/v1/audio/transcriptions`). They raise only the
`ProviderError` family; `AudioUnreadable` and `TranscriptionTooSlow` carry a message that is
safe to show to the person who uploaded the audio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from studyforge.ai.errors import ProviderError

Progress = Callable[[float], None]  # seconds of audio transcribed so far


class AudioUnreadable(ProviderError):
    """The audio could not be decoded (corrupt, truncated, or not audio)."""

    code = "AUDIO_UNREADABLE"


class TranscriptionTooSlow(ProviderError):
    """Decoding or inference did not finish within the time limit."""

    code = "TRANSCRIPTION_TIMEOUT"


@dataclass(frozen=True)
class Segment:
    """A stretch of speech: seconds from the start of the audio, and what was said."""

    start: float
    end: float
    text: str


@dataclass
class Transcript:
    """A whole transcription; `confidence` is 0..1 (None when the provider gives none)."""

    text: str
    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    duration: float | None = None
    confidence: float | None = None


class SpeechToText(Protocol):
    """Transcribes one audio file (any format the adapter decodes)."""

    name: str

    def transcribe(
        self, audio: bytes, *, language: str | None, timeout: float, progress: Progress
    ) -> Transcript:
        """The transcript of `audio` (`language`: ISO 639-1, None to detect), within
        `timeout` seconds or `TranscriptionTooSlow`; `progress` is called as audio is done."""
        ...
