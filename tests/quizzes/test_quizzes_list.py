"""`GET /quizzes` (your quizzes with their source, settings, attempts and best score, paginated
and bounded) and `DELETE /quiz/{id}` (the owner's only; its questions and submissions go too)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from studyforge.quizzes.models import QuizQuestion, QuizSubmission
from tests.conftest import UserMaker
from tests.quizzes.conftest import make_quiz, science, submit
from tests.support.polling import poll_json
from tests.test_bounds import TOO_BIG, assert_validation_error

pytestmark = pytest.mark.anyio


async def _key(client: httpx.AsyncClient, headers: dict[str, str], quiz: dict[str, Any]) -> Any:
    """Each question's right answer, from a submission that answers nothing."""
    response = await submit(client, headers, quiz["quiz_id"], {})
    assert response.status_code == 200, response.text
    return {r["question_id"]: r["correct_answer"] for r in response.json()["results"]}


async def test_the_list_names_each_quiz_and_says_how_you_did(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    doc = await science(client, headers)
    first = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=4,
                            difficulty="easy", quiz_type="true_false")  # fmt: skip
    second = await make_quiz(client, headers, source_filter="science/", num_questions=3)
    key = await _key(client, headers, first)  # one attempt: nothing answered, 0%
    right = {qid: answer for qid, answer in key.items()}
    assert (await submit(client, headers, first["quiz_id"], right)).json()["score"] == 100

    listed = await client.get("/quizzes", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 2 and body["limit"] == 50 and body["offset"] == 0
    newest, oldest = body["quizzes"]
    assert [newest["quiz_id"], oldest["quiz_id"]] == [second["quiz_id"], first["quiz_id"]]
    assert oldest["source"] == "science.pdf" and oldest["document_id"] == doc["document_id"]
    assert oldest["quiz_type"] == "true_false" and oldest["difficulty"] == "easy"
    assert oldest["num_questions"] == oldest["total_questions"] == 4
    assert oldest["status"] == "READY" and oldest["attempts"] == 2
    assert oldest["best_score"] == 100 and oldest["last_submitted_at"]
    assert newest["source"] == "Documents in science/" and newest["document_id"] is None
    assert newest["attempts"] == 0 and newest["best_score"] is None
    assert newest["last_submitted_at"] is None and newest["created_at"]

    page = (await client.get("/quizzes", params={"limit": 1, "offset": 1}, headers=headers)).json()
    assert [q["quiz_id"] for q in page["quizzes"]] == [first["quiz_id"]]
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
    past = (await client.get("/quizzes", params={"offset": 5}, headers=headers)).json()
    assert past["quizzes"] == [] and past["total"] == 2

    _, other = make_user()
    theirs = (await client.get("/quizzes", headers=other)).json()
    assert theirs == {"quizzes": [], "total": 0, "limit": 50, "offset": 0}


async def test_a_deleted_document_keeps_its_name_in_the_list(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=2)
    assert (await client.delete(f"/document/{doc['document_id']}", headers=headers)).is_success
    listed = (await client.get("/quizzes", headers=headers)).json()["quizzes"]
    assert [(q["quiz_id"], q["source"]) for q in listed] == [
        (quiz["quiz_id"], "science.pdf (deleted)")
    ]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 201}, ["query", "limit"]),
        ({"limit": "ten"}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"offset": TOO_BIG}, ["query", "offset"]),
        ({"offset": "1.5"}, ["query", "offset"]),
        ({"user_id": "x" * 101}, ["query", "user_id"]),
    ],
)
async def test_bad_pages_are_refused(
    client: httpx.AsyncClient, make_user: UserMaker, params: dict[str, Any], where: list[str]
):
    _, headers = make_user()
    assert_validation_error(await client.get("/quizzes", params=params, headers=headers), where)


async def test_the_bounds_themselves_are_accepted(client: httpx.AsyncClient, make_user: UserMaker):
    _, headers = make_user()
    for params in ({"limit": 1}, {"limit": 200}, {"offset": TOO_BIG - 1}):
        response = await client.get("/quizzes", params=params, headers=headers)
        assert response.status_code == 200, (params, response.text)


