"""The quiz service over Kafka, against a real broker (Tansu) and the test databases:
`quiz.requested` -> a READY quiz and `quiz.generated`; duplicates and bad messages;
`notes.generated` -> context that changes which facts a later quiz asks about."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.config import Settings
from studyforge.documents.models import Document
from studyforge.platform import Platform
from studyforge.quizzes.context import document_context
from studyforge.quizzes.facts import Material
from studyforge.quizzes.material import Wanted, load_sources
from studyforge.quizzes.models import Quiz, QuizStatus
from studyforge.quizzes.plan import plan_questions
from tests.messaging.kafka_helpers import (
    dead_lettered,
    kafka_settings,
    own_kafka,
    produce,
    racing_insert,
    read_topic,
    runner_of,
    wait_settled,
)
from tests.quizzes.conftest import make_quiz, science
from tests.support.procs import wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.services]
REQUESTED, NOTES = "quiz.requested", "notes.generated"


kafka = pytest.fixture(scope="module")(own_kafka)


@pytest.fixture
def settings(tmp_path: Path, db_url: str, kafka: Any) -> Settings:
    """The test's platform consumes Kafka (its own consumer group) and relays to it."""
    return kafka_settings(tmp_path / "home", db_url, kafka.bootstrap)


def _quizzes(platform: Platform, user_id: uuid.UUID, request_id: str) -> list[Quiz]:
    with platform.sessions() as session:
        stmt = select(Quiz).where(Quiz.user_id == user_id, Quiz.request_id == request_id)
        return list(session.scalars(stmt))


def _request(user_id: uuid.UUID, doc: dict[str, Any], request_id: str, **extra: Any) -> dict:
    return {"user_id": str(user_id), "request_id": request_id,
            "document_id": doc["document_id"], "num_questions": 3, "difficulty": "easy",
            "quiz_type": "multiple_choice", **extra}  # fmt: skip


async def test_quiz_requested_makes_a_ready_quiz_and_a_quiz_generated_event(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any
):
    runner = runner_of(platform)
    user_id, headers = make_user()
    doc = await science(client, headers)
    request_id = f"r-{uuid.uuid4().hex[:10]}"
    where = produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, request_id))
    wait_settled(runner, REQUESTED, *where)
    [quiz] = _quizzes(platform, user_id, request_id)
    assert quiz.status is QuizStatus.READY and len(quiz.questions) == 3
    assert dead_lettered(runner, REQUESTED, where) is None
    shown = (await client.get(f"/quiz/{quiz.id}", headers=headers)).json()
    assert shown["status"] == "READY" and shown["request_id"] == request_id

    [(event, headers_, _)] = read_topic(
        kafka.bootstrap, "quiz.generated", lambda v, _: v["data"].get("request_id") == request_id
    )
    assert event["type"] == "quiz.generated" and headers_["event_id"].decode() == event["event_id"]
    data = event["data"]
    assert data["quiz_id"] == str(quiz.id) and data["user_id"] == str(user_id)
    assert data["document_id"] == doc["document_id"] and data["total_questions"] == 3


async def test_the_same_request_twice_makes_one_quiz(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any
):
    runner = runner_of(platform)
    user_id, headers = make_user()
    doc = await science(client, headers)
    request_id = f"r-{uuid.uuid4().hex[:10]}"
    # Eleven questions: queued as a job (the quiz row is committed before the offset).
    raw = json.dumps(_request(user_id, doc, request_id, num_questions=11)).encode()
    first = produce(kafka.bootstrap, REQUESTED, raw)
    second = produce(kafka.bootstrap, REQUESTED, raw)
    wait_settled(runner, REQUESTED, *second)
    [quiz] = _quizzes(platform, user_id, request_id)
    assert quiz.job_id is not None
    assert dead_lettered(runner, REQUESTED, first) is None
    assert dead_lettered(runner, REQUESTED, second) is None, "a repeat is done, not bad"
    wait_for(lambda: _quizzes(platform, user_id, request_id)[0].status is QuizStatus.READY,
             60, "the queued quiz")  # fmt: skip
    assert len(_quizzes(platform, user_id, request_id)[0].questions) == 11
    events = read_topic(
        kafka.bootstrap, "quiz.generated", lambda v, _: v["data"].get("request_id") == request_id
    )
    assert len(events) == 1, "the repeat wrote nothing, so it announced nothing"
    # Over HTTP the same user's request_id answers the same quiz.
    again = await client.post(
        "/quiz/generate", headers=headers,
        json={"document_id": doc["document_id"], "num_questions": 11, "difficulty": "easy",
              "request_id": request_id},
    )  # fmt: skip
    assert again.json()["quiz_id"] == str(quiz.id)


