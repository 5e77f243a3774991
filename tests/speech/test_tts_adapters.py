"""The TTS adapters on their own: the offline voice's checks, speed and joins, and the
OpenAI-compatible one against a faked HTTP edge (`httpx.MockTransport`)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from studyforge.ai.errors import ModelFileMismatch, ProviderUnavailable
from studyforge.ai.offline import models
from studyforge.ai.offline.tts import OfflineTTS, join, split_sentences
from studyforge.ai.openai_tts import OpenAICompatTTS
from studyforge.ai.tts import UnknownVoice
from studyforge.speech.synthesis import plain_text

PASSAGE = (
    "Cells are the basic units of life. Every living thing is made of one or more cells. "
    "The nucleus holds the genetic material, and the mitochondria release energy from food. "
    "Plant cells also have chloroplasts, where photosynthesis turns light into sugar. "
    "A membrane surrounds each cell and controls what enters and leaves it. "
    "Some organisms, such as bacteria, are a single cell; others have trillions. "
    "Cells divide to grow and to repair damaged tissue. "
    "When cells divide without control, the result can be a tumour."
)


@pytest.mark.parametrize(("voice", "expected_rate"), [("heart", 24_000), ("joe", 22_050)])
def test_offline_voice_speaks_faster_than_real_time(voice: str, expected_rate: int) -> None:
    tts = OfflineTTS()
    tts.synthesize("Warm up.", voice, timeout=60)  # loads the model once
    started = time.monotonic()
    samples, rate = tts.synthesize(PASSAGE, voice, timeout=60)
    elapsed = time.monotonic() - started
    seconds = len(samples) / rate
    print(f"{voice}: {seconds:.1f} s of audio in {elapsed:.2f} s (RTF {elapsed / seconds:.3f})")
    assert rate == expected_rate and 20 < seconds < 60 and elapsed / seconds < 0.5
    assert not np.isnan(samples).any() and np.max(np.abs(samples)) <= 1.0


def test_only_heart_and_no_download_path() -> None:
    with pytest.raises(UnknownVoice):
        OfflineTTS().synthesize("Hello.", "emma", timeout=10)


def test_joe_model_files_are_checked() -> None:
    assert models.model_path("tts.piper.joe").stat().st_size > 60_000_000
    assert models.model_path("tts.piper.joe.config").name.endswith(".onnx.json")


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "hibari.onnx"
    bad.write_bytes(b"not the model")
    with pytest.raises(ModelFileMismatch):
        models.verify(bad, models.MODEL_FILES["tts.hibari.heart"][2])


def test_sentences_split_and_join_without_clicks() -> None:
    assert split_sentences("One. Two! Three?") == ["One.", "Two!", "Three?"]
    assert all(len(s) <= 400 for s in split_sentences("word " * 300))
    loud = [np.ones(2400, np.float32) * 0.9, -np.ones(2400, np.float32) * 0.9]
    joined = join(loud, 24_000)
    assert joined[0] == 0 and np.max(np.abs(np.diff(joined))) < 0.2


def test_markup_and_control_characters_become_plain_text() -> None:
    assert plain_text("<speak>Hi<break time='1s'/>there\x00\x1b &amp; you</speak>") == (
        "Hi. there & you"
    )
    assert plain_text("<speak> <break/> </speak>") == ""
    assert plain_text("Loops\n=====\nA loop runs.\n```\nx = 1\n```") == (
        "Loops. A loop runs. x = 1."
    )


def _wav(seconds: float = 0.5) -> bytes:
    out = io.BytesIO()
    t = np.arange(int(24_000 * seconds)) / 24_000
    sf.write(out, 0.3 * np.sin(2 * np.pi * 220 * t), 24_000, format="WAV", subtype="PCM_16")
    return out.getvalue()


def test_openai_adapter_posts_to_audio_speech() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/audio/speech"
        seen.append(json.loads(request.content))
        return httpx.Response(200, content=_wav(), headers={"content-type": "audio/wav"})

    tts = OpenAICompatTTS(
        api_key="k", base_url="http://tts.test/v1", model="tts-1", timeout=5, max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )  # fmt: skip
    samples, rate = tts.synthesize("Hello there.", "nova", timeout=5)
    assert rate == 24_000 and len(samples) == 12_000
    assert seen == [{"model": "tts-1", "voice": "nova", "input": "Hello there.",
                     "response_format": "wav"}]  # fmt: skip
    with pytest.raises(UnknownVoice):
        tts.synthesize("Hello.", "Joanna", timeout=5)


def test_openai_adapter_translates_server_errors() -> None:
    tts = OpenAICompatTTS(
        api_key="k", base_url="http://tts.test/v1", model="tts-1", timeout=5, max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
    )  # fmt: skip
    with pytest.raises(ProviderUnavailable):
        tts.synthesize("Hello.", "alloy", timeout=5)
