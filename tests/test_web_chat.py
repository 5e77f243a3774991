"""The Tutor pages without a browser: asking with a plain form post (Post/Redirect/Get to the
answer), the conversation with its citation links to the document page and its quiz link, a
refused answer, tutor mode, the list of chats, another user's chat as 'not yours', rename,
delete, and every refused form shown on the page in words."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx
import pytest

from studyforge.chat.compose import NOT_IN_MATERIAL
from studyforge.chat.schemas import MAX_MESSAGE
from studyforge.web.chat import MESSAGES
from tests.conftest import UserMaker
from tests.quizzes.conftest import science
from tests.test_web_quizzes import BROWSER, ORIGIN, sign_in

pytestmark = pytest.mark.anyio

VOLCANO = "What makes magma rise up and erupt from a volcano?"
OFF_TOPIC = "What is the capital of Australia?"
NOT_YOURS = "This chat does not exist, or it is not yours."
LOCATION = re.compile(r"^/tutor/([0-9a-f-]{36})#m-([0-9a-f-]{36})$")


def ask_form(message: str, **fields: str) -> dict[str, str]:
    """The ask form as the page sends it (a new request id each time)."""
    return {"message": message, "request_id": str(uuid.uuid4()), **fields}


async def ask(client: httpx.AsyncClient, message: str, path: str = "/tutor",
              **fields: str) -> tuple[str, str]:  # fmt: skip
    """Ask on the page and follow nothing; the (session id, reply id) it redirects to."""
    sent = await client.post(path, data=ask_form(message, **fields), headers=ORIGIN)
    assert sent.status_code == 303, sent.text
    found = LOCATION.match(sent.headers["location"])
    assert found, sent.headers["location"]
    return found.group(1), found.group(2)


def turn_of(page: str, reply_id: str) -> str:
    """The rendered turn (question and answer) of a reply."""
    start = page.index(f'id="m-{reply_id}"')
    return page[start : page.index("\n</li>", start)]


async def chats(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = (await client.get("/chat/sessions", headers=headers)).json()
    return list(listed["sessions"])


async def test_asking_without_javascript_lands_on_the_cited_answer(
    client: httpx.AsyncClient, make_user: UserMaker
):
    headers = await sign_in(client, make_user)
    doc = await science(client, headers)
    doc_id = doc["document_id"]
    start = await client.get("/tutor")
    assert start.status_code == 200
    assert '<a href="/tutor" aria-current="page">Tutor</a>' in start.text
    assert f'name="doc:{doc_id}"' in start.text and "No chats yet" in start.text
    assert 'aria-live="polite"' in start.text

    sent = ask_form(VOLCANO, scope="all")
    first = await client.post("/tutor", data=sent, headers=ORIGIN)
    assert first.status_code == 303
    session_id, reply_id = LOCATION.match(first.headers["location"]).groups()  # type: ignore[union-attr]
    history = (await client.get(f"/chat/history/{session_id}", headers=headers)).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    reply = history["messages"][1]
    assert reply["message_id"] == reply_id and reply["grounded"]

    page = (await client.get(f"/tutor/{session_id}")).text
    assert f'<h1 id="chat-title">{html.escape(VOLCANO)}</h1>' in page
    turn = turn_of(page, reply_id)
    assert html.escape(VOLCANO) in turn and 'data-grounded="true"' in turn
    cited = reply["citations"][0]
    assert cited["page"] == 2  # Volcanoes is the PDF's second page
    href = f"/library/{doc_id}#page-2"
    assert (
        f'<a class="chat-marker" href="{href}" aria-label="Source 1: science.pdf, page 2">[1]</a>'
        in turn
    )
    assert f'<a class="chat-chip" href="{href}" data-testid="citation-chip">' in turn
    assert html.escape(cited["quote"]) in turn  # "What the sources say"
    text = re.sub(r"<[^>]+>", "", turn.split("data-chat-answer>", 1)[1].split("</div>", 1)[0])
    assert html.unescape(text) == reply["content"]  # the answer as stored, markers included
    assert "Not in your material" not in turn

    # The chip opens the document page at the cited page; the quiz link preselects the document.
    document = await client.get(href.split("#")[0], headers=BROWSER)
    assert document.status_code == 200 and 'id="page-2"' in document.text
    quiz_href = re.search(r'<a href="([^"]+)" data-testid="chat-quiz-link">', turn)
    assert quiz_href and quiz_href.group(1) == f"/practice?source=doc:{doc_id}"
    practice = (await client.get(html.unescape(quiz_href.group(1)))).text
    assert f'<option value="doc:{doc_id}" selected>' in practice

    # The same form sent again (Back, then Ask) lands on the same answer; nothing is added.
    again = await client.post("/tutor", data=sent, headers=ORIGIN)
    assert again.headers["location"] == first.headers["location"]
    assert (await chats(client, headers))[0]["message_count"] == 2


async def test_a_conversation_keeps_its_history_refusals_and_tutor_mode(
    client: httpx.AsyncClient, make_user: UserMaker
):
    headers = await sign_in(client, make_user)
    await science(client, headers)
    session_id, first_id = await ask(client, VOLCANO)
    path = f"/tutor/{session_id}"
    _, refused_id = await ask(client, OFF_TOPIC, path)
    _, guided_id = await ask(client, "How do vaccines train the immune system?", path, mode="tutor")
    other_id, _ = await ask(client, "How did Roman aqueducts move water?")

    page = (await client.get(path)).text
    assert (
        page.index(f'id="m-{first_id}"')
        < page.index(f'id="m-{refused_id}"')
        < page.index(f'id="m-{guided_id}"')
    )  # oldest first
    refused = turn_of(page, refused_id)
    assert 'data-grounded="false"' in refused and "chat-a-refused" in refused
    assert 'data-testid="chat-refused">Not in your material<' in refused
    assert html.escape(NOT_IN_MATERIAL) in refused
    assert "chat-quiz-link" not in refused and "citation-chip" not in refused
    guided = turn_of(page, guided_id)
    assert "You · asked to be guided" in guided and "Tutor · a guiding question" in guided
    history = (await client.get(f"/chat/history/{session_id}", headers=headers)).json()
    assert [m["mode"] for m in history["messages"]][-2:] == ["tutor", "tutor"]

    # The side list: most recently active first, with its messages and last activity.
    listed = re.findall(
        r'data-session-id="([0-9a-f-]{36})">\s*<a href="/tutor/\1"( aria-current="page")?>'
        r'([^<]+)</a>\s*<span class="chat-session-meta">(\d+) messages? · <time',
        page,
    )
    assert [(sid, current, n) for sid, current, _, n in listed] == [
        (other_id, "", "2"), (session_id, ' aria-current="page"', "6")
    ]  # fmt: skip
    assert listed[1][2] == html.escape(VOLCANO)
    assert "Answers from: All your documents" in page
    assert "Removes this chat with its 6 messages" in page


async def test_another_users_chat_is_not_found(client: httpx.AsyncClient, make_user: UserMaker):
    alice = await sign_in(client, make_user)
    await science(client, alice)
    session_id, _ = await ask(client, VOLCANO)
    await sign_in(client, make_user)  # the same browser, now signed in as bob
    for method, url, data in [
        ("GET", f"/tutor/{session_id}", None),
        ("POST", f"/tutor/{session_id}", ask_form(VOLCANO)),
        ("POST", f"/tutor/{session_id}/rename", {"title": "mine now"}),
        ("POST", f"/tutor/{session_id}/delete", {}),
        ("GET", "/tutor/not-a-chat", None),
        ("GET", f"/tutor/{uuid.uuid4()}", None),
    ]:
        response = await client.request(method, url, data=data, headers={**ORIGIN, **BROWSER})
        assert response.status_code == 404, (method, url)
        assert response.headers["content-type"].startswith("text/html")
        assert NOT_YOURS in response.text and 'href="/tutor"' in response.text
    still = (await client.get(f"/chat/history/{session_id}", headers=alice)).json()
    assert still["total"] == 2 and still["title"] == VOLCANO
    assert session_id not in (await client.get("/tutor")).text  # bob's list has no such chat


async def test_rename_and_delete(client: httpx.AsyncClient, make_user: UserMaker):
    headers = await sign_in(client, make_user)
    await science(client, headers)
    session_id, _ = await ask(client, VOLCANO)
    path = f"/tutor/{session_id}"
    renamed = await client.post(f"{path}/rename", data={"title": "Volcanoes"}, headers=ORIGIN)
    assert renamed.status_code == 303 and renamed.headers["location"] == path
    page = (await client.get(path)).text
    assert '<h1 id="chat-title">Volcanoes</h1>' in page
    assert f'<a href="/tutor/{session_id}" aria-current="page">Volcanoes</a>' in page
    for title in ("", "   ", "x" * 201, "two\nlines"):
        bad = await client.post(f"{path}/rename", data={"title": title}, headers=ORIGIN)
        assert bad.status_code == 422 and html.escape(MESSAGES["title"]) in bad.text
        assert 'id="rename-error"' in bad.text and '<details class="chat-rename" open>' in bad.text
    assert (await chats(client, headers))[0]["title"] == "Volcanoes"

    confirm = re.search(r'data-confirm="([^"]+)"', page)
    assert confirm and html.unescape(confirm.group(1)) == (
        "Delete “Volcanoes” and its 2 messages? Your documents stay. This cannot be undone."
    )
    refused = await client.post(f"{path}/delete")  # no Origin: not from this site
    assert refused.status_code == 403 and (await chats(client, headers))
    deleted = await client.post(f"{path}/delete", headers=ORIGIN)
    assert deleted.status_code == 303 and deleted.headers["location"] == "/tutor?deleted=1"
    shown = (await client.get(deleted.headers["location"])).text
    assert 'data-testid="chat-deleted"' in shown and session_id not in shown
    assert (await client.get(f"/chat/history/{session_id}", headers=headers)).status_code == 404
    assert await chats(client, headers) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", MESSAGES["empty"]),
        ("  \n ", MESSAGES["empty"]),
        ("x" * (MAX_MESSAGE + 1), MESSAGES["long"].format(limit=MAX_MESSAGE, n=MAX_MESSAGE + 1)),
        ("a bell \x07 rings", MESSAGES["control"]),
    ],
)
async def test_a_question_that_cannot_be_sent_is_said_on_the_page(
    client: httpx.AsyncClient, make_user: UserMaker, message: str, expected: str
):
    headers = await sign_in(client, make_user)
    await science(client, headers)
    session_id, _ = await ask(client, VOLCANO)
    for path in ("/tutor", f"/tutor/{session_id}"):
        page = await client.post(path, data=ask_form(message, mode="tutor"), headers=ORIGIN)
        assert page.status_code == 422, path
        assert page.headers["content-type"].startswith("text/html")
        assert f'id="ask-errors" data-chat-error>{html.escape(expected)}</p>' in page.text
        assert 'aria-invalid="true"' in page.text
        assert 'name="mode" value="tutor" checked' in page.text  # the form as it was sent
        if message.strip() and len(message) > MAX_MESSAGE:
            assert f">{message}</textarea>" in page.text  # kept, to shorten
    assert [c["message_count"] for c in await chats(client, headers)] == [2]


async def test_the_scope_picker_refuses_what_is_not_yours_and_narrows_answers(
    client: httpx.AsyncClient, make_user: UserMaker
):
    bob = await sign_in(client, make_user)
    bobs = await science(client, bob)
    headers = await sign_in(client, make_user)
    mine = await science(client, headers)
    theirs, own = f"doc:{bobs['document_id']}", f"doc:{mine['document_id']}"
    cases = [
        ({"scope": "documents"}, MESSAGES["no_documents"]),
        ({"scope": "documents", theirs: "1"}, MESSAGES["unknown"]),
        ({"scope": "documents", own: "1", theirs: "1"}, MESSAGES["unknown"]),
        ({"scope": "documents", "doc:not-an-id": "1"}, MESSAGES["unknown"]),
        ({"scope": "folder", "source_filter": "  "}, MESSAGES["no_folder"]),
        ({"scope": "folder", "source_filter": "x" * 501}, MESSAGES["folder"]),
    ]
    for fields, expected in cases:
        page = await client.post("/tutor", data=ask_form(VOLCANO, **fields), headers=ORIGIN)
        assert page.status_code == 422, fields
        assert f'<p class="field-error" id="scope-error">{html.escape(expected)}</p>' in page.text
        assert 'name="scope" value="' + fields["scope"] + '" checked' in page.text
        assert theirs not in page.text  # bob's document is never listed, nor kept checked
        assert f">{VOLCANO}</textarea>" in page.text
        if own in fields:  # the user's own document stays checked
            assert f'name="{own}" value="1" checked' in page.text
    assert await chats(client, headers) == []  # nothing was stored

    chosen_id, reply_id = await ask(client, VOLCANO, scope="documents", **{own: "1"})
    page = (await client.get(f"/tutor/{chosen_id}")).text
    assert "Answers from: Only science.pdf" in page and 'data-grounded="true"' in page
    folder_id, reply_id = await ask(client, VOLCANO, scope="folder", source_filter="history/")
    page = (await client.get(f"/tutor/{folder_id}")).text
    assert "Answers from: Documents in the folder history/" in page
    assert 'data-grounded="false"' in turn_of(page, reply_id)  # nothing in that folder
    assert 'name="scope"' not in page  # a chat keeps its scope: no picker on its page
    listed = await chats(client, headers)
    assert [(c["document_ids"], c["source_filter"]) for c in listed] == [
        (None, "history/"), ([mine["document_id"]], None)
    ]  # fmt: skip
