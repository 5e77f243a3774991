"""Concurrent writes to one project's document never lose a section (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from studyforge.projects.generate import _locked, _update
from studyforge.projects.models import Project


def test_a_second_writer_waits_for_the_first_and_keeps_its_section(platform, make_user) -> None:
    user_id, _ = make_user()
    with platform.sessions.begin() as session:
        row = Project(
            user_id=user_id,
            project_id="p",
            chat_id="c",
            run_id=uuid.uuid4(),
            title="t",
            status="generating",
            spec_json={"sections": {}},
        )
        session.add(row)
        session.flush()
        pk, run_id = row.id, str(row.run_id)
    holding = threading.Event()

    def write(section: str, hold: float = 0.0) -> None:
        with platform.sessions.begin() as session:
            project = _locked(session, pk, run_id)
            assert project is not None
            _update(session, project, sections={**project.spec_json["sections"], section: {}})
            session.flush()  # the row is written (and locked) before the transaction ends
            if hold:
                holding.set()
                time.sleep(hold)

    first = threading.Thread(target=write, args=("sec_01", 0.5))
    first.start()
    assert holding.wait(10)
    started = time.monotonic()
    write("sec_02")  # read-modify-write of the same row while the first is uncommitted
    waited = time.monotonic() - started
    first.join()
    with platform.sessions() as session:
        stored = session.get(Project, pk)
        assert stored is not None and sorted(stored.spec_json["sections"]) == ["sec_01", "sec_02"]
    assert waited > 0.2  # it waited for the first writer's commit instead of reading past it


def test_a_run_that_was_replaced_writes_nothing(platform, make_user) -> None:
    user_id, _ = make_user()
    with platform.sessions.begin() as session:
        row = Project(user_id=user_id, project_id="p", chat_id="c", title="t", spec_json={})
        session.add(row)
        session.flush()
        pk = row.id
    with platform.sessions.begin() as session:
        assert _locked(session, pk, str(uuid.uuid4())) is None  # regenerated: another run_id
        assert _locked(session, uuid.uuid4(), str(uuid.uuid4())) is None  # deleted


@pytest.mark.anyio
async def test_a_rerun_after_a_crash_writes_and_announces_only_what_is_missing(
    client, make_user, platform
) -> None:
    from studyforge.events.models import OutboxEvent
    from studyforge.jobs import enqueue
    from studyforge.jobs.models import Job
    from studyforge.projects.service import JOB
    from tests.projects.test_projects_api import start, stream
    from tests.support.procs import wait_for

    _, headers = make_user()
    run_id = await start(client, headers)
    await stream(client, headers, run_id)
    with platform.sessions.begin() as session:  # as if the worker died after two sections
        project = session.query(Project).filter_by(run_id=uuid.UUID(run_id)).one()
        spec = dict(project.spec_json)
        spec["sections"] = {k: v for k, v in spec["sections"].items() if k != "sec_03"}
        project.spec_json, project.status = spec, "generating"
        last = max(e.seq for e in session.query(OutboxEvent))
        job = enqueue(session, JOB, user_id=project.user_id, project_pk=str(project.id),
                      run_id=run_id)  # fmt: skip
        job_id = job.id

    def done() -> bool:
        with platform.sessions() as session:
            return session.get_one(Job, job_id).status.value == "SUCCEEDED"

    wait_for(done, 60, "the rerun")
    with platform.sessions() as session:
        again = session.query(OutboxEvent).filter(OutboxEvent.seq > last)
        sections = [(e.type, e.payload["section_id"]) for e in again if "section" in e.type]
        stored = session.query(Project).filter_by(run_id=uuid.UUID(run_id)).one()
        assert stored.status == "complete" and sorted(stored.spec_json["sections"]) == [
            "sec_01", "sec_02", "sec_03",
        ]  # fmt: skip
    assert sections == [
        ("project.section_started", "sec_03"),
        ("project.section_completed", "sec_03"),
    ]