async def test_a_concurrent_duplicate_is_done_not_dead_lettered(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    """Another delivery of the request commits its quiz after this one looked for it and
    before this one's INSERT: the unique constraint refuses the second, which is then done."""
    runner = runner_of(platform)
    user_id, headers = make_user()
    doc = await science(client, headers)
    request_id = f"c-{uuid.uuid4().hex[:10]}"
    raced = uuid.uuid4()

    def rival(other: Session) -> None:
        other.add(Quiz(id=raced, user_id=user_id, request_id=request_id,
                       document_id=uuid.UUID(doc["document_id"]), num_questions=2,
                       difficulty="easy", quiz_type="multiple_choice"))  # fmt: skip

    caplog.set_level(logging.INFO, "studyforge.quizzes.consumer")
    with racing_insert(platform, "quizzes", rival) as staged:
        where = produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, request_id))
        wait_settled(runner, REQUESTED, *where)
    assert staged, "the race was staged"
    assert any("recorded concurrently" in r.getMessage() for r in caplog.records)
    assert [q.id for q in _quizzes(platform, user_id, request_id)] == [raced]
    assert dead_lettered(runner, REQUESTED, where) is None


async def test_bad_messages_are_dead_lettered_and_the_next_one_is_processed(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any
):
    runner = runner_of(platform)
    user_id, headers = make_user()
    other_id, _ = make_user()
    doc = await science(client, headers)
    tag = uuid.uuid4().hex[:10]
    bad = {
        "json": produce(kafka.bootstrap, REQUESTED, f"{{not json {tag}".encode()),
        "schema": produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, f"s-{tag}",
                                                              num_questions=500)),
        "no request_id": produce(kafka.bootstrap, REQUESTED, {
            k: v for k, v in _request(user_id, doc, "x").items() if k != "request_id"}),
        "user": produce(kafka.bootstrap, REQUESTED, _request(uuid.uuid4(), doc, f"u-{tag}")),
        "theirs": produce(kafka.bootstrap, REQUESTED, _request(other_id, doc, f"o-{tag}")),
    }  # fmt: skip
    good_id = f"g-{tag}"
    good = produce(kafka.bootstrap, REQUESTED, _request(user_id, doc, good_id))
    wait_settled(runner, REQUESTED, *good)

    reasons = {name: dead_lettered(runner, REQUESTED, at) for name, at in bad.items()}
    assert "malformed JSON" in str(reasons["json"])
    assert "num_questions" in str(reasons["schema"])
    assert "request_id" in str(reasons["no request_id"])
    assert "unknown user_id" in str(reasons["user"])
    assert "DOCUMENT_NOT_FOUND" in str(reasons["theirs"]), "another user's document"
    assert not _quizzes(platform, other_id, f"o-{tag}")
    [quiz] = _quizzes(platform, user_id, good_id)
    assert quiz.status is QuizStatus.READY

    partition, offset = bad["json"]
    [(letter, letter_headers, _)] = read_topic(
        kafka.bootstrap, f"{REQUESTED}.dlq",
        lambda v, _: (v.get("partition"), v.get("offset")) == (partition, offset)
        and v.get("value", "").endswith(tag),
    )  # fmt: skip
    assert letter["topic"] == REQUESTED and letter["partition"] == partition
    assert letter["value"] == f"{{not json {tag}" and "malformed JSON" in letter["error"]
    assert letter["consumer_group"] == platform.settings.kafka_consumer_group
    assert b"malformed JSON" in letter_headers["dlq.error"]
    assert letter_headers["dlq.offset"] == str(offset).encode()


