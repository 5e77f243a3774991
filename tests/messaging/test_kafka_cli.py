"""`studyforge consume kafka` as a real process: it consumes quiz requests from the broker and
its relay publishes `quiz.generated`; without KAFKA_BOOTSTRAP_SERVERS it refuses to start."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from studyforge.auth.service import create_user
from studyforge.documents.models import Document, DocumentStatus
from studyforge.documents.service import create_document
from studyforge.migrate import upgrade
from studyforge.platform import build_platform
from studyforge.quizzes.models import Quiz, QuizStatus
from tests.conftest import make_settings
from tests.documents import samples
from tests.messaging.kafka_helpers import kafka_settings, own_kafka, produce, read_topic
from tests.support.procs import BIN, Proc, settings_env, wait_for

pytestmark = pytest.mark.services
kafka = pytest.fixture(scope="module")(own_kafka)


def test_consume_kafka_needs_a_broker(tmp_path: Path):
    env = settings_env(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))
    done = subprocess.run([str(BIN), "consume", "kafka"], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "KAFKA_BOOTSTRAP_SERVERS" in done.stderr


def test_consume_kafka_turns_requests_into_quizzes(tmp_path: Path, kafka: Any):
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(db_url)
    # The document is processed by an in-process platform (no Kafka); the CLI only consumes.
    platform = build_platform(make_settings(tmp_path / "home", db_url))
    try:
        with platform.sessions.begin() as session:
            user_id = create_user(session, f"k{uuid.uuid4().hex[:6]}", "pw-123456789").id
            doc_id = create_document(session, platform.blobs, user_id=user_id,
                                     filename="all.pdf", data=samples.text_pdf()).id  # fmt: skip

        def completed() -> bool:
            with platform.sessions() as session:
                return session.get_one(Document, doc_id).status is DocumentStatus.COMPLETED

        wait_for(completed, 60, "the document to be processed")
    finally:
        platform.close()

    settings = kafka_settings(tmp_path / "home", db_url, kafka.bootstrap)
    env = {**settings_env(settings), "KAFKA_CONSUMER_GROUP": settings.kafka_consumer_group}
    proc = Proc([str(BIN), "consume", "kafka"], env, tmp_path / "consume.log").start()
    request_id = f"cli-{uuid.uuid4().hex[:8]}"
    try:
        produce(kafka.bootstrap, "quiz.requested", {
            "user_id": str(user_id), "request_id": request_id, "document_id": str(doc_id),
            "num_questions": 2})  # fmt: skip
        platform = build_platform(make_settings(tmp_path / "home", db_url), role="client")
        try:

            def quiz() -> Quiz | None:
                with platform.sessions() as session:
                    return session.scalar(select(Quiz).where(Quiz.request_id == request_id))

            made = wait_for(quiz, 90, "the consumer process to write the quiz")
        finally:
            platform.close()
        assert made.status is QuizStatus.READY and made.user_id == user_id
        [(event, _, _)] = read_topic(
            kafka.bootstrap, "quiz.generated",
            lambda v, _: v["data"].get("request_id") == request_id, 60,
        )  # fmt: skip
        assert event["data"]["quiz_id"] == str(made.id)
    finally:
        proc.stop()
    log = proc.log()
    topics = "audio.generation.requested, audio.transcription.requested, document.processed, "
    assert f"consuming {topics}notes.generated, quiz.requested as group test-" in log
    assert proc.popen is not None and proc.popen.returncode == 0, log[-2000:]
    assert "Traceback" not in log
