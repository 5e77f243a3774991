"""Fixtures for the AI adapter tests: a real llama.cpp OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.llama import LlamaServer, start_llama


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """One llama.cpp server (SmolLM2-135M) for the session; fails if it is not installed."""
    server = start_llama(tmp_path_factory.mktemp("llama"))
    yield server
    server.stop()
