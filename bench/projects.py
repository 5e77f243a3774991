"""Projects: time to `run_started` and `run_completed` (offline planner, and an LLM stub with a
fixed latency), and SSE fan-out (many subscribers on one run, each must get every event).

`python -m bench projects [--quick]`. A real `studyforge serve` on SQLite, inline jobs, the
production event poll (EVENTS_POLL_SECONDS=1, streams poll every 0.25 s) and job lease (30 s:
the tests' 2 s lease runs out under 200 streams on 2 cores, and the job is run a second time).
The LLM stub is an OpenAI-compatible HTTP server in this process that waits LLM_LATENCY seconds
and answers with a valid project (the offline planner's, so the server validates and persists
a real document). Times are from sending `POST /start` to the event arriving on a stream opened
right after the 202. Nothing here asserts.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import make_settings
from tests.support.openai_stub import CompletionHandler
from tests.support.procs import start_server

from bench.api_throughput import _login
from studyforge.migrate import upgrade
from studyforge.projects.planner import plan

QUICK = "--quick" in sys.argv
RUNS = 3 if QUICK else 8
LLM_LATENCY = 2.0
SUBSCRIBERS = 50 if QUICK else 200
REQUEST = {
    "title": "Souq budget",
    "topic": "Shopping on a budget with discounts",
    "life_skill": "teamwork",
    "group_size": 4,
    "duration_min": 45,
    "owner_email": "teacher@example.com",
}


class _Stub(CompletionHandler):
    """`POST /v1/chat/completions`: sleep, then the planner's project as the model's answer."""

    calls = 0  # shown in the table: the LLM rows must have gone through the stub

    def answer(self, request: dict[str, Any]) -> str:
        _Stub.calls += 1
        time.sleep(LLM_LATENCY)
        return json.dumps(plan({**REQUEST, "passages": []}))


async def _events(client: httpx.AsyncClient, run_id: str, t0: float) -> list[tuple[str, float]]:
    """(event name, seconds since t0) for each event of the run's stream, to its end."""
    seen: list[tuple[str, float]] = []
    url = f"/events/stream?run_id={run_id}"
    async with client.stream("GET", url, timeout=120) as resp:
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                seen.append((line[7:], time.monotonic() - t0))
    return seen


async def _run(client: httpx.AsyncClient, subscribers: int = 1) -> list[list[tuple[str, float]]]:
    """Start one project and follow its stream with `subscribers` clients."""
    t0 = time.monotonic()
    resp = await client.post(
        "/start", json={**REQUEST, "project_id": uuid.uuid4().hex, "chat_id": "bench"}
    )
    resp.raise_for_status()
    run_id = resp.json()["run_id"]
    return list(await asyncio.gather(*(_events(client, run_id, t0) for _ in range(subscribers))))


def _at(events: list[tuple[str, float]], name: str) -> float:
    return next(t for n, t in events if n == name)


async def _latencies(base: str, headers: dict[str, str]) -> tuple[list[float], list[float], int]:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        await _run(client)  # warm-up (first model load, first queries)
        started, completed, sections = [], [], 0
        for _ in range(RUNS):
            (events,) = await _run(client)
            started.append(_at(events, "run_started"))
            completed.append(_at(events, "run_completed"))
            sections = sum(1 for n, _ in events if n == "section_completed")
        return started, completed, sections


async def _fan_out(base: str, headers: dict[str, str]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=SUBSCRIBERS + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=120, limits=limits
    ) as client:
        streams = await _run(client, SUBSCRIBERS)
    names = [[n for n, _ in s] for s in streams]
    complete = sum(1 for n in names if n == names[0] and n and n[-1] == "run_completed")
    done = sorted(_at(s, "run_completed") for s in streams if "run_completed" in [n for n, _ in s])
    return {
        "events": len(names[0]),
        "complete": complete,
        "first": done[0] if done else float("nan"),
        "last": done[-1] if done else float("nan"),
    }


def _serve(root: Path, name: str, **overrides: Any) -> tuple[Any, str, dict[str, str]]:
    db = f"sqlite:///{root / name}.db"
    upgrade(db)
    settings = make_settings(
        root / name, db, events_poll_seconds=1.0, job_lease_seconds=30.0, **overrides
    )
    server, base = start_server(settings, root)
    return server, base, {"Authorization": f"Bearer {_login(base, settings)}"}


def _row(label: str, values: list[float]) -> str:
    return f"| {label} | {statistics.median(values):.2f} | {max(values):.2f} |"


def main() -> None:
    """Print the projects tables."""
    stub = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    llm = {
        "llm_provider": "openai",
        "openai_base_url": f"http://127.0.0.1:{stub.server_address[1]}/v1",
        "openai_api_key": "bench",
        "llm_max_retries": 0,
    }
    rows, fan = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for label, overrides in (("offline planner", {}), (f"LLM stub, {LLM_LATENCY:.0f} s", llm)):
            server, base, headers = _serve(root, label.split()[0].lower(), **overrides)
            try:
                started, completed, sections = asyncio.run(_latencies(base, headers))
                rows += [
                    _row(f"{label}: POST /start -> run_started", started),
                    _row(f"{label}: POST /start -> run_completed ({sections} sections)", completed),
                ]
                if overrides:
                    fan = asyncio.run(_fan_out(base, headers))
            finally:
                server.stop()
    stub.shutdown()
    print(f"\nProjects: {RUNS} runs each after a warm-up, SQLite, inline jobs, streams poll 0.25 s")
    print("| measure | median s | max s |")
    print("|---|---|---|")
    print("\n".join(rows))
    print(f"(the LLM stub answered {_Stub.calls} calls)")
    print(f"\nSSE fan-out: {SUBSCRIBERS} subscribers on one run (LLM stub)")
    print("| events per stream | subscribers with every event | run_completed first / last s |")
    print("|---|---|---|")
    print(
        f"| {fan['events']} | {fan['complete']} of {SUBSCRIBERS} |"
        f" {fan['first']:.2f} / {fan['last']:.2f} |"
    )


if __name__ == "__main__":
    main()
