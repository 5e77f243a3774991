"""Speech-to-text on an OpenAI-compatible `/v1/audio/transcriptions` endpoint.

Uses the same client and retry policy as the LLM and embedding adapters
(`openai_compat._client`, `_with_retries`); asks for `verbose_json` so segments, language and
duration come back. A 400 from the endpoint (it could not read the audio) is
`AudioUnreadable`; a timeout is `ProviderTimeout`, retried by the runner.
"""

from __future__ import annotations

import math
from typing import Any

import openai

from studyforge.ai.errors import ProviderError
from studyforge.ai.openai_compat import OpenAIEndpoint, _with_retries
from studyforge.ai.stt import AudioUnreadable, Progress, Segment, Transcript

BACKOFF_SECONDS = 1.0


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class OpenAICompatSTT(OpenAIEndpoint):
    """Whisper (or a compatible model) behind an OpenAI-style API."""

    def transcribe(
        self, audio: bytes, *, language: str | None, timeout: float, progress: Progress
    ) -> Transcript:
        client = self._client.with_options(timeout=min(timeout, self.timeout))

        def call() -> Any:
            return client.audio.transcriptions.create(
                model=self.model,
                file=("audio", audio),
                response_format="verbose_json",
                language=language or openai.omit,
            )

        try:
            raw = _with_retries(call, max_retries=self.max_retries, backoff_seconds=BACKOFF_SECONDS)
        except ProviderError as exc:
            if "rejected the request (400)" in str(exc):
                raise AudioUnreadable("the transcription service could not read the audio") from exc
            raise
        segments, weighted = [], 0.0
        for item in _get(raw, "segments") or []:
            start, end = float(_get(item, "start") or 0), float(_get(item, "end") or 0)
            text = str(_get(item, "text") or "").strip()
            if text:
                segments.append(Segment(round(start, 2), round(end, 2), text))
                logprob = _get(item, "avg_logprob")
                if logprob is not None:
                    weighted += math.exp(min(float(logprob), 0.0)) * max(end - start, 0.0)
        duration = _get(raw, "duration")
        if duration is not None:
            progress(float(duration))
        spoken = sum(s.end - s.start for s in segments)
        return Transcript(
            text=str(_get(raw, "text") or "").strip(),
            segments=segments,
            language=_get(raw, "language"),
            duration=round(float(duration), 2) if duration is not None else None,
            confidence=round(weighted / spoken, 4) if weighted and spoken > 0 else None,
        )
