"""The chat endpoints over HTTP on both databases: sessions and history as they were said,
other users kept out, streaming, bad input in the shared error shape, and `chat.message`
events."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from studyforge.chat.compose import NOT_IN_MATERIAL
from studyforge.events.models import OutboxEvent
from tests.chat.conftest import ask, events_of, flat, science, text_of
from tests.test_errors import assert_shape

pytestmark = pytest.mark.anyio
VOLCANO = "What makes magma rise up and erupt from a volcano?"


async def test_history_and_sessions_match_what_was_said(client, make_user, platform):
    user_id, headers = make_user()
    doc = await science(client, headers)
    first = await ask(client, headers, VOLCANO)
    assert first["grounded"] and first["citations"][0]["page"] == 2  # Volcanoes is page 2
    quote = first["citations"][0]["quote"]
    assert flat(quote) in flat(text_of(doc)) and "[1]" in first["response"]
    session_id = first["session_id"]
    second = await ask(client, headers, "What is the capital of Australia?", session_id=session_id)
    assert second["session_id"] == session_id and not second["grounded"]
    assert second["response"].startswith(NOT_IN_MATERIAL) and "Photosynthesis" in second["response"]
    other = await ask(client, headers, "How do vaccines train the immune system?")
    assert other["session_id"] != session_id

    history = (await client.get(f"/chat/history/{session_id}", headers=headers)).json()
    assert history["total"] == 4 and history["title"] == VOLCANO
    said = [(m["role"], m["content"]) for m in history["messages"]]
    assert said == [("user", VOLCANO), ("assistant", first["response"]),
                    ("user", "What is the capital of Australia?"),
                    ("assistant", second["response"])]  # fmt: skip
    assert history["messages"][1]["message_id"] == first["message_id"]
    assert history["messages"][1]["citations"] == first["citations"]
    assert (
        history["messages"][3]["grounded"] is False and history["messages"][0]["grounded"] is None
    )

    listed = (await client.get("/chat/sessions", headers=headers)).json()
    assert listed["total"] == 2
    newest, older = listed["sessions"]
    assert newest["session_id"] == other["session_id"] and older["session_id"] == session_id
    assert older["message_count"] == 4 and older["document_ids"] is None
    assert older["last_message"] == history["messages"][-1]["timestamp"]
    page = (await client.get("/chat/sessions?limit=1&offset=1", headers=headers)).json()
    assert [s["session_id"] for s in page["sessions"]] == [session_id]
    mine = await client.get(f"/chat/sessions?user_id={user_id}", headers=headers)
    assert mine.status_code == 200
    theirs = await client.get(f"/chat/sessions?user_id={uuid.uuid4()}", headers=headers)
    assert theirs.status_code == 403 and theirs.json()["code"] == "USER_MISMATCH"

    with platform.sessions() as session:
        events = session.scalars(sa.select(OutboxEvent).where(
            OutboxEvent.type == "chat.message").order_by(OutboxEvent.seq)).all()  # fmt: skip
    in_session = [e.payload for e in events if e.payload["session_id"] == session_id]
    assert [(p["role"], p["content"]) for p in in_session] == said
    assert in_session[1]["message_id"] == first["message_id"]
    assert {p["user_id"] for p in in_session} == {str(user_id)}
    assert all(e.stream_id == uuid.UUID(session_id) for e in events[:4])


async def test_another_user_gets_404_and_never_a_cached_answer(client, make_user):
    _, alice = make_user()
    _, bob = make_user()
    await science(client, alice)
    mine = await ask(client, alice, VOLCANO)
    session_id = mine["session_id"]
    for method, url, body in [
        ("GET", f"/chat/history/{session_id}", None),
        ("PATCH", f"/chat/sessions/{session_id}", {"title": "mine now"}),
        ("DELETE", f"/chat/sessions/{session_id}", None),
        ("POST", "/chat", {"message": VOLCANO, "session_id": session_id}),
        ("POST", "/chat/stream", {"message": VOLCANO, "session_id": session_id}),
    ]:
        response = await client.request(method, url, headers=bob, json=body)
        assert response.status_code == 404, (method, url)
        assert_shape(response.json(), "SESSION_NOT_FOUND")
    # The same question from Bob, who has no documents: his own (empty) material answers.
    his = await ask(client, bob, VOLCANO)
    assert not his["grounded"] and his["citations"] == []
    assert "no processed text" in his["response"]
    # With his own copy of the same PDF, his answer cites his document, not Alice's.
    his_doc = await science(client, bob)
    his = await ask(client, bob, VOLCANO)
    assert his["response"] == mine["response"]
    assert {c["document_id"] for c in his["citations"]} == {his_doc["document_id"]}
    assert (await client.get("/chat/sessions", headers=bob)).json()["total"] == 2
    still = (await client.get(f"/chat/history/{session_id}", headers=alice)).json()
    assert still["total"] == 2 and still["title"] == VOLCANO


async def test_rename_rescope_and_delete(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    reply = await ask(client, headers, VOLCANO, document_ids=[doc["document_id"]])
    url = f"/chat/sessions/{reply['session_id']}"
    renamed = await client.patch(url, headers=headers, json={"title": "Volcano questions"})
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Volcano questions"
    assert renamed.json()["document_ids"] == [doc["document_id"]]
    # A folder that holds nothing: later answers have no material.
    moved = await client.patch(url, headers=headers, json={"source_filter": "history/"})
    assert moved.json()["source_filter"] == "history/"
    empty = await ask(client, headers, VOLCANO, session_id=reply["session_id"])
    assert not empty["grounded"]
    back = await client.patch(url, headers=headers, json={"source_filter": None,
                                                          "document_ids": None})  # fmt: skip
    assert back.json()["document_ids"] is None and back.json()["source_filter"] is None
    again = await ask(client, headers, VOLCANO, session_id=reply["session_id"])
    assert again["grounded"]
    unknown = await client.patch(url, headers=headers, json={"document_ids": [str(uuid.uuid4())]})
    assert unknown.status_code == 404 and unknown.json()["code"] == "DOCUMENT_NOT_FOUND"
    clash = await client.post("/chat", headers=headers, json={
        "message": VOLCANO, "session_id": reply["session_id"], "source_filter": "x/"})  # fmt: skip
    assert clash.status_code == 409 and clash.json()["code"] == "SESSION_SCOPE_SET"
    deleted = await client.delete(url, headers=headers)
    assert deleted.status_code == 200 and deleted.json() == {
        "session_id": reply["session_id"],
        "deleted": True,
        "messages": 6,
    }
    gone = await client.get(f"/chat/history/{reply['session_id']}", headers=headers)
    assert gone.status_code == 404
    assert (await client.get(f"/document/{doc['document_id']}", headers=headers)).status_code == 200


@pytest.mark.parametrize("how", ["stream", "accept"])
async def test_streaming_sends_tokens_then_citations_then_done(client, make_user, how):
    _, headers = make_user()
    await science(client, headers)
    body = {"message": VOLCANO}
    if how == "stream":
        response = await client.post("/chat/stream", headers=headers, json=body)
    else:
        wants = {**headers, "Accept": "text/event-stream"}
        response = await client.post("/chat", json=body, headers=wants)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"token"}
    assert len(names) > 10
    text = "".join(data["text"] for name, data in events if name == "token")
    cited, done = events[-2][1], events[-1][1]
    assert cited["grounded"] and cited["citations"][0]["page"] == 2 and "[1]" in text
    history = (await client.get(f"/chat/history/{done['session_id']}", headers=headers)).json()
    assert history["messages"][-1]["message_id"] == done["message_id"]
    assert history["messages"][-1]["content"] == text
    assert history["messages"][-1]["citations"] == cited["citations"]


async def test_bad_input_gets_the_shared_error_shape(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    cases = [
        ({"message": ""}, 422, "VALIDATION_ERROR"),
        ({"message": "   \n "}, 422, "VALIDATION_ERROR"),
        ({"message": "x" * 4001}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "mode": "lecture"}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "session_id": "not-a-uuid"}, 422, "VALIDATION_ERROR"),
        ({"message": "hi", "session_id": str(uuid.uuid4())}, 404, "SESSION_NOT_FOUND"),
        ({"message": "hi", "document_context": {"document_id": str(uuid.uuid4())}}, 404,
         "DOCUMENT_NOT_FOUND"),
        ({"message": "hi", "document_ids": [doc["document_id"], str(uuid.uuid4())]}, 404,
         "DOCUMENT_NOT_FOUND"),
        ({"message": "hi", "user_id": str(uuid.uuid4())}, 403, "USER_MISMATCH"),
    ]  # fmt: skip
    for body, status, code in cases:
        for url in ("/chat", "/chat/stream"):
            response = await client.post(url, headers=headers, json=body)
            assert response.status_code == status, (url, body, response.text)
            assert response.headers["content-type"] == "application/json"
            assert_shape(response.json(), code)
    huge = await client.post("/chat", headers=headers, json={"message": "x" * (1024 * 1024)})
    assert huge.status_code == 413
    assert_shape(huge.json(), "PAYLOAD_TOO_LARGE")
    missing = await client.get(f"/chat/history/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert_shape(missing.json(), "SESSION_NOT_FOUND")
    assert (await client.post("/chat", json={"message": "hi"})).status_code == 401
    assert (await client.get("/chat/sessions", headers=headers)).json()["total"] == 0


async def test_document_context_narrows_and_relevant_text_is_cited_as_such(client, make_user):
    _, headers = make_user()
    doc = await science(client, headers)
    other = await ask(
        client, headers, VOLCANO, document_context={"document_id": doc["document_id"]}
    )
    assert other["grounded"] and other["citations"][0]["document_id"] == doc["document_id"]
    note = ("Geysers erupt when groundwater heated by nearby magma flashes into steam and "
            "forces the water above it out of the ground.")  # fmt: skip
    reply = await ask(client, headers, "Why do geysers erupt hot water out of the ground?",
                      document_context={"relevant_text": note})  # fmt: skip
    assert reply["grounded"]
    pseudo = [c for c in reply["citations"] if c["source"] == "relevant_text"]
    assert pseudo and pseudo[0]["passage_id"] is None and pseudo[0]["page"] is None
    assert note[pseudo[0]["start"] : pseudo[0]["end"]] == pseudo[0]["quote"]


async def test_the_same_request_id_returns_the_same_reply(client, make_user):
    _, headers = make_user()
    await science(client, headers)
    first = await ask(client, headers, VOLCANO, request_id="r-1")
    again = await ask(client, headers, VOLCANO, request_id="r-1")
    assert again == first
    history = (await client.get(f"/chat/history/{first['session_id']}", headers=headers)).json()
    assert history["total"] == 2
