"""Quizzes over HTTP on real material: the six-topic PDF and Python's chapter on errors."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from studyforge.ai.offline.terms import code_like
from studyforge.documents.models import Passage
from studyforge.quizzes.answers import normalise
from tests.documents.samples import PAGE_OF, TOPICS
from tests.quizzes.conftest import make_quiz, python_errors, science, submit, text_of

pytestmark = pytest.mark.anyio
KEY_FIELDS = ("correct_answer", "explanation", "key_points", "quote", "concept", "citation")


def _flat(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


async def _answers_and_results(client, headers, quiz, pick) -> dict[str, Any]:
    answers = {q["question_id"]: pick(q) for q in quiz["questions"]}
    response = await submit(client, headers, quiz["quiz_id"], answers)
    assert response.status_code == 200, response.text
    return response.json()


async def _key(client, headers, quiz) -> dict[str, dict[str, Any]]:
    """Each question's result (with its key), from a submission that answers nothing."""
    body = await _answers_and_results(client, headers, quiz, lambda q: "")
    return {r["question_id"]: r for r in body["results"]}


def _check_citation(result: dict[str, Any], doc: dict[str, Any]) -> None:
    cited = result["citation"]
    assert cited["document_id"] == doc["document_id"] and cited["filename"] == doc["filename"]
    span = text_of(doc)[cited["start"] : cited["end"]]
    assert _flat(span) == _flat(cited["text"]), (span, cited["text"])


async def test_a_ten_question_multiple_choice_quiz_on_the_science_pdf(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=10)
    assert quiz["status"] == "READY" and quiz["total_questions"] == 10
    questions = quiz["questions"]
    assert len({_flat(q["question"]) for q in questions}) == 10
    for q in questions:
        assert q["type"] == "multiple_choice" and "_____" in q["question"]
        assert len(q["options"]) == 4 and len({normalise(o) for o in q["options"]}) == 4
    key = await _key(client, headers, quiz)
    assert len({key[q["question_id"]]["citation"]["text"] for q in questions}) == 10
    topics = set()
    for q in questions:
        result = key[q["question_id"]]
        answer, cited = result["correct_answer"], result["citation"]
        assert [normalise(o) for o in q["options"]].count(normalise(answer)) == 1
        assert _flat(answer) in _flat(cited["text"])  # the right option is stated there...
        for option in q["options"]:  # ...and no other option is stated in the cited passage
            if normalise(option) != normalise(answer):
                assert _flat(option) not in _flat(cited["text"])
        _check_citation(result, doc)
        topic = next(t for t in TOPICS if _flat(cited["text"]) in _flat(TOPICS[t]))
        assert cited["page"] == PAGE_OF[topic] and cited["heading"] == topic
        topics.add(topic)
    assert len(topics) == 6  # the quiz spreads over every topic
    right = [q["options"].index(key[q["question_id"]]["correct_answer"]) for q in questions]
    assert len(set(right)) > 1  # the right option is not always in the same place


async def test_all_right_scores_100_and_all_wrong_0(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=6,
                           quiz_type="mixed")  # fmt: skip
    key = await _key(client, headers, quiz)
    by_id = {q["question_id"]: q for q in quiz["questions"]}

    def right(q: dict[str, Any]) -> Any:
        answer = key[q["question_id"]]["correct_answer"]
        if q["type"] == "multiple_choice":  # as a letter, an index, or the text in capitals
            index = q["options"].index(answer)
            return ["ABCD"[index], index, f"  {answer.upper()} "][q["position"] % 3]
        return answer.lower() if q["type"] == "true_false" else answer

    def wrong(q: dict[str, Any]) -> Any:
        if q["type"] == "short_answer":
            return "Bananas are yellow and monkeys like them."
        answer = key[q["question_id"]]["correct_answer"]
        return next(o for o in q["options"] if o != answer)

    best = await _answers_and_results(client, headers, quiz, right)
    assert best["score"] == 100 and best["correct_answers"] == best["total_questions"] == 6
    worst = await _answers_and_results(client, headers, quiz, wrong)
    assert worst["score"] == 0 and worst["correct_answers"] == 0
    for result in worst["results"]:
        assert result["feedback"] and result["explanation"].startswith(
            ("The text says", "True.", "False.")
        )
        assert by_id[result["question_id"]]["question"] == result["question"]
        _check_citation(result, doc)
    history = (await client.get("/quiz/history", headers=headers)).json()
    assert [h["score"] for h in history["quizzes"]] == [0, 100, 0]  # newest first
    assert history["total"] == 3 and history["quizzes"][0]["document_id"] == doc["document_id"]


async def test_the_quiz_as_asked_gives_no_answer_away(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    for quiz_type in ("multiple_choice", "true_false", "short_answer"):
        quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=6,
                               quiz_type=quiz_type)  # fmt: skip
        shown = (await client.get(f"/quiz/{quiz['quiz_id']}", headers=headers)).json()
        assert shown["questions"] == quiz["questions"]
        key = await _key(client, headers, quiz)
        for q in shown["questions"]:
            assert not set(q) & set(KEY_FIELDS)
            result = key[q["question_id"]]
            # Everything but the options themselves: no right answer, key point or source.
            rest = json.dumps({**shown, "questions": [{**x, "options": []} for x in
                                                      shown["questions"]]}).casefold()  # fmt: skip
            if quiz_type != "true_false":
                assert result["correct_answer"].casefold() not in rest, result["correct_answer"]
            for point in result["key_points"]:
                assert point.casefold() not in rest
            assert _flat(result["citation"]["text"]) not in _flat(rest) or quiz_type == "true_false"