async def test_another_users_id_and_no_token_are_refused(
    client: httpx.AsyncClient, make_user: UserMaker
):
    me, headers = make_user()
    other, _ = make_user()
    mismatch = await client.get("/quizzes", params={"user_id": str(other)}, headers=headers)
    assert mismatch.status_code == 403 and mismatch.json()["code"] == "USER_MISMATCH"
    mine = await client.get("/quizzes", params={"user_id": str(me)}, headers=headers)
    assert mine.status_code == 200
    assert (await client.get("/quizzes")).status_code == 401


async def test_delete_removes_the_quiz_its_questions_and_submissions(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Any
):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=3)
    kept = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=2)
    submission = (await submit(client, headers, quiz["quiz_id"], {})).json()
    await submit(client, headers, quiz["quiz_id"], {})
    await submit(client, headers, kept["quiz_id"], {})

    deleted = await client.delete(f"/quiz/{quiz['quiz_id']}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {
        "quiz_id": quiz["quiz_id"], "deleted": True, "questions": 3, "submissions": 2,
    }  # fmt: skip
    for gone in (f"/quiz/{quiz['quiz_id']}", f"/quiz/{quiz['quiz_id']}/analytics",
                 f"/quiz/submissions/{submission['submission_id']}"):  # fmt: skip
        assert (await client.get(gone, headers=headers)).status_code == 404, gone
    again = await client.delete(f"/quiz/{quiz['quiz_id']}", headers=headers)
    assert again.status_code == 404 and again.json()["code"] == "QUIZ_NOT_FOUND"
    history = (await client.get("/quiz/history", headers=headers)).json()
    assert [h["quiz_id"] for h in history["quizzes"]] == [kept["quiz_id"]]
    listed = (await client.get("/quizzes", headers=headers)).json()["quizzes"]
    assert [q["quiz_id"] for q in listed] == [kept["quiz_id"]]
    assert (await client.get(f"/document/{doc['document_id']}", headers=headers)).is_success
    with platform.sessions() as session:
        quiz_id = uuid.UUID(quiz["quiz_id"])
        assert session.query(QuizQuestion).filter_by(quiz_id=quiz_id).count() == 0
        assert session.query(QuizSubmission).filter_by(quiz_id=quiz_id).count() == 0
        assert session.query(QuizQuestion).filter_by(quiz_id=uuid.UUID(kept["quiz_id"])).count()


async def test_another_users_quiz_cannot_be_deleted(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    _, other = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=2)
    refused = await client.delete(f"/quiz/{quiz['quiz_id']}", headers=other)
    assert refused.status_code == 404 and refused.json()["code"] == "QUIZ_NOT_FOUND"
    assert set(refused.json()) == {"error", "code", "timestamp"}
    missing = await client.delete(f"/quiz/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert (await client.get(f"/quiz/{quiz['quiz_id']}", headers=headers)).status_code == 200
    assert (await client.delete(f"/quiz/{quiz['quiz_id']}")).status_code == 401


async def test_deleting_a_quiz_being_written_stops_its_job(
    client: httpx.AsyncClient, make_user: UserMaker
):
    _, headers = make_user()
    doc = await science(client, headers)
    body = {"document_id": doc["document_id"], "num_questions": 12}
    sent = await client.post("/quiz/generate", headers=headers, json=body)
    assert sent.status_code == 202, sent.text
    queued = sent.json()
    deleted = await client.delete(f"/quiz/{queued['quiz_id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json()["submissions"] == 0
    ended = ("SUCCEEDED", "CANCELLED", "FAILED")
    job = await poll_json(client, f"/api/jobs/{queued['job_id']}", headers,
                          lambda b: b["status"] in ended, 60)  # fmt: skip
    assert job["status"] in ended, job  # whenever it stopped...
    gone = await client.get(f"/quiz/{queued['quiz_id']}", headers=headers)
    assert gone.status_code == 404  # ...it wrote nothing back


async def test_the_openapi_documents_both_operations(app: Any):
    paths = app.openapi()["paths"]
    listing = paths["/quizzes"]["get"]["responses"]
    assert {"200", "401", "403", "422"} <= set(listing)
    assert "QuizList" in listing["200"]["content"]["application/json"]["schema"]["$ref"]
    removal = paths["/quiz/{quiz_id}"]["delete"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(removal)
    for responses in (listing, removal):
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]["$ref"]
                assert schema.endswith(("/Error", "/ValidationError")), status
