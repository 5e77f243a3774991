"""The RabbitMQ contract against a real broker and PostgreSQL: requests in, statuses out."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pika
import pytest
from sqlalchemy import func, select

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.courses.models import Course, CourseStatus
from studyforge.documents.models import Document, DocumentStatus
from studyforge.documents.service import create_document
from studyforge.platform import Platform, build_platform
from tests.conftest import make_settings
from tests.documents import samples
from tests.support.procs import BIN, settings_env, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.services]


class Env:
    """A platform consuming from RabbitMQ, a signed-in user with sources, and a pika channel."""

    def __init__(self, platform: Platform, rabbitmq: Any) -> None:
        self.platform, self.settings, self.rabbitmq = platform, platform.settings, rabbitmq
        self.seen: dict[str, list[dict[str, Any]]] = {}
        self.message_ids: set[str] = set()

    def channel(self) -> Any:
        return pika.BlockingConnection(pika.URLParameters(self.rabbitmq.url)).channel()

    def publish(self, body: bytes | dict[str, Any]) -> None:
        """Publish like the specification's test publisher: persistent, to the generate route."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        channel = self.channel()
        channel.confirm_delivery()
        route = (self.settings.rabbitmq_exchange, self.settings.rabbitmq_route_generate)
        channel.basic_publish(*route, raw, pika.BasicProperties(delivery_mode=2))
        channel.connection.close()

    def statuses(self, request_id: str, until: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Status messages of one request, in order, until one has status `until`."""
        channel = self.channel()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                mine = self.seen.get(request_id, [])
                if any(m["status"] == until for m in mine):
                    return mine
                method, properties, body = channel.basic_get(
                    self.settings.rabbitmq_queue_status, auto_ack=True
                )
                if method is None:
                    time.sleep(0.1)
                    continue
                # Delivery is at least once: a publish the broker cut off while shutting down
                # is sent again, with the same message id, which a consumer de-duplicates.
                assert properties.message_id, "a status message without a message id"
                if properties.message_id in self.message_ids:
                    continue
                self.message_ids.add(properties.message_id)
                message = json.loads(body)
                self.seen.setdefault(message["request_id"], []).append(message)
        finally:
            channel.connection.close()
        raise AssertionError(f"no {until!r} status for {request_id}: {self.seen.get(request_id)}")

    def dead_letters(self) -> list[bytes]:
        channel = self.channel()
        found = []
        while True:
            method, _, body = channel.basic_get(
                self.settings.rabbitmq_dead_letter_queue, auto_ack=True
            )
            if method is None:
                break
            found.append(body)
        channel.connection.close()
        return found

    def courses_for(self, request_id: str) -> int:
        with self.platform.sessions() as session:
            return session.scalar(select(func.count()).where(Course.request_id == request_id)) or 0


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, module_pg_url: str, rabbitmq: Any
) -> Iterator[Env]:
    suffix = uuid.uuid4().hex[:6]  # own exchange and queues: no cross-talk with other modules
    settings = make_settings(
        tmp_path_factory.mktemp("rabbit") / "home",
        module_pg_url,
        rabbitmq_host="127.0.0.1",
        rabbitmq_port=rabbitmq.port,
        rabbitmq_exchange=f"course.exchange.{suffix}",
        rabbitmq_queue_generation=f"course.generation.queue.{suffix}",
        rabbitmq_queue_status=f"course.status.queue.{suffix}",
        rabbitmq_dead_letter_queue=f"course.generation.dlq.{suffix}",
    )
    platform = build_platform(settings)
    consumer = platform.background[-1]
    assert consumer.connected.wait(30), "the consumer did not connect"
    yield Env(platform, rabbitmq)
    platform.close()


@pytest.fixture(scope="module")
def user(env: Env) -> tuple[uuid.UUID, dict[str, str]]:
    """A user whose library holds the six-topic science PDF under `science/`."""
    with env.platform.sessions.begin() as session:
        row = create_user(session, f"r{uuid.uuid4().hex[:6]}", "pw-123456789")
        token = issue_token(row, env.settings.secret_key(), 30)
        doc = create_document(
            session,
            env.platform.blobs,
            user_id=row.id,
            filename="all.pdf",
            data=samples.text_pdf(),
            path="science/all.pdf",
        )
        doc_id = doc.id

    def completed() -> bool:
        with env.platform.sessions() as session:
            return session.get_one(Document, doc_id).status is DocumentStatus.COMPLETED

    wait_for(completed, 60, "the source document", 0.1)
    return row.id, {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(env: Env) -> Any:
    transport = httpx.ASGITransport(app=create_app(platform=env.platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def request(user_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    body = {
        "request_id": str(uuid.uuid4()),
        "user_id": str(user_id),
        "topic": "Photosynthesis, volcanoes and the immune system",
        "grade_level": "Grade 8",
        "num_lessons": 2,
        "source_filter": "science/",
    }
    body.update(fields)
    return body


async def test_specification_message_produces_a_ready_course(env, user, client):
    user_id, headers = user
    message = request(user_id, num_lessons=3)
    env.publish(message)
    statuses = env.statuses(message["request_id"], until="success")
    assert [s["status"] for s in statuses] == ["processing", "success"]
    success = statuses[-1]
    assert success["total_lessons"] == 3 and success["course_title"] and success["timestamp"]
    course = (await client.get(f"/api/courses/{success['course_id']}", headers=headers)).json()
    assert course["status"] == "READY" and len(course["lessons"]) == 3
    assert all(lesson["content_md"] and lesson["sources"] for lesson in course["lessons"])
    with env.platform.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT lesson_number FROM v_lessons_full WHERE course_id = %(c)s ORDER BY 1",
            {"c": success["course_id"]},
        ).all()
        assert [r[0] for r in rows] == [1, 2, 3]
    with env.platform.sessions.begin() as session:
        other = create_user(session, f"o{uuid.uuid4().hex[:6]}", "pw-123456789")
        token = issue_token(other, env.settings.secret_key(), 5)
    denied = await client.get(
        f"/api/courses/{success['course_id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert denied.status_code == 404


def test_invalid_messages_are_dead_lettered_and_the_consumer_goes_on(env, user):
    user_id, _ = user
    env.dead_letters()  # start from an empty dead-letter queue
    no_user = request(user_id)
    del no_user["user_id"]
    env.publish(no_user)
    env.publish(b'{"topic": "Tides", "user_id": ')  # malformed JSON
    stranger = request(uuid.uuid4())
    env.publish(stranger)
    valid = request(user_id, topic="Photosynthesis", num_lessons=1)
    env.publish(valid)

    assert env.statuses(valid["request_id"], until="success")[-1]["total_lessons"] == 1
    error = env.statuses(no_user["request_id"], until="error")[-1]
    assert "user_id" in error["message"] and error["timestamp"]
    assert "unknown user_id" in env.statuses(stranger["request_id"], until="error")[-1]["message"]
    deadline = time.monotonic() + 10
    dead: list[bytes] = []
    while len(dead) < 3 and time.monotonic() < deadline:
        dead += env.dead_letters()
        time.sleep(0.1)
    assert len(dead) == 3 and any(b'"topic": "Tides", "user_id": ' in d for d in dead)
    assert (
        env.courses_for(no_user["request_id"]) == 0 and env.courses_for(stranger["request_id"]) == 0
    )


def test_duplicate_request_id_makes_one_course(env, user):
    user_id, _ = user
    message = request(user_id, num_lessons=1, topic="Roman aqueducts")
    env.publish(message)
    env.publish(message)
    env.statuses(message["request_id"], until="success")
    time.sleep(1.0)  # give the second delivery time to be handled
    assert env.courses_for(message["request_id"]) == 1
    processing = [s for s in env.seen[message["request_id"]] if s["status"] == "processing"]
    assert len(processing) == 1


def test_rabbitmq_restart_loses_nothing(env, user):
    user_id, _ = user
    before = request(user_id, num_lessons=2, topic="Volcanoes and the immune system")
    env.publish(before)
    deadline = time.monotonic() + 30
    while env.courses_for(before["request_id"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    env.rabbitmq.stop()  # the course finishes while the broker is down
    with env.platform.sessions() as session:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = session.scalar(select(Course).where(Course.request_id == before["request_id"]))
            session.expire_all()
            if row is not None and row.status is CourseStatus.READY:
                break
            time.sleep(0.1)
    env.rabbitmq.start()
    assert [s["status"] for s in env.statuses(before["request_id"], until="success")] == [
        "processing",
        "success",
    ]
    after = request(user_id, num_lessons=1, topic="TCP")
    env.publish(after)  # the consumer reconnected by itself
    assert env.statuses(after["request_id"], until="success")[-1]["status"] == "success"


def test_cli_publisher_and_status_watcher(env, user, tmp_path):
    user_id, _ = user
    s = env.settings
    cli_env = {
        **settings_env(s),
        "RABBITMQ_HOST": "127.0.0.1",
        "RABBITMQ_PORT": str(env.rabbitmq.port),
        "RABBITMQ_EXCHANGE": s.rabbitmq_exchange,
        "RABBITMQ_QUEUE_GENERATION": s.rabbitmq_queue_generation,
        "RABBITMQ_QUEUE_STATUS": s.rabbitmq_queue_status,
        "STUDYFORGE_RABBITMQ_DEAD_LETTER_QUEUE": s.rabbitmq_dead_letter_queue,
    }
    published = subprocess.run(
        [
            str(BIN),
            "courses",
            "publish",
            "--topic",
            "Photosynthesis",
            "--user-id",
            str(user_id),
            "--num-lessons",
            "1",
            "--grade-level",
            "Grade 10",
        ],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    request_id = published.stdout.strip()
    uuid.UUID(request_id)  # a generated request id
    watched = subprocess.run(
        [str(BIN), "courses", "watch", "--request-id", request_id, "--timeout", "60"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    lines = [json.loads(line) for line in watched.stdout.splitlines()]
    assert [m["status"] for m in lines] == ["processing", "success"]
    assert lines[-1]["total_lessons"] == 1 and env.courses_for(request_id) == 1
