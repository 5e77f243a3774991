"""Speech: TTS real-time factor per voice, STT real-time factor and word error rate on that
speech, and the synthesis cache's hit latency. `python -m bench speech [--quick]`.

The text is prose from Python's own tutorial (Debian's python3-doc, reStructuredText sources),
a few minutes of it: each offline voice speaks it (one engine), and the offline Whisper model
transcribes what it said (the other engine). Real-time factor = processing seconds / audio
seconds. Word error rate is word-level edit distance over the reference's words, after
lower-casing and dropping punctuation (`tests.speech.audio.wer`). Nothing here asserts.
"""

from __future__ import annotations

import io
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import soundfile as sf
from tests.conftest import make_settings
from tests.speech.audio import wer

from studyforge.ai.offline.stt import WhisperSTT
from studyforge.ai.offline.tts import OfflineTTS
from studyforge.auth.service import create_user
from studyforge.migrate import upgrade
from studyforge.platform import build_platform
from studyforge.speech import synthesis

QUICK = "--quick" in sys.argv
SOURCES = Path("/usr/share/doc/python3.11/html/_sources/tutorial")
WORDS = 250 if QUICK else 600  # about 100 s / 4 min of speech


def tutorial_prose(words: int) -> str:
    """Plain paragraphs of the tutorial (no code, directives or tables), `words` words long."""
    taken: list[str] = []
    for name in ("controlflow.rst.txt", "errors.rst.txt", "classes.rst.txt"):
        text = (SOURCES / name).read_text()
        for block in re.split(r"\n\s*\n", text):
            line = " ".join(block.split())
            if (
                block.startswith((" ", "..", "=", "*", "-", ">>>"))
                or "::" in line
                or len(line) < 80
                or re.search(r"^\s*([=\-~^*#])\1{2,}\s*$", block, re.M)  # a heading
            ):
                continue
            line = re.sub(r"[Ff]or more details see :ref:`[^`]+`\.?|:ref:`[^`]+`", "", line)
            line = re.sub(r":\w+:`[~!]?([^`<]+?)(?:\s*<[^>]*>)?`", r"\1", line)  # :func:`x`
            line = re.sub(r"`+([^`]+?)`+_?", r"\1", line).replace("*", "")
            taken.append(line)
            if sum(len(t.split()) for t in taken) >= words:
                return " ".join(taken)
    return " ".join(taken)


def cache_hits(text: str, rounds: int) -> tuple[float, float, float, int]:
    """Milliseconds: the first (uncached) synthesis, then the hit's p50 and p95 (SQLite), and
    how many of the repeats were served from the cache."""
    with tempfile.TemporaryDirectory() as home:
        settings = make_settings(Path(home), f"sqlite:///{home}/bench.db")
        upgrade(settings.database_url)
        platform = build_platform(settings)
        try:
            with platform.sessions() as session:
                user = create_user(
                    session, f"tts-{uuid.uuid4().hex[:8]}@example.com", "pw-12345678"
                )
                session.commit()
                user_id = user.id
            timings, served = [], 0
            for _ in range(rounds + 1):
                started = time.perf_counter()
                with platform.sessions() as session:
                    _, cached = synthesis.synthesize(
                        session, platform.blobs, settings, platform.ai.tts, user_id=user_id,
                        text=text, voice_id="Joanna", language_code="en-US", fmt="mp3",
                    )  # fmt: skip
                    session.commit()
                served += cached
                timings.append((time.perf_counter() - started) * 1000)
            hits = sorted(timings[1:])
            return timings[0], statistics.median(hits), hits[int(0.95 * (len(hits) - 1))], served
        finally:
            platform.close()


def main() -> None:
    """Print the speech table."""
    text = tutorial_prose(WORDS)
    tts, stt = OfflineTTS(), WhisperSTT(threads=2)
    tts.synthesize("Warm up.", "heart", timeout=60)
    tts.synthesize("Warm up.", "joe", timeout=60)
    stt.transcribe(_wav(*tts.synthesize("Warm up.", "heart", timeout=60)), language="en",
                   timeout=120, progress=lambda s: None)  # fmt: skip
    print(f"\n## speech ({len(text.split())} words of Python's tutorial, 2 cores)\n")
    print("| voice | audio s | TTS s | TTS RTF | STT s | STT RTF | WER |")
    print("|---|---|---|---|---|---|---|")
    for voice in ("heart", "joe"):
        started = time.perf_counter()
        samples, rate = tts.synthesize(text, voice, timeout=600)
        spoken = time.perf_counter() - started
        seconds = len(samples) / rate
        started = time.perf_counter()
        result = stt.transcribe(_wav(samples, rate), language="en", timeout=600,
                                progress=lambda s: None)  # fmt: skip
        heard = time.perf_counter() - started
        print(f"| {voice} | {seconds:.1f} | {spoken:.2f} | {spoken / seconds:.3f} | "
              f"{heard:.2f} | {heard / seconds:.3f} | {wer(text, result.text):.3f} |")  # fmt: skip
    first, p50, p95, served = cache_hits(" ".join(text.split()[:60]), 20 if QUICK else 100)
    print(f"\nPOST /synthesize's service, 60 words, mp3: first {first:.0f} ms; "
          f"cache hit p50 {p50:.2f} ms, p95 {p95:.2f} ms, {served} hits "
          "(in-process cache, SQLite)")  # fmt: skip


def _wav(samples: object, rate: int) -> bytes:
    out = io.BytesIO()
    sf.write(out, samples, rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


if __name__ == "__main__":
    main()
