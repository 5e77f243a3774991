"""Text-to-speech on an OpenAI-compatible `POST /v1/audio/speech` endpoint.

Same client and retry policy as the other OpenAI-compatible adapters; asks for WAV
(`response_format="wav"`) and decodes it with soundfile, so the platform encodes every output
format itself, whatever the endpoint supports.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import soundfile as sf

from studyforge.ai.openai_compat import OpenAIEndpoint, _with_retries
from studyforge.ai.tts import SynthesisFailed, UnknownVoice, Voice

BACKOFF_SECONDS = 1.0
VOICES = [
    Voice("alloy", "Alloy", "en-US", "Female"),
    Voice("echo", "Echo", "en-US", "Male"),
    Voice("fable", "Fable", "en-GB", "Male"),
    Voice("onyx", "Onyx", "en-US", "Male"),
    Voice("nova", "Nova", "en-US", "Female"),
    Voice("shimmer", "Shimmer", "en-US", "Female"),
]


class OpenAICompatTTS(OpenAIEndpoint):
    """An OpenAI-style speech endpoint (OpenAI, or a compatible local server)."""

    def voices(self) -> list[Voice]:
        """The endpoint's standard voices."""
        return list(VOICES)

    def synthesize(self, text: str, voice: str, *, timeout: float) -> tuple[np.ndarray, int]:
        """WAV from the endpoint, decoded to float32 mono."""
        if voice not in {v.id for v in VOICES}:
            raise UnknownVoice(f"unknown voice {voice!r}")
        client = self._client.with_options(timeout=min(timeout, self.timeout))

        def call() -> Any:
            return client.audio.speech.create(
                model=self.model, voice=voice, input=text, response_format="wav"
            )

        raw = _with_retries(call, max_retries=self.max_retries, backoff_seconds=BACKOFF_SECONDS)
        try:
            samples, rate = sf.read(io.BytesIO(raw.content), dtype="float32", always_2d=True)
        except Exception:
            raise SynthesisFailed(
                "the speech endpoint returned audio that does not decode"
            ) from None
        return samples.mean(axis=1).astype(np.float32), int(rate)
