"""Run a parser of untrusted bytes in a separate process bounded in time and memory.

Parsers of uploaded files (PDF, Office zips) can be driven into huge allocations or very long
loops by a hostile file. The child is a fresh `python -m studyforge.kit.sandbox` process that
limits its own address space before importing any parser, and is killed at the deadline, so
the worst a bad file can do is fail its own document. Results come back as JSON (never
pickle), so even a compromised child cannot run code in the caller.

The function named must take `(data: bytes, **args)` and return JSON-serialisable data.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
from typing import Any

# Exceptions whose message is written for the user (the others are shown as their repr).
SAFE_ERRORS = ("ExtractError", "ProbeError")


class SandboxError(Exception):
    """The function failed, ran out of memory or time; the message is safe to show."""


def run_limited(target: str, data: bytes, *, timeout: float, memory_mb: int, **args: Any) -> Any:
    """Run `module:function(data, **args)` in a child process and return its JSON result."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    env.update(PYTHONPATH=os.pathsep.join(p for p in sys.path if p), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "studyforge.kit.sandbox", target, json.dumps(args),
           str(memory_mb)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise SandboxError(f"gave up after {timeout:g} s (the file is too complex)") from None
    try:
        outcome = json.loads(proc.stdout)
    except ValueError:
        raise SandboxError(
            f"the reader stopped unexpectedly (exit code {proc.returncode}); the file is "
            "probably too large to read within the memory limit"
        ) from None
    if not outcome.get("ok"):
        raise SandboxError(str(outcome.get("error", "unknown error"))[:500])
    return outcome["result"]


def _main(target: str, args_json: str, memory_mb: str) -> None:
    limit = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
    try:
        module, name = target.split(":")
        func = getattr(importlib.import_module(module), name)
        outcome: dict[str, Any] = {"ok": True, "result": func(data, **json.loads(args_json))}
    except MemoryError:
        outcome = {"ok": False, "error": "the file needs more memory than the limit allows"}
    except Exception as exc:  # any parser failure becomes the document's error message
        safe = exc.__class__.__name__ in SAFE_ERRORS
        message = str(exc) if safe else f"{exc!r}"
        outcome = {"ok": False, "error": message[:500]}
    try:
        text = json.dumps(outcome)
    except MemoryError:
        text = json.dumps({"ok": False, "error": "the extracted text is too large"})
    sys.stdout.write(text)


if __name__ == "__main__":
    _main(*sys.argv[1:4])
