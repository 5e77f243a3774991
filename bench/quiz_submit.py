"""`POST /quiz/submit` throughput: graded submissions per second on a real `studyforge serve`.

SQLite, offline engine. A user uploads the six-topic sample PDF, makes a 10-question
multiple-choice quiz and a 10-question short-answer quiz, and wrk (a C load generator) posts
the same answers again and again at 1, 4 and 16 connections: every request grades the answers
(short answers with MiniLM embeddings and key points) and stores one submission row.

Bounded: SECONDS per run, ROUNDS runs per row, on loopback. `python -m bench quiz_submit`.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import make_settings
from tests.documents import samples
from tests.support.procs import start_server

from bench.search_load import wrk
from studyforge.auth.service import create_user
from studyforge.migrate import upgrade
from studyforge.platform import build_platform

QUICK = "--quick" in sys.argv
CONNECTIONS = (1, 4, 16)
ROUNDS = 1 if QUICK else 3
PASSWORD = "bench-pass-1"
# Every request's short answers differ (a counter in the text), so none is graded from a cache.
LUA = """
local template = %s
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}
local n = 0
function request()
  n = n + 1
  local body = string.gsub(template, "COUNTER", tostring(n))
  return wrk.format("POST", nil, headers, body)
end
"""


def _quiz(client: httpx.Client, doc_id: str, quiz_type: str) -> dict[str, Any]:
    body = {"document_id": doc_id, "num_questions": 10, "quiz_type": quiz_type}
    response = client.post("/quiz/generate", json=body)
    response.raise_for_status()
    return dict(response.json())


def _answers(quiz: dict[str, Any]) -> dict[str, str]:
    """The first option of each question, or a sentence for short answers (COUNTER becomes
    the request's number): a mix of right and wrong answers (grading costs the same)."""
    return {
        q["question_id"]: q["options"][0] if q["options"] else "Light energy becomes sugar COUNTER."
        for q in quiz["questions"]
    }


def _setup(root: Path) -> tuple[Any, str, str, dict[str, dict[str, Any]]]:
    """A server with the user, the document and one quiz of each kind: (server, base url,
    token, quizzes by kind)."""
    db = f"sqlite:///{root / 'submit.db'}"
    upgrade(db)
    platform = build_platform(make_settings(root / "home", db), role="client")
    try:
        with platform.sessions.begin() as session:
            create_user(session, "bench", PASSWORD)
    finally:
        platform.close()
    server, base = start_server(make_settings(root / "home", db), root)
    token = httpx.post(base + "/auth/token", data={"username": "bench", "password": PASSWORD})
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        files = {"file": ("science.pdf", samples.text_pdf(repeat=2), "application/pdf")}
        doc_id = client.post("/upload", files=files).json()["document_id"]
        while client.get(f"/document/{doc_id}").json()["status"] == "processing":
            time.sleep(0.1)
        quizzes = {
            kind: _quiz(client, doc_id, kind) for kind in ("multiple_choice", "short_answer")
        }
    return server, base, headers["Authorization"].removeprefix("Bearer "), quizzes


def main() -> None:
    """Print the submit-throughput table."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server, base, token, quizzes = _setup(root)
        try:
            for kind, quiz in quizzes.items():
                body = json.dumps({"quiz_id": quiz["quiz_id"], "answers": _answers(quiz)})
                lua = root / f"{kind}.lua"
                lua.write_text(LUA % (json.dumps(body), token))
                wrk(base + "/quiz/submit", lua, 2, 0)  # warm-up
                for connections in CONNECTIONS:
                    runs = [wrk(base + "/quiz/submit", lua, connections, 0) for _ in range(ROUNDS)]
                    rows.append((kind, len(quiz["questions"]), connections, runs))
        finally:
            server.stop()
    print("\n### `POST /quiz/submit` on `studyforge serve` (SQLite, offline grading), medians\n")
    print("| quiz | questions | connections | submissions/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for kind, count, connections, runs in rows:
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        errors = sum(int(r["errors"]) for r in runs)
        print(
            f"| {kind} | {count} | {connections} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {errors} |"
        )


if __name__ == "__main__":
    main()
