"""Git repositories for tests: build one from files in a single commit, and serve a folder of
them with a real `git daemon` on 127.0.0.1 (stopped by its pid)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.procs import free_port


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `cwd` with no user or system configuration (unless `env` says otherwise);
    its output."""
    base = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    base += ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    env = env or {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run([*base, *args], cwd=cwd, env=env, check=True, capture_output=True,
                          timeout=60)  # fmt: skip
    return done.stdout.decode().strip()


def make_repo(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    """A git repository with `files` and symlinks `links` (name -> target), one commit."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    for rel, data in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)
    for rel, target in (links or {}).items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path / rel)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@contextmanager
def git_daemon(base: Path) -> Iterator[int]:
    """`git daemon` serving every repository under `base` on 127.0.0.1; yields its port."""
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}",
         "--export-all", "--reuseaddr", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError("git daemon exited")
            if time.monotonic() > deadline:
                raise RuntimeError("git daemon did not start within 10 s")
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
