"""Requests/s of `GET /api/jobs/{id}` next to a bare FastAPI endpoint, same server, same load."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from tests.conftest import make_settings
from tests.support.procs import start_server

from studyforge.migrate import upgrade

CONCURRENCY = 16
SECONDS = 4.0
ROUNDS = 3  # bare and jobs alternate, so a slow spell of the machine hits both
WRITES_PER_S = 200


async def _load(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Hammer `url` with CONCURRENCY keep-alive clients for SECONDS; returns (rps, errors)."""
    done = errors = 0
    stop = time.monotonic() + SECONDS
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:

        async def one() -> None:
            nonlocal done, errors
            while time.monotonic() < stop:
                resp = await client.get(url)
                if resp.status_code == 200:
                    done += 1
                else:
                    errors += 1

        start = time.monotonic()
        await asyncio.gather(*(one() for _ in range(CONCURRENCY)))
        return done / (time.monotonic() - start), errors


def _wrk(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Load with wrk (a C load generator, so the client is not the bottleneck)."""
    args = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{int(SECONDS)}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def measure(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Requests/s and errors for `url`, with wrk when installed, else an asyncio client."""
    if shutil.which("wrk"):
        return _wrk(url, headers)
    return asyncio.run(_load(url, headers))


def main() -> None:
    """Print the throughput table."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'bench.db'}"
        upgrade(db)
        settings = make_settings(root / "home", db)
        server, base = start_server(settings, root)
        try:
            token = _login(base, settings)
            headers = {"Authorization": f"Bearer {token}"}
            job_id = _job(base, settings)
            measure(base + "/health/live", {})  # warm-up
            bare, jobs, busy = [], [], []
            for _ in range(ROUNDS):
                bare.append(measure(base + "/health/live", {}))
                jobs.append(measure(f"{base}/api/jobs/{job_id}", headers))
            writer = _Writer(root / "bench.db", _job(base, settings))
            with writer:
                busy.append(measure(f"{base}/api/jobs/{job_id}", headers))
        finally:
            server.stop()
    tool = "wrk" if shutil.which("wrk") else "httpx (install wrk for a fairer figure)"
    print(
        f"\nAPI throughput: {CONCURRENCY} keep-alive connections, {ROUNDS} alternating rounds"
        f" of {SECONDS:.0f} s, {tool}; median of the rounds"
    )
    print("| endpoint | requests/s | rounds | errors |")
    print("|---|---|---|---|")
    for name, runs in (
        ("GET /health/live (bare FastAPI endpoint)", bare),
        ("GET /api/jobs/{id} (auth + database)", jobs),
        (f"same, while another job commits {writer.writes / SECONDS:.0f} times/s", busy),
    ):
        each = ", ".join(f"{rps:.0f}" for rps, _ in runs)
        print(f"| {name} | {_median(runs):.0f} | {each} | {sum(e for _, e in runs)} |")
    print(f"| ratio jobs / bare | {_median(jobs) / _median(bare):.2f} | | |")


class _Writer:
    """Commits another job's progress WRITES_PER_S times a second, so no read is memoised."""

    def __init__(self, path: Path, job_id: str) -> None:
        self.path, self.job_id = path, uuid.UUID(job_id).hex
        self.stop = threading.Event()
        self.writes = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with sqlite3.connect(self.path, timeout=30) as conn:
            n = 0
            while not self.stop.wait(1 / WRITES_PER_S):
                n += 1
                sql = "UPDATE jobs SET progress = ? WHERE id = ?"
                if conn.execute(sql, (n % 100, self.job_id)).rowcount != 1:
                    raise RuntimeError(f"no job {self.job_id} to update")
                conn.commit()
            self.writes = n

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _median(runs: list[tuple[float, int]]) -> float:
    return statistics.median(rps for rps, _ in runs)


def _login(base: str, settings: object) -> str:
    import subprocess

    from tests.support.procs import BIN, settings_env

    env = settings_env(settings)  # type: ignore[arg-type]
    subprocess.run(
        [str(BIN), "users", "create", "bench", "--password", "bench-pass-1"],
        env=env,
        check=True,
        capture_output=True,
    )
    resp = httpx.post(base + "/auth/token", data={"username": "bench", "password": "bench-pass-1"})
    return str(resp.json()["access_token"])


def _job(base: str, settings: object) -> str:
    import subprocess

    from tests.support.procs import BIN, settings_env

    env = settings_env(settings)  # type: ignore[arg-type]
    out = subprocess.run(
        [str(BIN), "jobs", "enqueue", "system.noop", "--user", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
