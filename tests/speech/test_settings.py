"""The speech settings come from their `STUDYFORGE_` variables, and the README lists them."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyforge.config import Settings


def test_speech_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "STUDYFORGE_STT_PROVIDER": "openai",
        "STUDYFORGE_STT_MODEL": "whisper-large-v3",
        "STUDYFORGE_STT_THREADS": "3",
        "STUDYFORGE_STT_MAX_SECONDS": "600",
        "STUDYFORGE_STT_TIMEOUT_SECONDS": "90",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = Settings()
    assert (s.stt_provider, s.stt_model, s.stt_threads) == ("openai", "whisper-large-v3", 3)
    assert (s.stt_max_seconds, s.stt_timeout_seconds) == (600, 90)
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in env:
        assert f"`{name}`" in readme


def test_defaults_are_offline_and_three_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROVIDER", "MAX_SECONDS"):
        monkeypatch.delenv(f"STUDYFORGE_STT_{name}", raising=False)
    s = Settings()
    assert s.stt_provider == "offline" and s.stt_max_seconds == 3 * 3600
