"""Run `studyforge serve` / `studyforge worker` as real subprocesses for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from studyforge.config import Settings

BIN = Path(sys.executable).parent / "studyforge"

_ENV_NAMES = {
    "home": "STUDYFORGE_HOME",
    "database_url": "DATABASE_URL",
    "jwt_secret": "STUDYFORGE_JWT_SECRET",
    "jobs": "STUDYFORGE_JOBS",
    "job_workers": "STUDYFORGE_JOB_WORKERS",
    "job_lease_seconds": "STUDYFORGE_JOB_LEASE_SECONDS",
    "job_backoff_seconds": "STUDYFORGE_JOB_BACKOFF_SECONDS",
    "job_max_attempts": "STUDYFORGE_JOB_MAX_ATTEMPTS",
    "events_poll_seconds": "STUDYFORGE_EVENTS_POLL_SECONDS",
    "redis_url": "REDIS_URL",
    "celery_broker_url": "CELERY_BROKER_URL",
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "rabbitmq_host": "RABBITMQ_HOST",
    "rabbitmq_port": "RABBITMQ_PORT",
    "s3_bucket": "STUDYFORGE_S3_BUCKET",
    "s3_endpoint_url": "STUDYFORGE_S3_ENDPOINT_URL",
    "s3_access_key_id": "AWS_ACCESS_KEY_ID",
    "s3_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "repo_allow_local": "STUDYFORGE_REPO_ALLOW_LOCAL",
    "llm_provider": "STUDYFORGE_LLM_PROVIDER",
    "llm_max_retries": "STUDYFORGE_LLM_MAX_RETRIES",
    "openai_base_url": "STUDYFORGE_OPENAI_BASE_URL",
    "openai_api_key": "STUDYFORGE_OPENAI_API_KEY",
}


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that reproduce `settings` in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYFORGE_")}
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "RABBITMQ_HOST",
        "DB_HOST",
    ):
        env.pop(name, None)
    for field, var in _ENV_NAMES.items():
        value = getattr(settings, field)
        if value is not None:
            env[var] = str(value)
    env["STUDYFORGE_LOG_LEVEL"] = "INFO"
    return env


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll `predicate` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    """A child process we started, with its output in a log file; stopped only by its pid."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self._log: IO[bytes] | None = None
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        """Start (or restart) the process."""
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the process (a crash), and wait for it."""
        self._signal(signal.SIGKILL)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.popen is None or self.popen.poll() is not None:
            self._close_log()
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
        self._close_log()

    def _signal(self, sig: int) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        # The child leads its own session; signal that group so its threads/children go too.
        os.killpg(self.popen.pid, sig)
        self.popen.wait(15)

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None


def start_server(settings: Settings, log_dir: Path, port: int | None = None) -> tuple[Proc, str]:
    """`studyforge serve` on a free port; returns the process and its base URL once healthy."""
    port = port or free_port()
    proc = Proc(
        [str(BIN), "serve", "--port", str(port)],
        settings_env(settings),
        log_dir / f"serve-{port}.log",
    ).start()
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.popen and proc.popen.poll() is not None:
            raise RuntimeError(f"server exited:\n{proc.log()[-3000:]}")
        try:
            return httpx.get(base + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, 60, "studyforge serve to answer /health", 0.2)
    return proc, base


def start_worker(
    settings: Settings, log_dir: Path, concurrency: int = 4, queues: str | None = None
) -> Proc:
    """`studyforge worker` (Celery, on `queues` or all of them); returns once it is ready."""
    chosen = ["--queues", queues] if queues else []
    proc = Proc(
        [str(BIN), "worker", "--concurrency", str(concurrency), *chosen],
        settings_env(settings),
        log_dir / f"worker-{time.monotonic_ns()}.log",
    )
    offset = proc.log_path.stat().st_size if proc.log_path.exists() else 0
    proc.start()

    def ready() -> bool:
        if proc.popen and proc.popen.poll() is not None:
            raise RuntimeError(f"worker exited:\n{proc.log()[-3000:]}")
        return "ready." in proc.log()[offset:]

    wait_for(ready, 60, "the Celery worker to be ready", 0.2)
    return proc
