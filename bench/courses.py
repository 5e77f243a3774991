"""Course generation: (a) parallelism vs the critical path with a slow OpenAI-compatible stub;
(b) courses per minute on the offline engine, inline runner vs two Celery workers.

(a) A stub `/v1/chat/completions` on loopback answers every call after a fixed delay L. A
6-lesson course needs 1 outline call, then per lesson a content call and a checks call. Its
critical path is outline + slowest lesson + its checks = 3L; the specification's sequential
design would take about 7L or more. The table shows wall time / critical path (target <= 1.2).
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from tests.conftest import make_settings
from tests.documents import samples
from tests.support import servers as services
from tests.support.openai_stub import CompletionHandler
from tests.support.procs import free_port, start_worker, wait_for

from studyforge.auth.service import create_user
from studyforge.courses.models import Course, CourseStatus
from studyforge.courses.schemas import CourseRequest
from studyforge.courses.service import request_course
from studyforge.documents.models import Document, DocumentStatus
from studyforge.documents.service import create_document
from studyforge.jobs.models import Job
from studyforge.migrate import upgrade
from studyforge.platform import Platform, build_platform

QUICK = "--quick" in sys.argv


def _answer(prompt: str) -> dict[str, Any]:
    if prompt.startswith("Plan a course"):
        n = int(prompt.split("exactly ", 1)[1].split()[0])
        lessons = [
            {
                "title": f"Lesson {i}",
                "description": "d",
                "key_concepts": ["k"],
                "learning_objectives": ["o"],
                "sources": [],
            }
            for i in range(1, n + 1)
        ]
        return {"course_title": "Stub course", "description": "d", "lessons": lessons}
    if prompt.startswith("Write lesson"):
        return {"sections": [{"heading": "h", "paragraphs": [{"text": "t", "citations": []}]}]}
    return {"checks": [{"kind": "short_answer", "question": "q", "answer": "a"}]}


class _Stub(CompletionHandler):
    delay = 0.5

    def answer(self, request: dict[str, Any]) -> str:
        time.sleep(self.delay)
        return json.dumps(_answer(request["messages"][-1]["content"]))


def _wait_ready(platform: Platform, course_ids: list[uuid.UUID], timeout: float) -> None:
    def all_done() -> bool:
        with platform.sessions() as s:
            rows = [s.get_one(Course, cid) for cid in course_ids]
        failed = [r.error_message for r in rows if r.status is CourseStatus.FAILED]
        if failed:
            raise RuntimeError(f"a course failed: {failed[0]}")
        return all(r.status is CourseStatus.READY for r in rows)

    wait_for(all_done, timeout, "courses to be ready", 0.02)


def _user(platform: Platform) -> uuid.UUID:
    with platform.sessions.begin() as s:
        return create_user(s, f"b{uuid.uuid4().hex[:8]}", "bench-password-123").id


def critical_path(root: Path, lessons: int, delay: float) -> list[str]:
    """Wall time of one course over the stub / its critical path (3 x delay)."""
    _Stub.delay = delay
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    db = f"sqlite:///{root / 'cp.db'}"
    upgrade(db)
    base = f"http://127.0.0.1:{server.server_port}/v1"
    platform = build_platform(
        make_settings(
            root / "cp", db, llm_provider="openai", openai_base_url=base, course_files=False
        )
    )
    try:
        user = _user(platform)
        for _ in range(2):  # the first run loads the embedding model: measure the second
            with platform.sessions.begin() as s:
                course = request_course(s, user, CourseRequest(topic="Stub", num_lessons=lessons))
                course_id, job_id = course.id, course.job_id
            _wait_ready(platform, [course_id], 120)
        with platform.sessions() as s:
            job = s.get_one(Job, job_id)
            wall = (job.finished_at - job.started_at).total_seconds()
    finally:
        platform.close()
        server.shutdown()
    path = 3 * delay
    return [
        f"| critical path, {lessons} lessons, L={delay:g} s | {wall:.2f} s | {path:.2f} s "
        f"| {wall / path:.2f} | <= 1.2 |"
    ]


def _corpus(platform: Platform, user: uuid.UUID) -> None:
    with platform.sessions.begin() as s:
        doc = create_document(
            s,
            platform.blobs,
            user_id=user,
            filename="science.pdf",
            data=samples.text_pdf(repeat=3),
            path="science/all.pdf",
        )
        doc_id = doc.id

    def processed() -> bool:
        with platform.sessions() as s:
            return s.get_one(Document, doc_id).status is DocumentStatus.COMPLETED

    wait_for(processed, 120, "the source document", 0.1)


def throughput(platform: Platform, n: int, name: str) -> str:
    """Courses per minute for `n` queued requests of 3 lessons each."""
    user = _user(platform)
    _corpus(platform, user)
    topics = list(samples.TOPICS)
    start = time.monotonic()
    with platform.sessions.begin() as s:
        ids = [
            request_course(s, user, CourseRequest(topic=topics[i % len(topics)], num_lessons=3)).id
            for i in range(n)
        ]
    _wait_ready(platform, ids, 900)
    elapsed = time.monotonic() - start
    rate = n * 60 / elapsed
    label = f"offline engine, {n} courses x 3 lessons, {name}"
    return f"| {label} | {elapsed:.1f} s | | {rate:.1f}/min | |"


def _pg_database(server_url: str, name: str) -> str:
    """A new, migrated database on the bench PostgreSQL server."""
    with psycopg.connect(server_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = server_url.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    return url


def _run_throughput(root: Path, postgres: Any, redis: Any, runner: str, n: int) -> str:
    db = _pg_database(postgres.url, f"bench_{runner}")
    extra = {"jobs": "celery", "redis_url": redis.url} if runner == "celery" else {}
    settings = make_settings(root / runner, db, course_files=False, job_lease_seconds=30.0, **extra)
    workers = [start_worker(settings, root, 4) for _ in range(2)] if runner == "celery" else []
    platform = build_platform(settings, role="client" if workers else "server")
    try:
        label = "2 Celery workers x 4 threads" if workers else "inline runner, 4 threads"
        return throughput(platform, n, label)
    finally:
        platform.close()
        for worker in workers:
            worker.stop()


def main() -> None:
    """Print the course generation table."""
    rows = [
        "| measurement | wall | critical path | ratio or rate | target |",
        "|---|---|---|---|---|",
    ]
    n = 10 if QUICK else 50
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows += critical_path(root, 6, 0.2 if QUICK else 0.5)
        postgres, redis = services.start_postgres(), services.start_redis()
        try:
            for runner in ("inline", "celery"):
                rows.append(_run_throughput(root, postgres, redis, runner, n))
        finally:
            redis.stop()
            postgres.stop()
    print("\n## Course generation\n")
    print("\n".join(rows))
