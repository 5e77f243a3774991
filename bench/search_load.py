"""`POST /api/search` under concurrent users: requests/s and p50/p99 at 1, 4 and 16 connections.

A real `studyforge serve` on 127.0.0.1 (SQLite, offline MiniLM query embeddings) over about
10k real passages: Python's own documentation (`python3-doc`, reStructuredText sources) parsed
and chunked by the project's own `rst_blocks` + `assemble`. The passages carry random unit
vectors (embedding 10k passages with the model would take minutes; the vector scan costs the
same whatever the values), while every query is embedded by the server for real.

Two query mixes, each driven by wrk (a C load generator, so the client is not the bottleneck):
- distinct: every request a query never asked before (a 2-6 word span of the corpus text), so
  no cache can answer it;
- repeated: the same 50 queries over and over, as many users asking the same things.

Bounded: each wrk run lasts SECONDS (with a per-request timeout), ROUNDS rounds per row, all on
loopback. `python -m bench search_load [--quick]`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tests.conftest import make_settings
from tests.support.procs import start_server

from studyforge.auth.service import create_user
from studyforge.documents import index
from studyforge.documents.chunking import assemble
from studyforge.documents.models import Document, DocumentStatus
from studyforge.documents.rst import rst_blocks
from studyforge.migrate import upgrade
from studyforge.platform import build_platform

QUICK = "--quick" in sys.argv
SOURCES = Path("/usr/share/doc/python3.11/html/_sources")
PASSAGES = 2_000 if QUICK else 10_000
CONNECTIONS = (1, 4, 16)
SECONDS = 3 if QUICK else 5
ROUNDS = 1 if QUICK else 3
REPEATED_POOL = 50
DISTINCT_POOL = 40_000  # more than any run can ask (checked: a wrap-around is reported)
TARGET_RPS, TARGET_P99_MS = 150.0, 250.0
PASSWORD = "bench-pass-1"
SEED = 20261122


def corpus(limit: int) -> list[tuple[str, list[object]]]:
    """(path, chunks) per documentation page, pages in a seeded random order, ~`limit` chunks."""
    if not SOURCES.is_dir():
        raise SystemExit(f"{SOURCES} is missing: install Debian's python3-doc")
    files = sorted(SOURCES.rglob("*.rst.txt"))
    random.Random(SEED).shuffle(files)
    out: list[tuple[str, list[object]]] = []
    total = 0
    for file in files:
        _, chunks = assemble(rst_blocks(file.read_text(errors="replace")))
        chunks = chunks[: limit - total]
        if chunks:
            out.append((str(file.relative_to(SOURCES)).removesuffix(".txt"), list(chunks)))
            total += len(chunks)
        if total >= limit:
            break
    return out


Embed = Callable[[list[str]], "np.ndarray[Any, Any]"]


def build(db_url: str, home: Path, embed: Embed | None = None) -> tuple[int, list[str]]:
    """Store the corpus for user `bench` (and a small one for `other`); (passages, texts).

    `embed`: the passages' vectors from their texts (default: random unit vectors)."""
    platform = build_platform(make_settings(home, db_url), role="client")
    rng = np.random.default_rng(SEED)
    texts: list[str] = []
    try:
        with platform.sessions.begin() as s:
            bench = create_user(s, "bench", PASSWORD).id
            other = create_user(s, "other", PASSWORD).id
        docs = corpus(PASSAGES)
        for i, (path, chunks) in enumerate(docs):
            owner = other if i % 50 == 49 else bench  # another user's pages in the same index
            with platform.sessions.begin() as s:
                doc_id = uuid.uuid4()
                s.add(
                    Document(
                        id=doc_id, user_id=owner, filename=path.rsplit("/", 1)[-1], path=path,
                        media_type="text/x-rst", size_bytes=1,
                        sha256=hashlib.sha256(path.encode()).hexdigest(),
                        s3_key=f"documents/{owner}/{doc_id}", status=DocumentStatus.COMPLETED,
                        passage_count=len(chunks), generate_notes=False,
                    )
                )  # fmt: skip
                s.flush()
                if embed is not None:
                    vectors = embed([c.text for c in chunks])  # type: ignore[attr-defined]
                else:
                    vectors = rng.standard_normal((len(chunks), 384), dtype=np.float32)
                    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                index.store(s, doc_id, owner, path, chunks, vectors)  # type: ignore[arg-type]
            if owner == bench:
                texts += [c.text for c in chunks]  # type: ignore[attr-defined]
    finally:
        platform.close()
    return sum(len(c) for _, c in docs), texts


