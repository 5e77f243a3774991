"""A recording of real human speech (a LibriVox reader, see data/README.md) transcribes with
its words through `POST /transcribe` on the offline model."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import UserMaker
from tests.speech.audio import wer
from tests.speech.conftest import transcribed

pytestmark = pytest.mark.anyio
DATA = Path(__file__).parent / "data"


async def test_a_human_reader_is_transcribed_with_the_words_read(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    _, headers = make_user()
    reference = (DATA / "austen.txt").read_text()
    body = await transcribed(client, headers, "austen.flac", (DATA / "austen.flac").read_bytes())
    assert body["status"] == "completed", body
    error = wer(reference, body["transcript"].replace("Mr.", "mister"))
    print(f"WER {error:.3f}: {body['transcript']}")
    assert error < 0.15
    assert "Dashwood" in body["transcript"] and "amiable" in body["transcript"]
    assert abs(body["duration"] - 26.7) < 0.2
    segments = body["segments"]
    assert segments and all(0 <= s["start"] < s["end"] <= 26.8 for s in segments)
    assert [s["start"] for s in segments] == sorted(s["start"] for s in segments)
