"""The chat tutor on the offline engine: time to first token and to the full answer (p50/p95)
with a cold and a warm cache, and `POST /chat` requests/s at 16 concurrent sessions.

A real `studyforge serve` on 127.0.0.1 (SQLite, in-process cache, offline MiniLM) over about
10k real passages: Python's own documentation (`python3-doc`), stored by `search_load.build`
with their real embeddings (unlike the search benchmark, answers depend on what the vectors
mean: the engine decides from them whether the material covers a question).

- latency: QUESTIONS questions one after another on `POST /chat/stream`, each in a new session;
  the first token is the first `event: token` line read. Cold: none asked before. Warm: the
  same questions again, answered from the cache. One in ten questions is off-topic (refused:
  that path also reads what the material covers).
- throughput: 16 client threads, each with its own session, posting distinct questions to
  `POST /chat` (JSON) for SECONDS; requests/s and p50/p99.

`python -m bench chat [--quick]` (2k passages, fewer questions).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from tests.conftest import make_settings
from tests.support.procs import start_server

from bench.search_load import PASSWORD, SEED, build
from studyforge.ai.offline.embeddings import MiniLMEmbedder
from studyforge.ai.offline.terms import code_like, key_terms
from studyforge.migrate import upgrade

QUICK = "--quick" in sys.argv
QUESTIONS = 40 if QUICK else 200
SESSIONS = 16
SECONDS = 5 if QUICK else 15
TARGET_TTFT_P95_MS = 300.0
OFF_TOPIC = [
    "bake sourdough bread", "train for a marathon", "prune apple trees", "tune a violin",
    "knit a scarf", "photograph the night sky", "brew green tea", "repair a bicycle tyre",
    "plant tulip bulbs", "sail a dinghy",
]  # fmt: skip
FORMS = ["What is {}?", "Tell me about {}.", "How does {} work?", "Explain {} to me."]


def questions(texts: list[str], count: int, seed: int) -> list[str]:
    """`count` distinct questions (fewer if the corpus has too few terms): nine in ten ask
    about a key term of a random passage (the terms a reader would ask about), one in ten is
    off-topic."""
    rng = random.Random(seed)
    prose = [t for t in texts if len(t.split()) > 30 and not code_like(t)]
    sample = rng.sample(prose, min(len(prose), count * 3))
    terms = list(dict.fromkeys(term for text in sample for term in key_terms(text, limit=3)))
    rng.shuffle(terms)
    asked = [FORMS[i % len(FORMS)].format(term) for i, term in enumerate(terms)]
    out: list[str] = []
    for i in range(count):
        if i % 10 == 9:
            out.append(f"How do I {OFF_TOPIC[(i // 10) % len(OFF_TOPIC)]}? ({i})")
        elif asked:
            out.append(asked.pop())
    return out


def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder(threads=os.cpu_count() or 2)


def embed(model: MiniLMEmbedder, texts: list[str]) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(model.embed_batch(texts), dtype=np.float32)


def ask_stream(client: httpx.Client, question: str) -> tuple[float, float, bool]:
    """(ms to the first token, ms to the `done` event, grounded) of one streamed question."""
    started = time.perf_counter()
    first = None
    grounded = False
    headers = {"Accept": "text/event-stream"}
    with client.stream("POST", "/chat/stream", json={"message": question}, headers=headers) as r:
        r.raise_for_status()
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if event == "token" and first is None:
                    first = time.perf_counter()
            elif line.startswith("data: ") and event == "citations":
                grounded = '"grounded": true' in line
            if event == "done" and line.startswith("data: "):
                break
    done = time.perf_counter()
    return ((first or done) - started) * 1000, (done - started) * 1000, grounded


def latency(base: str, token: str, qs: list[str]) -> list[tuple[float, float, bool]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        return [ask_stream(client, q) for q in qs]


def throughput(base: str, token: str, qs: list[str]) -> dict[str, float]:
    """SESSIONS threads, each its own session, asking distinct questions for SECONDS."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + SECONDS
    pool = iter(qs)

    def next_question() -> str | None:
        with lock:
            return next(pool, None)

    def run() -> None:
        session_id = None
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while time.perf_counter() < stop:
                question = next_question()
                if question is None:
                    return
                body: dict[str, object] = {"message": question}
                if session_id:
                    body["session_id"] = session_id
                started = time.perf_counter()
                resp = client.post("/chat", json=body)
                took = (time.perf_counter() - started) * 1000
                with lock:
                    if resp.status_code == 200:
                        latencies.append(took)
                        session_id = resp.json()["session_id"]
                    else:
                        errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 120)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] if latencies else 0.0,
        "p99": latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
        "requests": len(latencies),
        "errors": errors[0],
    }


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def main() -> None:
    """Print the chat latency and throughput tables."""
    load_start = "/".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'chat.db'}"
        upgrade(db)
        model = embedder()
        started = time.perf_counter()
        passages, texts = build(db, root / "home", lambda t: embed(model, t))
        print(f"  corpus: {passages:,} passages embedded and stored in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)  # fmt: skip
        asked = questions(texts, QUESTIONS, SEED + 7)
        loaded = questions(texts, 1500, SEED + 8)
        server, base = start_server(make_settings(root / "home", db), root)
        try:
            form = {"username": "bench", "password": PASSWORD}
            resp = httpx.post(base + "/auth/token", data=form)
            token = str(resp.raise_for_status().json()["access_token"])
            latency(base, token, ["What is a list comprehension?"])  # loads the model
            cold = latency(base, token, asked)
            warm = latency(base, token, asked)
            load = throughput(base, token, loaded)
        finally:
            server.stop()
    _print(passages, cold, warm, load, load_start)


def _print(passages: int, cold: list[tuple[float, float, bool]],
           warm: list[tuple[float, float, bool]], load: dict[str, float],
           load_start: str) -> None:  # fmt: skip
    load_end = "/".join(f"{x:.1f}" for x in os.getloadavg())
    grounded = sum(g for *_, g in cold)
    print(
        f"\nChat tutor, offline engine: `studyforge serve` (SQLite, in-process cache), "
        f"{passages:,} passages of Python's documentation with real MiniLM vectors; "
        f"{len(cold)} questions one at a time on POST /chat/stream ({grounded} answered, "
        f"{len(cold) - grounded} refused); {os.cpu_count()} CPUs, load average {load_start} "
        f"at the start, {load_end} at the end"
    )
    print("| cache | first token p50 ms | p95 ms | full answer p50 ms | p95 ms | target | met? |")
    print("|---|---|---|---|---|---|---|")
    for name, runs in (("cold", cold), ("warm", warm)):
        first = [f for f, _, _ in runs]
        full = [d for _, d, _ in runs]
        p95 = _pct(first, 95)
        print(
            f"| {name} | {_pct(first, 50):.0f} | {p95:.0f} | {_pct(full, 50):.0f} | "
            f"{_pct(full, 95):.0f} | first token p95 < {TARGET_TTFT_P95_MS:.0f} | "
            f"{'yes' if p95 < TARGET_TTFT_P95_MS else 'no'} |"
        )
    print(f"\nPOST /chat (JSON), {SESSIONS} concurrent sessions, distinct questions, "
          f"{SECONDS} s")  # fmt: skip
    print("| requests/s | p50 ms | p99 ms | requests | errors |")
    print("|---|---|---|---|---|")
    print(f"| {load['rps']:.1f} | {load['p50']:.0f} | {load['p99']:.0f} | "
          f"{load['requests']:.0f} | {load['errors']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
