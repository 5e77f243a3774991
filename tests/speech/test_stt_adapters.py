"""The STT adapters on their own: the offline model's speed, bounds and errors, and the
OpenAI-compatible one against a faked HTTP edge (`httpx.MockTransport`), also end to end."""

from __future__ import annotations

import resource
import time

import httpx
import numpy as np
import pytest

from studyforge.ai.errors import ProviderUnavailable
from studyforge.ai.offline.stt import WhisperSTT, model_dir
from studyforge.ai.openai_stt import OpenAICompatSTT
from studyforge.ai.registry import make_providers
from studyforge.ai.stt import AudioUnreadable, TranscriptionTooSlow
from studyforge.platform import Platform
from studyforge.speech.audio import sniff
from tests.conftest import UserMaker
from tests.speech.audio import encode, wer
from tests.speech.conftest import SPOKEN, transcribed

VERBOSE = {
    "text": "The mitochondria is the powerhouse of the cell.",
    "language": "english",
    "duration": 3.5,
    "segments": [
        {"start": 0.0, "end": 1.5, "text": " The mitochondria", "avg_logprob": -0.1},
        {"start": 1.5, "end": 3.2, "text": " is the powerhouse of the cell.", "avg_logprob": -0.3},
    ],
}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the model runs in a child)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def test_model_ships_in_a_package() -> None:
    assert (model_dir() / "model.bin").stat().st_size > 30_000_000


def test_offline_transcribes_in_a_fraction_of_real_time(clip: np.ndarray) -> None:
    stt = WhisperSTT(threads=2)
    positions: list[float] = []
    stt.transcribe(
        encode(clip[:24_000], "wav"), language="en", timeout=60, progress=positions.append
    )  # fmt: skip  (loads the model once)
    started, cpu = time.monotonic(), cpu_seconds()
    result = stt.transcribe(encode(clip, "flac"), language="en", timeout=60,
                            progress=positions.append)  # fmt: skip
    elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu
    seconds = len(clip) / 24_000
    print(f"offline STT: WER {wer(SPOKEN, result.text):.3f}, RTF {elapsed / seconds:.3f} "
          f"wall, {cpu / seconds:.3f} CPU s per audio s")  # fmt: skip
    assert wer(SPOKEN, result.text) < 0.15
    # CPU time, not wall time: the machine may be busy with other work (2 threads: ~0.3)
    assert cpu / seconds < 1.0
    assert positions and positions[-1] <= seconds + 0.5


def test_offline_time_limit_and_bad_bytes(clip: np.ndarray) -> None:
    stt = WhisperSTT(threads=2)
    with pytest.raises(TranscriptionTooSlow):
        stt.transcribe(encode(clip, "wav"), language="en", timeout=1e-6, progress=lambda s: None)
    with pytest.raises(AudioUnreadable) as caught:
        stt.transcribe(b"RIFF\x00\x00\x00\x00WAVEjunk", language="en", timeout=30,
                       progress=lambda s: None)  # fmt: skip
    assert "corrupt" in str(caught.value)


def test_sniff_ignores_names_and_refuses_lookalikes() -> None:
    assert sniff(b"\xff\xf1\x50\x80" + bytes(20)) is None  # AAC ADTS, not MPEG layer 3
    assert sniff(b"%PDF-1.7\n") is None
    assert sniff(b"ID3\x04" + bytes(20)) == "mp3"


class Replies:
    """The faked endpoint: answers in turn, and the requests it saw."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)


def _stt(replies: Replies, retries: int = 0) -> OpenAICompatSTT:
    return OpenAICompatSTT(
        api_key="k", base_url="http://stt.test/v1", model="whisper-1", timeout=5,
        max_retries=retries, http_client=httpx.Client(transport=httpx.MockTransport(replies)),
    )  # fmt: skip


def test_openai_compatible_endpoint_gives_segments_and_confidence() -> None:
    replies = Replies(httpx.Response(200, json=VERBOSE))
    positions: list[float] = []
    result = _stt(replies).transcribe(b"audio-bytes", language="en", timeout=5,
                                      progress=positions.append)  # fmt: skip
    request = replies.requests[0]
    assert request.url.path == "/v1/audio/transcriptions"
    body = request.content
    assert b"verbose_json" in body and b"whisper-1" in body and b"audio-bytes" in body
    assert result.text == VERBOSE["text"] and result.duration == 3.5
    assert [s.text for s in result.segments] == [
        "The mitochondria",
        "is the powerhouse of the cell.",
    ]
    assert result.confidence is not None and 0.7 < result.confidence < 0.9
    assert positions == [3.5]


def test_openai_errors_are_ours() -> None:
    bad = Replies(httpx.Response(400, json={"error": {"message": "Invalid file format."}}))
    with pytest.raises(AudioUnreadable):
        _stt(bad).transcribe(b"x", language=None, timeout=5, progress=lambda s: None)
    down = Replies(httpx.Response(503, json={}), httpx.Response(503, json={}))
    with pytest.raises(ProviderUnavailable):
        _stt(down, retries=1).transcribe(b"x", language=None, timeout=5, progress=lambda s: None)
    assert len(down.requests) == 2


def test_registry_picks_the_configured_adapter(platform: Platform) -> None:
    assert isinstance(platform.ai.stt, WhisperSTT)
    settings = platform.settings.model_copy(update={"stt_provider": "openai"})
    assert isinstance(make_providers(settings).stt, OpenAICompatSTT)


@pytest.mark.anyio
async def test_job_uses_the_openai_endpoint_when_configured(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform, clip: np.ndarray
) -> None:
    replies = Replies(httpx.Response(200, json=VERBOSE))
    platform.ai.stt = _stt(replies)
    platform.settings.stt_provider = "openai"
    _, headers = make_user()
    body = await transcribed(client, headers, "x.wav", encode(clip, "wav"), language_code="fr-FR")
    assert body["status"] == "completed", body
    assert body["transcript"] == VERBOSE["text"] and body["language"] == "english"
    assert b'name="language"\r\n\r\nfr\r\n' in replies.requests[0].content
    assert body["segments"][0] == {"start": 0.0, "end": 1.5, "text": "The mitochondria"}
