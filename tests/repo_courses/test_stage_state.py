"""A stage's state never gets stuck: cancelling a queued stage fails it (and its course), and
a stage started twice at once is refused the second time."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from studyforge.auth.service import create_user
from studyforge.config import Settings
from studyforge.courses.models import Course, CourseStatus
from studyforge.events.models import OutboxEvent
from studyforge.jobs.models import Job, JobStatus
from studyforge.jobs.service import cancel_job
from studyforge.platform import build_platform
from studyforge.repo_courses import service
from studyforge.repo_courses.models import CourseTask


@pytest.fixture
def client_platform(settings: Settings):  # type: ignore[no-untyped-def]
    """A platform that only enqueues (its jobs stay QUEUED: no runner takes them)."""
    built = build_platform(settings, role="client")
    yield built
    built.close()


def test_cancelling_a_queued_stage_fails_the_stage_and_the_course(client_platform) -> None:  # type: ignore[no-untyped-def]
    course_id = uuid.uuid4()
    with client_platform.sessions.begin() as session:
        user = create_user(session, f"u{uuid.uuid4().hex[:6]}", "correct horse battery")
        task = service.start_repository(session, user.id, course_id, "https://example.org/r.git")
        job_id = task.task_id
    with client_platform.sessions.begin() as session:
        cancel_job(session, session.get_one(Job, job_id))
    with client_platform.sessions() as session:
        course = session.get_one(Course, course_id)
        assert session.get_one(Job, job_id).status is JobStatus.CANCELLED
        assert (course.status, course.repo_status) == (CourseStatus.FAILED, "stage1_failed")
        assert session.get_one(CourseTask, (course_id, "stage1")).status == "FAILURE"
        assert service.stage_status(session, course, "stage1")["status"] == "FAILURE"
        # Each change of the course's state is a `course.status` event (relayed to RabbitMQ).
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.stream_id == course_id)
                                 .order_by(OutboxEvent.seq)).all()  # fmt: skip
        statuses = [(e.type, e.payload["status"], e.payload["stage"]) for e in events]
        assert statuses == [("course.status", "stage1_running", "stage1"),
                            ("course.status", "stage1_failed", "stage1")]  # fmt: skip
        assert events[1].payload["request_id"] == f"repository:{course_id}"


def test_a_stage_is_not_started_twice(client_platform, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    course_id = uuid.uuid4()
    with client_platform.sessions.begin() as session:
        user = create_user(session, f"u{uuid.uuid4().hex[:6]}", "correct horse battery")
        service.start_repository(session, user.id, course_id, "https://example.org/r.git")
    with client_platform.sessions.begin() as session, pytest.raises(service.StageRunning):
        service.start_repository(session, user.id, course_id, "https://example.org/other.git")
    with client_platform.sessions() as session:  # the first one is untouched
        assert session.get_one(Course, course_id).repo_url == "https://example.org/r.git"
