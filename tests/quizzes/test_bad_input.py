"""Bad input gets a clear error in the shared shape, and stores nothing; another user's quiz,
submissions and analytics answer 404."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from studyforge.quizzes.models import Quiz, QuizSubmission
from tests.documents import samples
from tests.documents.conftest import ingest
from tests.quizzes.conftest import make_quiz, science, submit

pytestmark = pytest.mark.anyio


def _counts(platform) -> tuple[int, int]:
    with platform.sessions() as session:
        quizzes = session.scalar(sa.select(sa.func.count()).select_from(Quiz))
        submissions = session.scalar(sa.select(sa.func.count()).select_from(QuizSubmission))
    return int(quizzes or 0), int(submissions or 0)


def _shared_shape(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "code", "timestamp"} and body["error"]
    if code:
        assert body["code"] == code, body


async def test_bad_requests_are_refused_and_store_nothing(client, make_user, platform):
    _, headers = make_user()
    doc = await science(client, headers)
    tiny = await ingest(client, headers, "optics.md", samples.MARKDOWN)  # one short sentence
    before = _counts(platform)
    cases = [
        ({"document_id": str(uuid.uuid4())}, 404, "DOCUMENT_NOT_FOUND"),
        ({"course_id": str(uuid.uuid4())}, 404, "COURSE_NOT_FOUND"),
        ({"document_id": doc["document_id"], "num_questions": 0}, 422, "VALIDATION_ERROR"),
        ({"document_id": doc["document_id"], "num_questions": 10000}, 422, "VALIDATION_ERROR"),
        ({"document_id": doc["document_id"], "num_questions": "5"}, 422, "VALIDATION_ERROR"),
        ({"document_id": doc["document_id"], "quiz_type": "essay"}, 422, "VALIDATION_ERROR"),
        ({"document_id": doc["document_id"], "difficulty": "brutal"}, 422, "VALIDATION_ERROR"),
        ({"document_id": "not-a-uuid"}, 422, "VALIDATION_ERROR"),
        ({"document_id": doc["document_id"], "user_id": str(uuid.uuid4())}, 403, "USER_MISMATCH"),
        ({"document_id": tiny["document_id"]}, 409, "NOT_ENOUGH_MATERIAL"),
    ]  # fmt: skip
    for body, status, code in cases:
        _shared_shape(await client.post("/quiz/generate", headers=headers, json=body), status, code)
    assert _counts(platform) == before
    _shared_shape(await client.get("/quiz/not-a-uuid", headers=headers), 404, "NOT_FOUND")
    _shared_shape(await client.get(f"/quiz/{uuid.uuid4()}", headers=headers), 404, "QUIZ_NOT_FOUND")


async def test_answers_must_be_for_this_quizs_questions(client, make_user, platform):
    _, headers = make_user()
    doc = await science(client, headers)
    one = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=2)
    other = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=2,
                            quiz_type="true_false")  # fmt: skip
    before = _counts(platform)
    foreign = {q["question_id"]: "True" for q in other["questions"]}
    _shared_shape(await submit(client, headers, one["quiz_id"], foreign), 422, "UNKNOWN_QUESTION")
    bad = {one["questions"][0]["question_id"]: True}  # a boolean is no answer
    _shared_shape(await submit(client, headers, one["quiz_id"], bad), 422, "VALIDATION_ERROR")
    missing = await submit(client, headers, str(uuid.uuid4()), {})
    _shared_shape(missing, 404, "QUIZ_NOT_FOUND")
    response = await client.post("/quiz/submit", headers=headers,
                                 json={"quiz_id": "nope", "answers": {}})  # fmt: skip
    _shared_shape(response, 422, "VALIDATION_ERROR")
    assert _counts(platform) == before
    empty = await submit(client, headers, one["quiz_id"], {})  # nothing answered: graded as such
    assert empty.status_code == 200 and empty.json()["score"] == 0
    assert all(r["user_answer"] is None for r in empty.json()["results"])


async def test_another_users_quiz_is_not_found(client, make_user):
    owner_id, owner = make_user()
    _, intruder = make_user()
    doc = await science(client, owner)
    quiz = await make_quiz(client, owner, document_id=doc["document_id"], num_questions=2)
    answers = {q["question_id"]: "A" for q in quiz["questions"]}
    mine = (await submit(client, owner, quiz["quiz_id"], answers)).json()
    quiz_id = quiz["quiz_id"]
    for url in (
        f"/quiz/{quiz_id}",
        f"/quiz/{quiz_id}/analytics",
        f"/quiz/submissions/{mine['submission_id']}",
        f"/quiz/history?quiz_id={quiz_id}",
    ):
        _shared_shape(await client.get(url, headers=intruder), 404)  # fmt: skip
    _shared_shape(await submit(client, intruder, quiz_id, answers), 404, "QUIZ_NOT_FOUND")
    theirs = await client.post("/quiz/generate", headers=intruder,
                               json={"document_id": doc["document_id"]})  # fmt: skip
    _shared_shape(theirs, 404, "DOCUMENT_NOT_FOUND")
    assert (await client.get("/quiz/history", headers=intruder)).json()["total"] == 0
    spoofed = await client.get(f"/quiz/history?user_id={owner_id}", headers=intruder)
    _shared_shape(spoofed, 403, "USER_MISMATCH")
    own = await client.get(f"/quiz/history?user_id={owner_id}", headers=owner)
    assert own.json()["total"] == 1
    again = await client.get(f"/quiz/submissions/{mine['submission_id']}", headers=owner)
    assert again.json() == mine


async def test_analytics_name_the_concepts_to_reread(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=4)
    empty = (await client.get(f"/quiz/{quiz['quiz_id']}/analytics", headers=headers)).json()
    assert empty["attempts"] == 0 and empty["average_score"] is None and empty["most_missed"] == []
    key = {r["question_id"]: r for r in (await submit(client, headers, quiz["quiz_id"], {})).json()[
        "results"]}  # fmt: skip
    first = quiz["questions"][0]["question_id"]
    right = {qid: r["correct_answer"] for qid, r in key.items()}
    wrong = {**right, first: next(o for o in quiz["questions"][0]["options"]
                                  if o != key[first]["correct_answer"])}  # fmt: skip
    await submit(client, headers, quiz["quiz_id"], right)
    await submit(client, headers, quiz["quiz_id"], wrong)
    stats = (await client.get(f"/quiz/{quiz['quiz_id']}/analytics", headers=headers)).json()
    assert stats["attempts"] == 3 and stats["best_score"] == 100
    assert stats["average_score"] == pytest.approx((0 + 100 + 75) / 3, abs=0.1)
    rates = {q["question_id"]: q["correct_rate"] for q in stats["questions"]}
    assert rates[first] == pytest.approx(1 / 3, abs=0.001)
    worst = stats["most_missed"][0]
    assert worst["miss_rate"] == pytest.approx(2 / 3, abs=0.001)
    assert worst["reread"]["text"] == key[first]["citation"]["text"]
    assert worst["link"] == f"/document/{doc['document_id']}"
