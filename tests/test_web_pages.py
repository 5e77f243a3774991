"""Pages for a new user: HTML error pages for browsers, jobs named after their subject, next
steps on the home page, and form messages that say what is wrong."""

from __future__ import annotations

import uuid

import httpx
import pytest

from studyforge.courses.models import Course
from studyforge.documents.models import Document, DocumentStatus
from studyforge.jobs.models import Job, JobStatus
from studyforge.platform import Platform
from studyforge.web.pages import code_spans
from tests.conftest import UserMaker

pytestmark = pytest.mark.anyio

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def signed_in(client: httpx.AsyncClient, make_user: UserMaker) -> uuid.UUID:
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    user_id, _ = make_user(username, password)
    signed = await client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 303, signed.text
    return user_id


async def test_a_browser_gets_an_html_not_found_page_and_an_api_client_json(
    client: httpx.AsyncClient, make_user: UserMaker
):
    anonymous = await client.get("/nonexistent-page", headers=BROWSER)
    assert anonymous.status_code == 404
    assert anonymous.headers["content-type"].startswith("text/html")
    assert "Page not found" in anonymous.text and "/nonexistent-page" in anonymous.text
    assert 'href="/login?next=/nonexistent-page"' in anonymous.text  # where to go next
    assert '"code"' not in anonymous.text
    await signed_in(client, make_user)
    page = await client.get("/jobs/not-a-job", headers=BROWSER)
    assert page.status_code == 404 and "Page not found" in page.text
    assert 'href="/"' in page.text and "Sign out" in page.text  # inside the signed-in shell
    for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        api = await client.get("/nonexistent-page", headers=accept)
        assert api.status_code == 404
        assert api.json()["code"] == "NOT_FOUND", accept
    fragment = await client.get("/nonexistent-page", headers={**BROWSER, "HX-Request": "true"})
    assert fragment.headers["content-type"].startswith("application/json")
    posted = await client.post("/nonexistent-page", headers=BROWSER)
    assert posted.headers["content-type"].startswith("application/json")  # not a navigation


async def test_api_errors_opened_in_a_browser_are_pages_too(
    client: httpx.AsyncClient, make_user: UserMaker
):
    await signed_in(client, make_user)
    bad_id = await client.get("/api/jobs/not-a-uuid", headers=BROWSER)
    assert bad_id.status_code == 422 and bad_id.headers["content-type"].startswith("text/html")
    assert "Something in the address is wrong" in bad_id.text
    missing = await client.get(f"/api/jobs/{uuid.uuid4()}", headers=BROWSER)
    assert missing.status_code == 404 and "<h1" in missing.text
    assert (await client.get(f"/api/jobs/{uuid.uuid4()}")).json()["code"].endswith("NOT_FOUND")
    wrong_method = await client.get("/upload", headers=BROWSER)
    assert wrong_method.status_code == 405
    assert "not a page to open" in wrong_method.text
    assert "POST" in wrong_method.headers["allow"]


async def test_jobs_are_named_after_their_document_or_course_and_link_to_it(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    user_id = await signed_in(client, make_user)
    with platform.sessions.begin() as session:
        doc = Document(
            user_id=user_id, filename="volcanoes.pdf", path="geo/volcanoes.pdf",
            media_type="application/pdf", size_bytes=1, sha256="a" * 64, s3_key="k/v",
            status=DocumentStatus.COMPLETED,
        )  # fmt: skip
        course = Course(user_id=user_id, topic="Plate tectonics", grade_level="Grade 8",
                        num_lessons=2, request_id=uuid.uuid4().hex)  # fmt: skip
        session.add_all([doc, course])
        session.flush()
        gone = uuid.uuid4()
        for kind, params in (
            ("documents.process", {"document_id": str(doc.id)}),
            ("courses.generate", {"course_id": str(course.id)}),
            ("courses.generate", {"course_id": str(gone)}),
            ("projects.generate", {"project_pk": str(gone), "run_id": str(gone)}),
        ):
            session.add(Job(kind=kind, user_id=user_id, params=params, status=JobStatus.SUCCEEDED))
    page = await client.get("/jobs")
    assert page.status_code == 200
    assert f'href="/library/{doc.id}">Reading volcanoes.pdf</a>' in page.text
    assert f'href="/studio/{course.id}">Writing the course “Plate tectonics”</a>' in page.text
    assert "Writing the course (deleted since)" in page.text
    assert "courses.generate" not in page.text and "documents.process" not in page.text
    assert "Writing a classroom project" in page.text and "projects.generate" not in page.text


async def test_home_page_offers_the_next_steps(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform
):
    user_id = await signed_in(client, make_user)
    home = await client.get("/")
    assert "Next steps" in home.text
    assert 'class="button button-primary" href="/library">Upload documents' in home.text
    assert 'href="/studio">New course' in home.text
    assert "next-step-done" not in home.text
    with platform.sessions.begin() as session:
        session.add(
            Document(
                user_id=user_id, filename="a.txt", path="a.txt", media_type="text/plain",
                size_bytes=1, sha256="b" * 64, s3_key="k/a", status=DocumentStatus.COMPLETED,
            )
        )  # fmt: skip
    after = await client.get("/")
    assert "You have 1 document." in after.text
    assert 'class="button button-primary" href="/studio">New course' in after.text


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"topic": "   ", "grade_level": "Grade 8"}, "topic", "Enter a topic, for example"),
        ({"topic": "x" * 301, "grade_level": "Grade 8"}, "topic", "(this one has 301)"),
        ({"topic": "Tides", "grade_level": "  "}, "grade_level", "Enter a grade level"),
        ({"topic": "Tides\u001e", "grade_level": "Grade 8"}, "topic", "on one line"),
    ],
)
async def test_the_course_form_says_what_is_wrong(
    client: httpx.AsyncClient, make_user: UserMaker, platform: Platform, form, field, message
):
    await signed_in(client, make_user)
    page = await client.post(
        "/studio", data={**form, "num_lessons": "2"}, headers={"Origin": "http://testserver"}
    )
    assert page.status_code == 422
    error_id = {"topic": "topic-error", "grade_level": "grade-error"}[field]
    assert f'id="{error_id}">' in page.text
    assert message in page.text.split(f'id="{error_id}">', 1)[1].split("</span>", 1)[0]
    with platform.sessions() as session:
        assert session.query(Course).count() == 0


async def test_the_grade_level_is_required_in_the_form_not_silently_defaulted(
    client: httpx.AsyncClient, make_user: UserMaker
):
    await signed_in(client, make_user)
    page = (await client.get("/studio")).text
    grade = page.split('id="course-grade"', 1)[1].split(">", 1)[0]
    assert "required" in grade and 'value="Grade 8"' in grade  # shown, and cannot be emptied


def test_inline_code_spans_are_shown_as_code_after_escaping() -> None:
    assert (
        code_spans("use `d.items()` <b>now</b>")
        == "use <code>d.items()</code> &lt;b&gt;now&lt;/b&gt;"
    )
    assert (
        code_spans("`<script>alert(1)</script>`")
        == "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"
    )
    assert code_spans("a lone ` tick stays") == "a lone ` tick stays"
    assert code_spans("`two\nlines`") == "`two\nlines`"  # a span never crosses a line
