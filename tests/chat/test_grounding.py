"""Grounded answers on real material: Python's tutorial chapter "Errors and Exceptions" (10
pages, printed to PDF by Chromium), asked the way a learner would ask, on both databases.

Measured here: the page of the first citation for 10 questions phrased unlike the text, the
refusal of 5 questions the chapter does not answer, a follow-up that only makes sense after
the question before it, and every citation read back from the stored passage it names.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.chat.compose import NOT_IN_MATERIAL
from studyforge.chat.models import ChatMessage
from studyforge.documents.models import Passage
from studyforge.platform import Platform, build_platform
from tests.chat.conftest import flat
from tests.conftest import DATABASES, make_settings

# Question -> words of the passage that answers it (none of the questions in the chapter's own
# words). The page is found from the stored passages, so it follows Chromium's layout.
ON_TOPIC = {
    "What do we call errors that happen while a program is running?":
        "Errors detected during execution are called exceptions",
    "Why does Python point an arrow at my code when I forget a colon?":
        "displays a little",
    "Which part of the error message tells me what kind of error happened?":
        "The last line of the error message indicates what happened",
    "How can one try statement deal with several different kinds of errors?":
        "A try statement may have more than one except clause",
    "When is the else branch of a try statement run?":
        "statement has an optional else clause",
    "How can I show that one exception was caused by another?":
        "optional from clause",
    "Does the cleanup code in finally run even if an error occurs?":
        "If a finally clause is present",
    "Why should files be opened with the with statement?":
        "The with statement allows objects like files",
    "How can I raise several unrelated exceptions at once?":
        "The builtin ExceptionGroup wraps a list of exception instances",
    "How do I attach extra information to an exception after catching it?":
        "exceptions have a method add_note",
}  # fmt: skip
OFF_TOPIC = [
    "How do plants turn sunlight into energy?",
    "What is the capital of Australia?",
    "How do I bake sourdough bread at home?",
    "How does Python's garbage collector free memory?",
    "How do I write a for loop in JavaScript?",
]


class Learner:
    """A signed-in user of a module-wide app, with the chapter uploaded."""

    def __init__(self, platform: Platform, client: TestClient, name: str) -> None:
        self.platform, self.client = platform, client
        with platform.sessions.begin() as session:
            user = create_user(session, name, "correct horse battery")
            self.user_id = user.id
            token = issue_token(user, platform.settings.secret_key(), 60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def upload(self, name: str, data: bytes, path: str) -> dict[str, Any]:
        """Upload a document and wait for its processing to finish."""
        response = self.client.post("/upload", headers=self.headers, files={"file": (name, data)},
                                    data={"path": path})  # fmt: skip
        assert response.status_code == 202, response.text
        url = f"/document/{response.json()['document_id']}"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            doc: dict[str, Any] = self.client.get(url, headers=self.headers).json()
            if doc["status"] != "processing":
                assert doc["status"] == "completed", doc
                return doc
            time.sleep(0.2)
        raise AssertionError("the document was not processed in time")

    def ask(self, message: str, **body: Any) -> dict[str, Any]:
        """POST /chat; asserts 200."""
        response = self.client.post("/chat", headers=self.headers,
                                    json={"message": message, **body})  # fmt: skip
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()
        return reply


@pytest.fixture(scope="module", params=[d for d in ("sqlite", "postgresql") if d in DATABASES])
def learner(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, errors_pdf: bytes
) -> Iterator[tuple[Learner, dict[str, Any]]]:
    """A learner with the chapter processed, on a database of each kind."""
    home = tmp_path_factory.mktemp("chat-quality")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), home / "test.db")
        url = f"sqlite:///{home / 'test.db'}"
    else:
        url = request.getfixturevalue("module_pg_url")
    platform = build_platform(make_settings(home / "home", url))
    try:
        client = TestClient(create_app(platform=platform), raise_server_exceptions=False)
        me = Learner(platform, client, f"learner-{uuid.uuid4().hex[:6]}")
        doc = me.upload("errors.pdf", errors_pdf, "python/errors.pdf")
        yield me, doc
    finally:
        platform.close()


def _show(question: str, reply: dict[str, Any]) -> None:
    cited = "; ".join(f"[{c['number']}] p{c['page']}" for c in reply["citations"])
    print(f"\nQ: {question}\nA: {reply['response']}\n   {cited or 'no citations'}")


def test_answers_cite_the_page_that_answers(learner: tuple[Learner, dict[str, Any]]) -> None:
    me, doc = learner
    right, pages = 0, {}
    for question, anchor in ON_TOPIC.items():
        page = page_of(me, anchor)
        reply = me.ask(question)
        _show(question, reply)
        assert reply["grounded"], (question, reply["response"])
        assert not reply["response"].startswith(NOT_IN_MATERIAL)
        first = reply["citations"][0]
        assert first["number"] == 1 and "[1]" in reply["response"]
        pages[question] = first["page"]
        right += first["page"] == page
        _check_citations(me, doc, reply)
    print(f"\nfirst citation on the answering page: {right}/{len(ON_TOPIC)}")
    assert right >= 8, pages


def page_of(me: Learner, words: str) -> int:
    """The page of the learner's stored passage that holds `words`."""
    with me.platform.sessions() as session:
        passages = session.scalars(sa.select(Passage).where(Passage.user_id == me.user_id))
        pages = {p.page for p in passages if flat(words) in flat(p.text)}
    assert len(pages) == 1, (words, pages)
    page: int = pages.pop()
    return page


