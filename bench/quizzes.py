"""Quizzes on the offline engine: questions written per second from a 10-page PDF, and the
latency of grading 20 short answers (p50/p95).

The PDF is Python's tutorial chapter "Errors and Exceptions" printed by headless Chromium (10
pages, prose and code); without Chromium, the six-topic sample PDF printed twice (12 pages).
Each quiz of 10 questions is asked over HTTP (`POST /quiz/generate`, answered at once), so the
figure includes reading the passages, planning, checking and storing. Grading calls the short-
answer grader on each answer (MiniLM embeddings, warm), half model answers and half wrong ones.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from tests.conftest import make_settings
from tests.documents import pdf_samples, samples

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.migrate import upgrade
from studyforge.platform import build_platform
from studyforge.quizzes.grading import grade_open
from studyforge.quizzes.models import Quiz

QUICK = "--quick" in sys.argv
TYPES = ("multiple_choice", "true_false", "short_answer", "mixed")
DIFFICULTIES = ("easy", "medium", "hard")


def _pdf(home: Path) -> tuple[str, bytes]:
    data = pdf_samples.chromium_pdf(pdf_samples.ERRORS_HTML, home / "errors.pdf")
    if data is not None:
        return "Python tutorial, Errors and Exceptions (10 pages)", data
    return "six-topic sample printed twice (12 pages)", samples.text_pdf(repeat=2)


def _ingest(client: TestClient, headers: dict[str, str], data: bytes) -> str:
    response = client.post("/upload", headers=headers, files={"file": ("book.pdf", data)})
    doc_id: str = response.json()["document_id"]
    while client.get(f"/document/{doc_id}", headers=headers).json()["status"] == "processing":
        time.sleep(0.05)
    return doc_id


def _rate(client: TestClient, headers: dict[str, str], body: dict[str, Any], runs: int) -> float:
    """Questions written per second over `runs` quizzes."""
    started, written = time.perf_counter(), 0
    for _ in range(runs):
        response = client.post("/quiz/generate", headers=headers, json=body)
        assert response.status_code == 201, response.text
        written += response.json()["total_questions"]
    return written / (time.perf_counter() - started)


def _grading(platform: Any, quiz_id: str) -> list[float]:
    """Milliseconds to grade each of 20 short answers (model answers and wrong ones)."""
    with platform.sessions() as session:
        questions = session.get_one(Quiz, uuid.UUID(quiz_id)).questions
        grade_open(platform.ai, questions[0], "warm up the embedder", {})
        times = []
        for i in range(20):
            q = questions[i % len(questions)]
            answer = q.correct_answer if i % 2 == 0 else "Bananas are yellow and ripen fast."
            started = time.perf_counter()
            grade_open(platform.ai, q, answer, {})
            times.append(1000 * (time.perf_counter() - started))
    return times


def main() -> None:
    """Print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        upgrade(f"sqlite:///{home / 'bench.db'}")
        platform = build_platform(make_settings(home / "home", f"sqlite:///{home / 'bench.db'}"))
        try:
            client = TestClient(create_app(platform=platform))
            with platform.sessions.begin() as session:
                user = create_user(session, "bench", "correct horse battery")
                token = issue_token(user, platform.settings.secret_key(), 60)
            headers = {"Authorization": f"Bearer {token}"}
            name, data = _pdf(home)
            doc_id = _ingest(client, headers, data)
            runs = 1 if QUICK else 3
            print(f"\n### Quizzes on the offline engine: {name}\n")
            print("| quiz type | difficulty | questions/s (10 a quiz) |")
            print("|---|---|---|")
            for quiz_type in TYPES:
                for difficulty in DIFFICULTIES:
                    body = {"document_id": doc_id, "num_questions": 10,
                            "quiz_type": quiz_type, "difficulty": difficulty}  # fmt: skip
                    rate = _rate(client, headers, body, runs)
                    print(f"| {quiz_type} | {difficulty} | {rate:.0f} |")
            body = {"document_id": doc_id, "num_questions": 10, "quiz_type": "short_answer"}
            quiz = client.post("/quiz/generate", headers=headers, json=body).json()
            times = sorted(_grading(platform, quiz["quiz_id"]))
            p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
            print("\n| short answers graded | p50 ms | p95 ms | max ms |")
            print("|---|---|---|---|")
            print(f"| {len(times)} | {p50:.1f} | {p95:.1f} | {times[-1]:.1f} |")
        finally:
            platform.close()


if __name__ == "__main__":
    main()
