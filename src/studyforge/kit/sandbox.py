"""Run a parser of untrusted bytes in a separate process bounded in time and memory.

Parsers of uploaded files (PDF, Office zips) can be driven into huge allocations or very long
loops by a hostile file. The child is a fresh `python -m studyforge.kit.sandbox` process that
limits its own address space before importing any parser, and is killed at the deadline, so
the worst a bad file can do is fail its own document. Results come back as JSON (never
pickle), so even a compromised child cannot run code in the caller.

The function named must take `(data: bytes, **args)` and return JSON-serialisable data.
`run_streaming` also passes `emit`, a callable that sends a JSON value back to the caller
while the child works (progress), and kills the child's whole process group at the deadline.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

# Exceptions whose message is written for the user (the others are shown as their repr).
SAFE_ERRORS = ("ExtractError", "ProbeError", "AudioUnreadable")
EMIT = "@emit "  # a line the child sends while it works


class SandboxError(Exception):
    """The function failed, ran out of memory or time; the message is safe to show."""

    kind = ""  # the class name of the child's exception, when it raised one


class SandboxTimeout(SandboxError):
    """The child was killed at its deadline."""


def run_limited(target: str, data: bytes, *, timeout: float, memory_mb: int, **args: Any) -> Any:
    """Run `module:function(data, **args)` in a child process and return its JSON result."""
    env = _child_env()
    cmd = [sys.executable, "-m", "studyforge.kit.sandbox", target, json.dumps(args),
           str(memory_mb)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise SandboxError(f"gave up after {timeout:g} s (the file is too complex)") from None
    return _outcome(proc.stdout.decode("utf-8", "replace"), proc.returncode)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    env.update(PYTHONPATH=os.pathsep.join(p for p in sys.path if p), OMP_NUM_THREADS="1")
    return env


def _outcome(text: str, returncode: int | None) -> Any:
    try:
        outcome = json.loads(text)
    except ValueError:
        raise SandboxError(
            f"the reader stopped unexpectedly (exit code {returncode}); the file is "
            "probably too large to read within the memory limit"
        ) from None
    if not outcome.get("ok"):
        error = SandboxError(str(outcome.get("error", "unknown error"))[:500])
        error.kind = str(outcome.get("kind", ""))
        raise error
    return outcome["result"]


def run_streaming(
    target: str, data: bytes, *, timeout: float, memory_mb: int,
    on_emit: Callable[[Any], None], **args: Any,
) -> Any:  # fmt: skip
    """Like `run_limited`, with `emit` passed to the function; each emitted value reaches
    `on_emit` as it is sent. Past `timeout` seconds the child is killed: `SandboxTimeout`."""
    cmd = [sys.executable, "-m", "studyforge.kit.sandbox", target, json.dumps(args),
           str(memory_mb), "stream"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=_child_env(), start_new_session=True,
    )  # fmt: skip
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _kill_group(proc)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    last = ""
    try:
        assert proc.stdin is not None and proc.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(data)
            proc.stdin.close()
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(EMIT):
                on_emit(json.loads(line[len(EMIT) :]))
            elif line:
                last = line
        proc.wait()
    finally:
        timer.cancel()
        _kill_group(proc)
    if expired.is_set():
        raise SandboxTimeout(f"gave up after {timeout:g} s")
    return _outcome(last, proc.returncode)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _emit(value: Any) -> None:
    sys.stdout.write(EMIT + json.dumps(value) + "\n")
    sys.stdout.flush()


def _main(target: str, args_json: str, memory_mb: str, mode: str = "") -> None:
    limit = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
    try:
        module, name = target.split(":")
        func = getattr(importlib.import_module(module), name)
        kwargs = json.loads(args_json)
        if mode == "stream":
            kwargs["emit"] = _emit
        outcome: dict[str, Any] = {"ok": True, "result": func(data, **kwargs)}
    except MemoryError:
        outcome = {"ok": False, "error": "the file needs more memory than the limit allows"}
    except Exception as exc:  # any parser failure becomes the document's error message
        safe = exc.__class__.__name__ in SAFE_ERRORS
        message = str(exc) if safe else f"{exc!r}"
        outcome = {"ok": False, "error": message[:500], "kind": exc.__class__.__name__}
    try:
        text = json.dumps(outcome)
    except MemoryError:
        text = json.dumps({"ok": False, "error": "the extracted text is too large"})
    sys.stdout.write("\n" + text + "\n")


if __name__ == "__main__":
    _main(*sys.argv[1:5])