def queries(texts: list[str], count: int, seed: int) -> list[str]:
    """`count` distinct queries: 2-6 consecutive words of a passage (letters only)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    for _ in range(count * 20):
        words = re.findall(r"[A-Za-z]{3,}", rng.choice(texts))
        if len(words) < 2:
            continue
        n = rng.randint(2, min(6, len(words)))
        start = rng.randrange(len(words) - n + 1)
        out[" ".join(words[start : start + n])] = None
        if len(out) == count:
            break
    return list(out)


LUA = """
local bodies = {%s}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}
local threads, tid, i, start = 1, 0, 0, 0
local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  thread:set("threads", nthreads)
end
function init(args)
  start = tonumber(args[1]) or 0
  threads = tonumber(args[2]) or 1
end
function request()
  local n = start + i * threads + tid
  i = i + 1
  return wrk.format("POST", "/api/search", headers, bodies[n %% #bodies + 1])
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def script(path: Path, qs: list[str], token: str) -> Path:
    """A wrk script that posts `qs` in order, spread over wrk's threads without overlap."""
    bodies = ",".join(_lua_string(json.dumps({"query": q, "k": 5})) for q in qs)
    path.write_text(LUA % (bodies, token))
    return path


def wrk(base: str, lua: Path, connections: int, start: int) -> dict[str, float]:
    """One bounded wrk run: requests/s, p50/p99 in ms, requests, errors."""
    threads = min(2, connections)
    args = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--timeout", "5s",
        "--latency", "-s", str(lua), base, "--", str(start), str(threads),
    ]  # fmt: skip
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=SECONDS + 30)
    text = out.stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, text)
        if not found:
            raise RuntimeError(f"wrk output without {pattern!r}:\n{text}")
        value, unit = float(found.group(1)), found.group(2) if found.lastindex == 2 else ""
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}.get(unit, 1.0)

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    timeouts = re.search(r"timeout (\d+)", text)
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50": number(r"50%\s+([\d.]+)(us|ms|s|m)\b"),
        "p99": number(r"99%\s+([\d.]+)(us|ms|s|m)\b"),
        "requests": number(r"(\d+) requests in"),
        "errors": (int(bad.group(1)) if bad else 0) + (int(timeouts.group(1)) if timeouts else 0),
    }


def _token(base: str) -> str:
    resp = httpx.post(base + "/auth/token", data={"username": "bench", "password": PASSWORD})
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def main() -> None:
    """Print the search-under-load table."""
    load_start = "/".join(f"{x:.1f}" for x in os.getloadavg())
    rows: list[tuple[str, int, list[dict[str, float]]]] = []
    wrapped = False
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'search.db'}"
        upgrade(db)
        started = time.perf_counter()
        passages, texts = build(db, root / "home")
        build_s = time.perf_counter() - started
        print(f"  corpus: {passages:,} passages in {build_s:.0f} s", file=sys.stderr, flush=True)
        distinct = queries(texts, DISTINCT_POOL, SEED)
        repeated = queries(texts, REPEATED_POOL, SEED + 1)
        server, base = start_server(make_settings(root / "home", db), root)
        try:
            token = _token(base)
            lua_distinct = script(root / "distinct.lua", distinct, token)
            lua_repeated = script(root / "repeated.lua", repeated, token)
            wrk(base, lua_repeated, 2, 0)  # warm-up: model load, matrix cache, these queries
            used = 0
            for connections in CONNECTIONS:
                for name, lua in (("distinct", lua_distinct), ("repeated", lua_repeated)):
                    runs = []
                    for _ in range(ROUNDS):
                        run = wrk(base, lua, connections, used if name == "distinct" else 0)
                        if name == "distinct":
                            used += int(run["requests"]) + connections * 2
                        runs.append(run)
                    rows.append((name, connections, runs))
            wrapped = used > len(distinct)
        finally:
            server.stop()
    _print(rows, passages, load_start, wrapped)


def _print(
    rows: list[tuple[str, int, list[dict[str, float]]]], passages: int, load: str, wrapped: bool
) -> None:
    load_end = "/".join(f"{x:.1f}" for x in os.getloadavg())
    quick = " (--quick sizes)" if QUICK else ""
    print(
        f"\nSearch under load{quick}: POST /api/search (k=5) on `studyforge serve` (SQLite), "
        f"{passages:,} passages of Python's documentation; wrk, {ROUNDS} round(s) of "
        f"{SECONDS} s per row, medians; {os.cpu_count()} CPUs, load average {load} at the "
        f"start, {load_end} at the end"
    )
    if wrapped:
        print("(the distinct queries ran out and wrapped around: some were asked twice)")
    print("| queries | connections | requests/s | p50 ms | p99 ms | errors | target | met? |")
    print("|---|---|---|---|---|---|---|---|")
    for name, connections, runs in rows:
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        errors = sum(int(r["errors"]) for r in runs)
        target, met = "", ""
        if connections == 16:
            target = f">= {TARGET_RPS:.0f}/s, p99 < {TARGET_P99_MS:.0f}"
            met = "yes" if rps >= TARGET_RPS and p99 < TARGET_P99_MS and not errors else "no"
        print(
            f"| {name} | {connections} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {errors} | "
            f"{target} | {met} |"
        )


if __name__ == "__main__":
    main()
