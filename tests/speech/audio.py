"""Real speech for the speech tests: the offline TTS (hibari, voice `heart` only: its other
voices download at run time), written in each format with soundfile or PyAV's encoders."""

from __future__ import annotations

import io
import re
from functools import lru_cache

import av
import numpy as np
import soundfile as sf

RATE = 24_000
SOUNDFILE = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
             "mp3": ("MP3", "MPEG_LAYER_III")}  # fmt: skip
PYAV = {"m4a": ("ipod", "aac", 24_000), "webm": ("webm", "libopus", 48_000),
        "amr": ("amr", "libopencore_amrnb", 8_000)}  # fmt: skip


@lru_cache(maxsize=8)
def speak(text: str) -> np.ndarray:
    """`text` spoken by hibari's `heart` voice: float32 mono at 24 kHz."""

    return np.asarray(_tts()(text), dtype=np.float32)


@lru_cache(maxsize=1)
def _tts():  # type: ignore[no-untyped-def]
    from hibari import Hibari

    return Hibari(voice="heart")


def encode(samples: np.ndarray, fmt: str) -> bytes:
    """`samples` (24 kHz mono float32) as a file of format `fmt` (a key of SOUNDFILE/PYAV)."""
    if fmt in SOUNDFILE:
        out = io.BytesIO()
        sf.write(out, samples, RATE, format=SOUNDFILE[fmt][0], subtype=SOUNDFILE[fmt][1])
        return out.getvalue()
    container_format, codec, rate = PYAV[fmt]
    out = io.BytesIO()
    with av.open(out, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")  # type: ignore[call-overload]
        frame = av.AudioFrame.from_ndarray(
            (samples * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = RATE
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        for piece in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def silence(seconds: float = 2.0) -> np.ndarray:
    """Digital silence with a whisper of noise (a real recording is never all zeros)."""
    rng = np.random.default_rng(7)
    return (rng.standard_normal(int(RATE * seconds)) * 1e-4).astype(np.float32)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance / reference length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)