def _term_that_moves_the_quiz(platform: Platform, user_id: uuid.UUID, doc_id: str) -> str:
    """A key term that, received as context, changes the one-question easy quiz (worked out
    on the material itself, so the test follows the engine's choices)."""
    with platform.sessions() as session:
        sources = load_sources(session, Wanted(user_id, uuid.UUID(doc_id)))
    m = Material(sources)
    before = plan_questions(m, 1, "easy", "multiple_choice")[0]
    asked = m.facts[before["fact"]].sentence.casefold()
    ranked = sorted(m.facts, key=lambda f: -f.score)
    for fact in ranked[1:]:
        for key in fact.keys:
            if key.kind != "term" or key.text.casefold() in asked:
                continue
            for source in m.sources:
                source["context_terms"] = (key.text,)
            after = plan_questions(Material(m.sources), 1, "easy", "multiple_choice")[0]
            if key.text.casefold() in after["quote"].casefold():
                return key.text
    raise AssertionError("no key term moves the quiz")


async def test_notes_generated_are_kept_as_context_and_steer_later_quizzes(
    platform: Platform, client: httpx.AsyncClient, make_user: Any, kafka: Any
):
    runner = runner_of(platform)
    user_id, headers = make_user()
    other_id, _ = make_user()
    doc = await science(client, headers)
    doc_id = uuid.UUID(doc["document_id"])
    # Our own notes.generated (relayed from the outbox) comes back: consumed, harmless.
    [(own, _, own_at)] = read_topic(
        kafka.bootstrap, NOTES, lambda v, _: v.get("data", {}).get("document_id") == str(doc_id)
    )
    wait_settled(runner, NOTES, *own_at)
    assert dead_lettered(runner, NOTES, own_at) is None
    with platform.sessions() as session:
        assert "context" not in (session.get_one(Document, doc_id).notes_data or {})
    before = await make_quiz(client, headers, document_id=str(doc_id), num_questions=1,
                             difficulty="easy")  # fmt: skip
    term = _term_that_moves_the_quiz(platform, user_id, str(doc_id))

    notes = {"document_id": str(doc_id), "user_id": str(user_id), "provider": "notes-service",
             "notes": f"## Key ideas\n\n- {term} matters.", "key_terms": [term, "  "]}  # fmt: skip
    where = produce(kafka.bootstrap, NOTES, notes)
    wait_settled(runner, NOTES, *where)
    assert dead_lettered(runner, NOTES, where) is None
    with platform.sessions() as session:
        row = session.get_one(Document, doc_id)
        stored = row.notes_data["context"]
        assert stored["key_terms"] == [term] and stored["provider"] == "notes-service"
        assert row.notes_data["key_terms"] == own["data"]["key_terms"], "own notes kept"
        assert document_context(session, user_id, doc_id) == [term]
        assert document_context(session, other_id, doc_id) == []
    received_at = stored["received_at"]

    after = await make_quiz(client, headers, document_id=str(doc_id), num_questions=1,
                            difficulty="easy")  # fmt: skip
    # The learner sees the question, the key comes with the graded submission.
    graded = (
        await client.post(
            "/quiz/submit", headers=headers, json={"quiz_id": after["quiz_id"], "answers": {}}
        )
    ).json()
    cited = graded["results"][0]["citation"]["text"]
    first = (
        await client.post(
            "/quiz/submit", headers=headers, json={"quiz_id": before["quiz_id"], "answers": {}}
        )
    ).json()
    assert term.casefold() not in first["results"][0]["citation"]["text"].casefold()
    assert term.casefold() in cited.casefold(), "the received key term made its fact central"

    # The same notes again change nothing; another user's document is dead-lettered.
    again = produce(kafka.bootstrap, NOTES, notes)
    theirs = produce(kafka.bootstrap, NOTES, {**notes, "user_id": str(other_id)})
    wait_settled(runner, NOTES, *theirs)
    assert dead_lettered(runner, NOTES, again) is None
    assert "not a document of user" in str(dead_lettered(runner, NOTES, theirs))
    with platform.sessions() as session:
        assert session.get_one(Document, doc_id).notes_data["context"]["received_at"] == (
            received_at
        )
