"""The Quizzes pages without a browser: the form and its field messages, a small quiz at once and
a large one's job, taking a quiz with answers kept across Back and Next, the graded result with
its source links, history and analytics, delete, and another user's quiz as 'not yours'."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from studyforge.courses.models import Course, CourseStatus
from studyforge.jobs.models import Job, JobStatus
from studyforge.platform import Platform
from studyforge.quizzes.models import Quiz, QuizStatus, QuizSubmission
from studyforge.web.quiz_take import CARRIED_ERROR, TEXT_ERROR
from tests.conftest import UserMaker
from tests.documents.conftest import wait_done
from tests.quizzes.conftest import science

pytestmark = pytest.mark.anyio

ORIGIN = {"Origin": "http://testserver"}
BROWSER = {"Accept": "text/html,application/xhtml+xml"}
NOT_YOURS = "This quiz does not exist, or it is not yours."
HIDDEN = re.compile(r'name="answers" value="([^"]*)"')


async def sign_in(client: httpx.AsyncClient, make_user: UserMaker) -> dict[str, str]:
    """A new user signed in on `client` (the cookie); returns their API header too."""
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    _, headers = make_user(username, password)
    signed = await client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 303, signed.text
    return headers


def form(doc: dict[str, Any], **fields: str) -> dict[str, str]:
    """The Make quiz form for `doc`, as the page sends it."""
    return {
        "source": f"doc:{doc['document_id']}", "num_questions": "4", "difficulty": "medium",
        "quiz_type": "multiple_choice", "request_id": str(uuid.uuid4()), **fields,
    }  # fmt: skip


async def make(client: httpx.AsyncClient, doc: dict[str, Any], **fields: str) -> str:
    """Make a quiz through the page; its id."""
    made = await client.post("/practice", data=form(doc, **fields), headers=ORIGIN)
    assert made.status_code == 303, made.text
    return made.headers["location"].rsplit("/", 1)[-1].split("?")[0]


def field_error(page: str, error_id: str) -> str:
    return page.split(f'id="{error_id}">', 1)[1].split("</span>", 1)[0]


def carried(page: str) -> dict[str, str]:
    """The answers the take page carries along in its hidden field."""
    found = HIDDEN.search(page)
    assert found, "no answers field"
    return dict(json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"')))


def sent_by(page: str) -> dict[str, str]:
    """What a browser sends from a take page: its step, the answers carried and this
    question's answer (the checked option, or the text box's text)."""
    fields = {"step": re.findall(r'name="step" value="(\d+)"', page)[0],
              "answers": json.dumps(carried(page))}  # fmt: skip
    text = re.search(r"<textarea[^>]*>([^<]*)</textarea>", page)
    if text is not None:
        fields["answer"] = text.group(1)
    elif checked(page) is not None:
        fields["answer"] = checked(page) or ""
    return fields


def checked(page: str) -> str | None:
    found = re.search(r'value="(\d+)" checked', page)
    return found.group(1) if found else None


async def questions(client: httpx.AsyncClient, headers: dict[str, str], quiz_id: str) -> Any:
    return (await client.get(f"/quiz/{quiz_id}", headers=headers)).json()["questions"]


async def step(client: httpx.AsyncClient, quiz_id: str, **fields: str) -> httpx.Response:
    return await client.post(f"/practice/{quiz_id}/take", data=fields, headers=ORIGIN)


async def test_the_form_lists_finished_sources_and_a_small_quiz_is_ready_at_once(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    headers = await sign_in(client, make_user)
    empty = await client.get("/practice")
    assert empty.status_code == 200 and "Nothing to ask about yet" in empty.text
    doc = await science(client, headers)
    page = (await client.get("/practice")).text
    option = f'<option value="doc:{doc["document_id"]}">science.pdf (science/all.pdf)</option>'
    assert option in page
    assert '<a href="/practice" aria-current="page">Quizzes</a>' in page
    user_id = uuid.UUID((await client.get("/auth/me", headers=headers)).json()["id"])
    with platform.sessions.begin() as session:  # a READY course is offered, a building one not
        for topic, status in (("Plate tectonics", CourseStatus.READY),
                              ("Tides", CourseStatus.GENERATING)):  # fmt: skip
            session.add(Course(user_id=user_id, topic=topic, grade_level="Grade 8",
                               num_lessons=2, status=status, request_id=topic))  # fmt: skip
    page = (await client.get("/practice")).text
    assert re.search(r'<option value="course:[0-9a-f-]{36}">Plate tectonics</option>', page)
    assert ">Tides</option>" not in page
    sent = form(doc)
    made = await client.post("/practice", data=sent, headers=ORIGIN)
    assert made.status_code == 303
    quiz_url = made.headers["location"]
    shown = (await client.get(quiz_url)).text
    assert "Quiz on science.pdf" in shown and "Start the quiz" in shown
    assert 'data-testid="quiz-status">ready<' in shown and "Not taken yet" in shown
    again = await client.post("/practice", data=sent, headers=ORIGIN)  # Back, then Make again
    assert again.headers["location"] == f"{quiz_url}?again=1"
    changed = await client.post("/practice", data={**sent, "num_questions": "3"}, headers=ORIGIN)
    assert changed.headers["location"] != quiz_url  # a changed form asks for another quiz
    listed = (await client.get("/practice")).text
    assert listed.count('data-quiz-id="') == 2 and "not taken" in listed
    with platform.sessions() as session:
        assert session.query(Quiz).count() == 2


@pytest.mark.parametrize(
    ("fields", "error_id", "message"),
    [
        ({"source": ""}, "source-error", "Choose a document or a course from the list."),
        ({"source": "doc:not-an-id"}, "source-error", "Choose a document or a course"),
        ({"source": "folder:x"}, "source-error", "Choose a document or a course"),
        ({"num_questions": "0"}, "count-error", "whole number of questions from 1 to 50"),
        ({"num_questions": "51"}, "count-error", "whole number of questions from 1 to 50"),
        ({"num_questions": "four"}, "count-error", "whole number of questions from 1 to 50"),
        ({"num_questions": ""}, "count-error", "whole number of questions from 1 to 50"),
        ({"difficulty": "extreme"}, "difficulty-error", "easy, medium or hard"),
        ({"quiz_type": "essay"}, "type-error", "Choose a kind of question from the list."),
        ({"source": f"doc:{uuid.uuid4()}"}, "source-error", "no longer in your library"),
        ({"source": f"course:{uuid.uuid4()}"}, "source-error", "That course no longer exists"),
    ],
)
async def test_bad_form_input_gives_field_errors(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform, fields, error_id, message
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    page = await client.post("/practice", data=form(doc, **fields), headers=ORIGIN)
    assert page.status_code == 422, page.text
    assert message in field_error(page.text, error_id)
    assert "Please check the highlighted fields." in page.text
    assert 'aria-invalid="true"' in page.text
    assert "VALIDATION_ERROR" not in page.text and "NOT_FOUND" not in page.text
    with platform.sessions() as session:
        assert session.query(Quiz).count() == 0  # nothing of a refused quiz is kept


async def test_too_many_questions_for_the_material_is_said_on_the_count(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    headers = await sign_in(client, make_user)
    tides = {"file": ("tides.txt", b"Tides rise and fall twice a day.\n")}
    sent = await client.post("/upload", headers=headers, files=tides)
    doc = {"document_id": sent.json()["document_id"]}
    assert (await wait_done(client, headers, doc["document_id"]))["status"] == "completed"
    page = await client.post("/practice", data=form(doc, num_questions="8"), headers=ORIGIN)
    assert page.status_code == 422
    assert "ask for at most" in field_error(page.text, "count-error") or "no facts" in page.text
    with platform.sessions() as session:
        assert session.query(Quiz).count() == 0


async def test_another_users_quiz_is_not_yours(client: httpx.AsyncClient, make_user: UserMaker):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc)
    answered = await step(client, quiz_id, step="1", answers="{}", go="submit")
    result_url = answered.headers["location"]
    await sign_in(client, make_user)  # someone else, on the same browser
    for url in (f"/practice/{quiz_id}", f"/practice/{quiz_id}/take", result_url,
                "/practice/not-a-quiz", f"/practice/{uuid.uuid4()}/take"):  # fmt: skip
        page = await client.get(url, headers=BROWSER)
        assert page.status_code == 404 and NOT_YOURS in page.text.replace("result", "quiz"), url
        assert 'href="/practice"' in page.text  # back to their own quizzes
    for url in (f"/practice/{quiz_id}/take", f"/practice/{quiz_id}/delete"):
        posted = await client.post(url, data={"go": "submit"}, headers=ORIGIN)
        assert posted.status_code == 404 and NOT_YOURS in posted.text, url
    assert "Quiz on science.pdf" not in (await client.get("/practice/history")).text
    assert (await client.get(f"/quiz/{quiz_id}", headers=headers)).status_code == 200  # still there


async def test_answers_survive_back_and_next_and_reach_the_grade(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc, num_questions="4", quiz_type="mixed")
    asked = await questions(client, headers, quiz_id)
    first = (await client.get(f"/practice/{quiz_id}/take")).text
    assert "Question 1 of 4" in first and asked[0]["question"] in first and "autofocus" not in first
    given: dict[str, str] = {}
    page = first
    for number, q in enumerate(asked, 1):  # answer each, moving on with Next
        value = "1" if q["options"] else "Tides follow the Moon."
        response = await step(client, quiz_id, step=str(number), answers=json.dumps(
            carried(page)), answer=value, go="next")  # fmt: skip
        assert response.status_code == 200, response.text
        given[q["question_id"]] = value
        page = response.text
    assert "Question 4 of 4" in page and "Submit answers" in page  # Next stops at the last
    for number in (3, 2, 1):  # Back to the first: every answer is still there
        response = await step(client, quiz_id, **sent_by(page), go="back")
        page = response.text
        assert f"Question {number} of 4" in page and "autofocus" in page
        q = asked[number - 1]
        if q["options"]:
            assert checked(page) == "1"
        else:
            assert ">Tides follow the Moon.</textarea>" in page
        assert {**carried(page), q["question_id"]: given[q["question_id"]]} == given
    jumped = await step(client, quiz_id, **sent_by(page), go="to-4")
    assert "Question 4 of 4" in jumped.text and "4 of 4 answered" in jumped.text
    submitted = await step(client, quiz_id, **sent_by(jumped.text), go="submit")
    assert submitted.status_code == 303
    with platform.sessions() as session:
        row = session.query(QuizSubmission).one()
        expected = {k: int(v) if v.isdigit() else v for k, v in given.items()}
        assert row.answers == expected


async def test_a_skipped_question_is_listed_and_a_bad_text_answer_is_kept_with_its_message(
    client: httpx.AsyncClient, make_user: UserMaker
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc, num_questions="2", quiz_type="short_answer")
    last = await step(client, quiz_id, step="1", answers="{}", answer="", go="next")
    assert "Not answered yet: questions 1, 2." in last.text
    typed = "Gas\u0007 pressure"
    bad = await step(client, quiz_id, step="2", answers="{}", answer=typed, go="back")
    assert bad.status_code == 422 and TEXT_ERROR in bad.text and "Question 2 of 2" in bad.text
    assert f"{typed}</textarea>" in bad.text  # shown again as typed


@pytest.mark.parametrize("hidden", ["not json", "[1, 2]", '{"nope": "1"}', '{"%s": 7}'])
async def test_an_unreadable_answers_field_is_said_not_crashed_on(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform, hidden: str
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc, num_questions="2")
    qid = (await questions(client, headers, quiz_id))[0]["question_id"]
    page = await step(client, quiz_id, step="2", answers=hidden.replace("%s", qid), go="submit")
    assert page.status_code == 400 and CARRIED_ERROR in page.text
    with platform.sessions() as session:
        assert session.query(QuizSubmission).count() == 0  # not submitted with answers lost
    kept = json.dumps(carried(page.text))  # what could be read; submitting it now works
    assert (await step(client, quiz_id, step="2", answers=kept, go="submit")).status_code == 303


async def test_the_result_explains_each_answer_and_links_to_its_page(
    client: httpx.AsyncClient, make_user: UserMaker
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc, num_questions="3")
    asked = await questions(client, headers, quiz_id)
    answers = json.dumps({asked[0]["question_id"]: "0", asked[1]["question_id"]: "1"})
    sent = await step(client, quiz_id, step="3", answers=answers, go="submit")
    result = await client.get(sent.headers["location"])
    assert result.status_code == 200
    page = result.text
    assert "Your result:" in page and page.count('data-testid="result-item"') == 3
    assert page.count("The correct answer:") == 3 and 'data-testid="result-explanation"' in page
    assert "none</span>" in page  # the third was not answered
    links = re.findall(r'href="(/library/[0-9a-f-]{36}#page-(\d+))" data-testid="result-source"',
                       page)  # fmt: skip
    assert len(links) == 3
    for href, number in links:
        assert href.startswith(f"/library/{doc['document_id']}#")
        target = (await client.get(href.split("#")[0])).text
        assert f'id="page-{number}"' in target  # the anchor is on the document page
    assert f'href="/practice/{quiz_id}/take">Take it again' in page


async def test_history_and_analytics_show_scores_and_what_to_reread(
    client: httpx.AsyncClient, make_user: UserMaker
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc, num_questions="2")
    nothing = (await client.get("/practice/history")).text
    assert "No attempts yet" in nothing
    for _ in range(3):
        await step(client, quiz_id, step="2", answers="{}", go="submit")
    history = (await client.get("/practice/history")).text
    assert 'role="img"' in history and "3 attempts from" in history and "first 0%" in history
    assert history.count("data-submission-id=") == 3 and "Quiz on science.pdf" in history
    quiz_page = (await client.get(f"/practice/{quiz_id}")).text
    assert 'data-testid="quiz-stats"' in quiz_page and "Take it again" in quiz_page
    assert 'data-testid="most-missed"' in quiz_page and "missed 3 of 3 times" in quiz_page
    assert re.search(rf'Reread: <a href="/library/{doc["document_id"]}#page-\d+">', quiz_page)
    assert quiz_page.count('class="chart-dot"') == 3


async def test_a_large_quiz_shows_its_job_until_it_is_ready(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    with platform.sessions.begin() as session:
        user_id = session.get_one(Quiz, uuid.UUID(await make(client, doc))).user_id
        job = Job(kind="quizzes.generate", user_id=user_id, params={}, status=JobStatus.RUNNING,
                  progress=10, current_step="Reading the sources")  # fmt: skip
        session.add(job)
        session.flush()
        quiz = Quiz(user_id=user_id, document_id=uuid.UUID(doc["document_id"]), num_questions=20,
                    difficulty="hard", quiz_type="mixed", status=QuizStatus.GENERATING,
                    job_id=job.id)  # fmt: skip
        session.add(quiz)
        session.flush()
        quiz_id = str(quiz.id)
    page = (await client.get(f"/practice/{quiz_id}")).text
    assert 'data-testid="quiz-progress"' in page and "Reading the sources" in page
    assert "Writing the quiz on science.pdf" in page and 'value="10"' in page
    assert "Start the quiz" not in page and f'hx-get="/ui/practice/{quiz_id}/status"' in page
    take = await client.get(f"/practice/{quiz_id}/take")
    assert take.status_code == 303 and take.headers["location"] == f"/practice/{quiz_id}"
    fragment = await client.get(f"/ui/practice/{quiz_id}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "Reading the sources" in fragment.text
    listed = (await client.get("/ui/practice")).text
    assert 'hx-trigger="every 2s"' in listed and "writing" in listed
    with platform.sessions.begin() as session:
        session.get_one(Quiz, uuid.UUID(quiz_id)).status = QuizStatus.FAILED
    done = await client.get(f"/ui/practice/{quiz_id}/status", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    assert "Make another quiz" in (await client.get(f"/practice/{quiz_id}")).text


async def test_delete_asks_first_and_takes_the_attempts_along(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    quiz_id = await make(client, doc, num_questions="2")
    await step(client, quiz_id, step="2", answers="{}", go="submit")
    page = (await client.get(f"/practice/{quiz_id}")).text
    confirm = "Delete “Quiz on science.pdf” with its 2 questions and your 1 attempt?"
    assert f'data-confirm="{confirm}' in page
    listed = (await client.get("/practice")).text
    assert f'action="/practice/{quiz_id}/delete"' in listed and "data-confirm=" in listed
    cross_site = await client.post(f"/practice/{quiz_id}/delete",
                                   headers={"Origin": "https://evil.example"})  # fmt: skip
    assert cross_site.status_code == 403
    deleted = await client.post(f"/practice/{quiz_id}/delete", headers=ORIGIN)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/practice"
    with platform.sessions() as session:
        assert session.query(Quiz).count() == 0 and session.query(QuizSubmission).count() == 0
    assert (await client.get(f"/document/{doc['document_id']}", headers=headers)).is_success
