"""The four stages as the specification's Celery tasks on its queues: one real worker serves
`repo_analysis` (stage 1), another `ai_processing` (stages 2-4), over real Redis and
PostgreSQL; the API process only enqueues. A worker killed in the middle of stage 2 leaves the
stage finished exactly once after it restarts."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.platform import build_platform
from studyforge.repo_courses.models import AnalyzedDocument
from tests.conftest import make_settings
from tests.repo_courses.test_pipeline_api import TUTORIAL, run_stage
from tests.support.procs import start_worker

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]
EXPECTED = 2 + len(TUTORIAL)  # README.md and the sorting HOWTO, and the tutorial


@pytest.fixture
async def setup(tmp_path: Path, module_pg_url: str, redis: Any) -> AsyncIterator[dict[str, Any]]:
    settings = make_settings(tmp_path / "home", module_pg_url, jobs="celery",
                             celery_broker_url=redis.url, job_lease_seconds=2.0,
                             repo_allow_local=True)  # fmt: skip
    platform = build_platform(settings, role="client")
    with platform.sessions.begin() as session:
        user = create_user(session, f"celery-{uuid.uuid4().hex[:6]}", "correct horse battery")
        token = issue_token(user, settings.secret_key(), 60)
    transport = httpx.ASGITransport(app=create_app(platform=platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield {"settings": settings, "platform": platform, "client": client,
               "headers": {"Authorization": f"Bearer {token}"}, "tmp": tmp_path}  # fmt: skip
    platform.close()


async def _stage2_midway(client: httpx.AsyncClient, h: dict[str, str], course: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = (await client.get(f"/api/courses/{course}/stage2/status", headers=h)).json()
        if status["status"] == "STARTED" and status["progress"] > 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("stage 2 never got going")


async def test_the_stages_run_as_named_tasks_on_their_queues(
    setup: dict[str, Any], served: str
) -> None:
    client, h, settings, tmp = setup["client"], setup["headers"], setup["settings"], setup["tmp"]
    repo_worker = start_worker(settings, tmp, concurrency=1, queues="repo_analysis")
    ai_worker = start_worker(settings, tmp, concurrency=1, queues="ai_processing")
    try:
        course = str(uuid.uuid4())
        base = f"/api/courses/{course}"
        done = await run_stage(client, h, course, "stage1", "analyze-repository",
                               {"repo_url": served + "pydocs"})  # fmt: skip
        assert done["status"] == "SUCCESS", done
        await client.post(
            f"{base}/stage1-selections",
            headers=h,
            json={
                "selected_folders": ["docs/tutorial", "docs/howto"],
                "overview_document": "README.md",
            },
        )
        resp = await client.post(f"{base}/analyze-documents", headers=h, json={})
        assert resp.status_code == 202
        await _stage2_midway(client, h, course)
        ai_worker.kill()  # mid-stage: the message is redelivered, the lease expires
        ai_worker = start_worker(settings, tmp, concurrency=1, queues="ai_processing")
        status = await _until_done(client, h, course, "stage2")
        assert status["status"] == "SUCCESS", status
        with setup["platform"].sessions() as session:
            paths = session.scalars(sa.select(AnalyzedDocument.file_path).where(
                AnalyzedDocument.course_id == uuid.UUID(course))).all()  # fmt: skip
        assert len(paths) == len(set(paths)) == EXPECTED  # finished exactly once
        done = await run_stage(client, h, course, "stage3", "generate-pathways", {})
        assert done["status"] == "SUCCESS", done
        pathway = (await client.get(f"{base}/pathways", headers=h)).json()["pathways"][1]
        await client.post(f"{base}/stage3-selections", headers=h,
                          json={"selected_pathway_id": pathway["id"]})  # fmt: skip
        done = await run_stage(client, h, course, "stage4", "generate-course")
        assert done["status"] == "SUCCESS", done
        course_out = (await client.get(base, headers=h)).json()
        assert course_out["status"] == "READY"
        assert len(course_out["lessons"]) == len(pathway["modules"])
    finally:
        repo_worker.stop()
        ai_worker.stop()
    # Each task ran under its specification name, on the worker of its queue.
    assert received(repo_worker.log()) == {"tasks.repository_clone_task"}
    # The restarted worker took the killed stage 2 over, then ran stages 3 and 4.
    assert received(ai_worker.log()) == {"tasks.document_analyser_task",
                                         "tasks.learning_pathway_task",
                                         "tasks.modules_generation_task"}  # fmt: skip


def received(log: str) -> set[str]:
    """The names of the tasks a worker's log says it received."""
    return set(re.findall(r"Task (\S+)\[[0-9a-f-]+\] received", log))


async def _until_done(client: httpx.AsyncClient, h: dict[str, str], course: str,
                      stage: str) -> dict[str, Any]:  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = (await client.get(f"/api/courses/{course}/{stage}/status", headers=h)).json()
        if status["status"] in ("SUCCESS", "FAILURE"):
            return status
        await asyncio.sleep(0.2)
    raise AssertionError(f"{stage} did not finish")