def _check_citations(me: Learner, doc: dict[str, Any], reply: dict[str, Any]) -> None:
    """Every citation names a stored passage of the caller's document, and its quote is the
    document's text at its span, inside that passage; [n] markers match the list."""
    numbers = [c["number"] for c in reply["citations"]]
    assert numbers == list(range(1, len(numbers) + 1))
    for n in numbers:
        assert f"[{n}]" in reply["response"]
    text = doc["extracted_text"]
    with me.platform.sessions() as session:
        for cited in reply["citations"]:
            passage = session.get(Passage, cited["passage_id"])
            assert passage is not None and passage.user_id == me.user_id
            assert str(passage.document_id) == cited["document_id"] == doc["document_id"]
            assert passage.page == cited["page"] and cited["filename"] == "errors.pdf"
            assert passage.start <= cited["start"] < cited["end"] <= passage.end
            assert flat(text[cited["start"] : cited["end"]]) == flat(cited["quote"])
            assert passage.kind != "code"


def test_questions_the_material_does_not_answer_are_refused(
    learner: tuple[Learner, dict[str, Any]],
) -> None:
    me, _ = learner
    refused = 0
    for question in OFF_TOPIC:
        reply = me.ask(question)
        _show(question, reply)
        if not reply["grounded"]:
            refused += 1
            assert reply["response"].startswith(NOT_IN_MATERIAL) and reply["citations"] == []
            # It names what the chapter does cover, by its section headings.
            assert "Handling Exceptions" in reply["response"]
    print(f"\nrefused: {refused}/{len(OFF_TOPIC)}")
    assert refused >= 4
    reply = me.ask("What is the capital of Australia?")
    assert "“capital of Australia”" in reply["response"]


def test_a_follow_up_is_answered_from_the_passage_it_asks_about(
    learner: tuple[Learner, dict[str, Any]],
) -> None:
    me, doc = learner
    first = me.ask("How does the try statement work?")
    _show("How does the try statement work?", first)
    assert first["citations"][0]["page"] == page_of(me, "The try statement works as follows")
    follow = me.ask("and what about its finally clause?", session_id=first["session_id"])
    _show("and what about its finally clause?", follow)
    assert follow["grounded"]
    top = follow["citations"][0]
    assert top["heading"].endswith("Defining Clean-up Actions")
    assert top["page"] == page_of(me, "If a finally clause is present")
    assert "finally clause" in follow["response"]
    _check_citations(me, doc, follow)
    with me.platform.sessions() as session:
        asked = session.scalars(sa.select(ChatMessage).where(
            ChatMessage.session_id == uuid.UUID(first["session_id"]),
            ChatMessage.role == "user").order_by(ChatMessage.position)).all()  # fmt: skip
    assert asked[1].meta == {"query": "try statement and what about its finally clause?",
                             "follow_up": True}  # fmt: skip
    # The same words with no question before them are not about the try statement.
    alone = me.ask("and what about its finally clause?")
    assert alone["session_id"] != first["session_id"]


def test_tutor_mode_points_at_the_passage_instead_of_answering(
    learner: tuple[Learner, dict[str, Any]],
) -> None:
    me, doc = learner
    question = "Why should files be opened with the with statement?"
    answer = me.ask(question)
    tutor = me.ask(question, mode="tutor")
    _show(question, tutor)
    assert tutor["grounded"] and tutor["mode"] == "tutor"
    page = page_of(me, "The with statement allows objects like files")
    assert tutor["citations"][0]["page"] == answer["citations"][0]["page"] == page
    assert "?" in tutor["response"] and "[1]" in tutor["response"]
    # It does not hand over the answer's sentence.
    assert flat(answer["citations"][0]["quote"]) not in flat(tutor["response"])
    _check_citations(me, doc, tutor)