async def test_true_false_is_balanced_and_false_ones_change_one_detail(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=10,
                           quiz_type="true_false")  # fmt: skip
    key = await _key(client, headers, quiz)
    verdicts = [key[q["question_id"]]["correct_answer"] for q in quiz["questions"]]
    assert abs(verdicts.count("True") - verdicts.count("False")) <= 1
    for q in quiz["questions"]:
        assert q["options"] == ["True", "False"]
        statement = q["question"].removeprefix("True or false: ")
        cited = key[q["question_id"]]["citation"]["text"]
        if key[q["question_id"]]["correct_answer"] == "True":
            assert statement == cited
        else:
            assert statement != cited and _flat(statement) not in _flat(text_of(doc))
            changed = set(re.findall(r"[\w-]+", statement)) ^ set(re.findall(r"[\w-]+", cited))
            assert 1 <= len(changed) <= 6, changed  # one detail: a word or a short phrase


async def test_short_answers_have_a_reference_and_key_points(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=6,
                           quiz_type="short_answer")  # fmt: skip
    key = await _key(client, headers, quiz)
    for q in quiz["questions"]:
        result = key[q["question_id"]]
        assert q["options"] == [] and result["key_points"]
        cited = _flat(result["citation"]["text"])
        assert _flat(result["correct_answer"]) in cited
        assert all(_flat(p) in cited for p in result["key_points"])
    model = await _answers_and_results(
        client, headers, quiz, lambda q: key[q["question_id"]]["correct_answer"]
    )
    assert model["score"] == 100


async def test_a_quiz_on_a_python_documentation_chapter(client, make_user, platform, errors_pdf):
    _, headers = make_user()
    doc = await python_errors(client, headers, errors_pdf)
    quizzes = {}
    for difficulty in ("easy", "hard"):
        quiz = await make_quiz(client, headers, document_id=doc["document_id"], num_questions=10,
                               difficulty=difficulty, quiz_type="mixed")  # fmt: skip
        assert quiz["status"] == "READY" and quiz["total_questions"] == 10
        quizzes[difficulty] = quiz
    key = await _key(client, headers, quizzes["easy"])
    ids = [key[q]["citation"]["passage_id"] for q in key]
    with platform.sessions() as session:
        passages = {p.id: p for p in session.scalars(sa.select(Passage).where(Passage.id.in_(ids)))}
    for q in quizzes["easy"]["questions"]:
        result = key[q["question_id"]]
        passage = passages[result["citation"]["passage_id"]]
        assert passage.kind == "prose" and ">>>" not in q["question"]  # never about code
        assert result["citation"]["page"] == passage.page  # on the right page
        assert _flat(result["citation"]["text"]) in _flat(passage.text)
        _check_citation(result, doc)
        if q["type"] == "multiple_choice":
            assert not any(code_like(o) for o in q["options"])
    easy = {q["question"] for q in quizzes["easy"]["questions"]}
    hard = {q["question"] for q in quizzes["hard"]["questions"]}
    assert len(easy & hard) <= 3  # difficulty changes the questions, not just a label


async def test_a_large_quiz_runs_as_a_job(client, make_user):
    _, headers = make_user()
    await science(client, headers)
    response = await client.post(
        "/quiz/generate", headers=headers, json={"num_questions": 15, "quiz_type": "true_false"}
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "QUEUED" and queued["job_id"] and queued["questions"] == []
    quiz = await make_quiz(client, headers, num_questions=15, quiz_type="true_false")
    assert quiz["status"] == "READY" and quiz["total_questions"] == 15
    job = (await client.get(f"/api/jobs/{queued['job_id']}", headers=headers)).json()
    assert job["kind"] == "quizzes.generate"
    too_many = await make_quiz(client, headers, num_questions=50, quiz_type="multiple_choice")
    assert too_many["status"] == "FAILED"
    assert "ask for at most" in too_many["error_message"]


async def test_a_quiz_on_a_course_or_a_folder(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    queued = await client.post("/api/courses", headers=headers,
                               json={"topic": "Volcanoes", "num_lessons": 1})  # fmt: skip
    from tests.courses.conftest import wait_course

    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY", course["error_message"]
    quiz = await make_quiz(client, headers, course_id=course["id"], num_questions=2,
                           quiz_type="true_false")  # fmt: skip
    key = await _key(client, headers, quiz)
    assert {r["citation"]["page"] for r in key.values()} == {PAGE_OF["Volcanoes"]}
    folder = await make_quiz(client, headers, source_filter="science/", num_questions=3)
    assert folder["status"] == "READY" and folder["document_id"] is None
    missing = await client.post("/quiz/generate", headers=headers,
                                json={"source_filter": "history/", "num_questions": 3})  # fmt: skip
    assert missing.status_code == 404 and missing.json()["code"] == "NO_SOURCES"
    assert doc["document_id"]


async def test_the_same_request_id_returns_the_same_quiz(client, make_user):
    _, headers = make_user()
    await science(client, headers)
    body = {"num_questions": 3, "request_id": f"r-{uuid.uuid4().hex}"}
    first = await make_quiz(client, headers, **body)
    again = await make_quiz(client, headers, **body)
    assert first["quiz_id"] == again["quiz_id"]
