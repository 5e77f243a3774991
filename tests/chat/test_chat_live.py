"""A streaming model's answer sent as it is written (`POST /chat/stream`), only the HTTP edge of
an OpenAI-compatible provider faked: pieces go out before the model has finished, invented
citations are dropped as their markers close and the rest renumbered, and what the answer
becomes when judged whole (a dropped sentence, a refusal, the engine's answer after a
failure) reaches the client as one `replace` and is what is stored."""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from studyforge.ai.llm import StreamingLLM
from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.chat.compose import NOT_IN_MATERIAL
from studyforge.chat.live import Markers
from studyforge.chat.models import ChatMessage
from studyforge.chat.prompts import NOT_COVERED, STREAM_SYSTEM, clean_markers, renumber
from tests.chat.conftest import events_of, science

pytestmark = pytest.mark.anyio
VOLCANO = "What makes magma rise up and erupt from a volcano?"
PASSAGE = re.compile(r"^\[(\d+)\] \((.*?)\) (.*)$", re.M)


def _chunk(text: str | None = None, usage: bool = False) -> bytes:
    body: dict = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                  "choices": [] if text is None else
                  [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}  # fmt: skip
    if usage:
        body["usage"] = {"prompt_tokens": 150, "completion_tokens": 20, "total_tokens": 170}
    return f"data: {json.dumps(body)}\n\n".encode()


class StreamingModel:
    """The provider's HTTP edge: answers each request with `pieces(passages)` as SSE chunks,
    sent one by one (`between` runs before each piece after the first)."""

    def __init__(self, pieces: Callable[[list], list[str]],
                 between: Callable[[], None] = lambda: None, fail_after: int | None = None,
                 status: int = 200) -> None:  # fmt: skip
        self.pieces, self.between = pieces, between
        self.fail_after, self.status = fail_after, status
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "down"}})
        pieces = self.pieces(PASSAGE.findall(body["messages"][-1]["content"]))
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=_Body(self, pieces))  # fmt: skip

    def llm(self) -> OpenAICompatLLM:
        return OpenAICompatLLM(api_key="k", base_url="http://llm.invalid/v1", model="m",
                               timeout=5, max_retries=0, http_client=httpx.Client(
                                   transport=httpx.MockTransport(self)))  # fmt: skip


class _Body(httpx.SyncByteStream):
    def __init__(self, model: StreamingModel, pieces: list[str]) -> None:
        self.model, self.pieces = model, pieces

    def __iter__(self) -> Iterator[bytes]:
        for at, piece in enumerate(self.pieces):
            if at:
                self.model.between()
            if self.model.fail_after is not None and at == self.model.fail_after:
                raise httpx.ReadError("connection reset by peer")
            yield _chunk(piece)
        yield _chunk(usage=True)
        yield b"data: [DONE]\n\n"


def _magma(passages) -> int:
    return next(int(n) for n, where, text in passages if "magma" in text)


def _other(passages) -> int:
    return next(int(n) for n, where, text in passages if "magma" not in text)


async def _stream(client, headers, message=VOLCANO, **body):
    response = await client.post("/chat/stream", headers=headers,
                                 json={"message": message, **body})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return events_of(response.text)


def _shown(events) -> str:
    """The text a client shows at the end: tokens appended, a `replace` replacing."""
    text = ""
    for name, data in events:
        if name == "token":
            text += data["text"]
        elif name == "replace":
            text = data["text"]
    return text


def _stored(platform, message_id: str) -> ChatMessage:
    with platform.sessions() as session:
        return session.get_one(ChatMessage, uuid.UUID(message_id))


def test_the_openai_adapter_is_a_streaming_llm() -> None:
    assert isinstance(StreamingModel(lambda p: []).llm(), StreamingLLM)
    assert NOT_COVERED in STREAM_SYSTEM and "grounded" not in STREAM_SYSTEM


@pytest.mark.parametrize("seed", range(20))
def test_markers_settled_piece_by_piece_give_the_whole_answers_citations(seed: int) -> None:
    text = ("Gas pressure [3] pushes magma up [3, 7].\nIt erupts [1][3] at the vent, [2] "
            "which is [x] a gap [12 ] in the crust [2].")  # fmt: skip
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, 25)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    markers = Markers(3)
    sent = "".join(markers.feed(piece) for piece in pieces) + markers.flush()
    cleaned, cited, dropped = clean_markers(text, 3)
    assert dropped == 0 and sent == renumber(cleaned, cited)
    assert sent == ("Gas pressure [1] pushes magma up [1].\nIt erupts [2][1] at the vent, [3] "
                    "which is [x] a gap [12 ] in the crust [3].")  # fmt: skip


def test_a_marker_is_held_only_while_it_is_open() -> None:
    markers = Markers(2)
    assert markers.feed("Magma rises") == "Magma rises"
    assert markers.feed(" [") == ""  # could be a marker: held, with its space
    assert markers.feed("9") == ""
    assert markers.feed("] and [2") == " and"  # [9] went with the space before it
    assert markers.feed("] erupts.") == " [1] erupts."
    assert markers.feed(" [see") == " [see"  # cannot be a marker: sent at once
    assert markers.feed(" below] [1") == " below]"
    assert markers.feed("0] ok") == " ok" and markers.flush() == ""


def test_pieces_are_sent_before_the_model_has_finished(platform) -> None:
    """The first piece reaches the caller while the model is still writing the second."""
    from studyforge.chat.grounding import Candidate, Evidence, Source
    from studyforge.chat.live import LiveReply

    released, waited_out = threading.Event(), []
    model = StreamingModel(lambda p: ["Gas pressure pushes", " magma up [1]."],
                           between=lambda: waited_out.append(not released.wait(10)))  # fmt: skip
    text = "Gas pressure pushes magma up."
    evidence = Evidence("q", [Source(1, None, "a.pdf", 1, None, "text", text, 0)],
                        [Candidate(0, text, 0, len(text), 0.9, 1.0)], 1.0, True)  # fmt: skip
    live = LiveReply(platform.ai, model.llm(), evidence, VOLCANO, "answer", [], lambda: [])
    pieces = live.pieces()
    assert next(pieces).text == "Gas pressure pushes"
    released.set()
    rest = list(pieces)
    assert waited_out == [False]  # the first piece came out while the model was held
    assert "".join(p.text for p in rest) == " magma up [1]." and live.answer is not None
    assert live.answer.text == "Gas pressure pushes magma up [1]." and live.answer.grounded


async def test_a_streamed_answer_drops_an_invented_citation_and_is_stored(client, make_user,
                                                                          platform):  # fmt: skip
    _, headers = make_user()
    doc = await science(client, headers)
    model = StreamingModel(
        lambda p: [
            "Gas pressure in the magma ",
            f"chamber pushes [{_magma(p)}",
            "] molten rock up. ",
            "Volcanoes are made of cheese [4",
            "2]. ",
            f"It erupts at the vent [{_magma(p)}].",
        ]
    )
    platform.ai.llm = model.llm()
    events = await _stream(client, headers)
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-3:] == ["replace", "citations", "done"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert "cheese" in streamed and "[42]" not in streamed and "[4" not in streamed
    final = ("Gas pressure in the magma chamber pushes [1] molten rock up. "
             "It erupts at the vent [1].")  # fmt: skip
    assert _shown(events) == final
    citations = dict(events)["citations"]
    assert citations["grounded"] and [c["number"] for c in citations["citations"]] == [1]
    cited = citations["citations"][0]
    assert cited["document_id"] == doc["document_id"] and cited["page"] == 2
    stored = _stored(platform, dict(events)["done"]["message_id"])
    assert stored.content == final and stored.grounded
    assert stored.meta["dropped"] == 1 and stored.meta["prompt_tokens"] == 150
    assert stored.meta["extractive"] is False
    assert model.requests[0]["stream"] is True
    assert model.requests[0]["messages"][0]["content"] == STREAM_SYSTEM
    history = (await client.get(f"/chat/history/{dict(events)['done']['session_id']}",
                                headers=headers)).json()["messages"]  # fmt: skip
    assert [m["content"] for m in history] == [VOLCANO, final]
    # The same question again is the cached reply, sent whole without asking the model.
    again = await _stream(client, headers)
    assert _shown(again) == final and len(model.requests) == 1
    assert [name for name, _ in again].count("replace") == 0


async def test_an_answer_that_needs_no_change_has_no_replace(client, make_user, platform):
    _, headers = make_user()
    await science(client, headers)
    platform.ai.llm = StreamingModel(lambda p: [
        f"\n Gas pressure [{_other(p)}] and ", f"magma [{_magma(p)}] rise."]).llm()  # fmt: skip
    events = await _stream(client, headers)
    assert "replace" not in [name for name, _ in events]
    assert _shown(events) == "Gas pressure [1] and magma [2] rise."
    assert [c["number"] for c in dict(events)["citations"]["citations"]] == [1, 2]


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (StreamingModel(lambda p: ["Magma rises ", "[9]."]),
         "the model's answer cited none of the passages"),
        (StreamingModel(lambda p: ["Magma", " rises", " and", " then"], fail_after=2),
         "provider error"),
        (StreamingModel(lambda p: [], status=500), "provider error"),
    ],
)  # fmt: skip
async def test_a_stream_that_fails_is_replaced_by_the_engines_answer(client, make_user, platform,
                                                                     model, reason):  # fmt: skip
    _, headers = make_user()
    await science(client, headers)
    platform.ai.llm = model.llm()
    events = await _stream(client, headers)
    assert [name for name, _ in events][-3:] == ["replace", "citations", "done"]
    shown = _shown(events)
    assert "[1]" in shown and "[9]" not in shown and "then" not in shown
    stored = _stored(platform, dict(events)["done"]["message_id"])
    assert stored.content == shown and stored.grounded
    assert stored.meta["fallback"].startswith(reason) and stored.meta["extractive"] is True
    assert dict(events)["citations"]["citations"][0]["page"] == 2


async def test_a_model_that_finds_no_answer_streams_a_refusal(client, make_user, platform):
    _, headers = make_user()
    await science(client, headers)
    platform.ai.llm = StreamingModel(lambda p: ["NOT ", "COV", "ERED."]).llm()
    events = await _stream(client, headers)
    assert [name for name, _ in events][1:] == ["citations", "done"]  # nothing of it was sent
    assert events[0][0] == "replace" and _shown(events).startswith(NOT_IN_MATERIAL)
    assert not dict(events)["citations"]["grounded"]
    stored = _stored(platform, dict(events)["done"]["message_id"])
    assert not stored.grounded and stored.meta["model_refused"] is True


async def test_the_model_is_not_asked_when_the_material_does_not_answer(client, make_user,
                                                                        platform):  # fmt: skip
    _, headers = make_user()
    await science(client, headers)
    model = StreamingModel(lambda p: ["Canberra [1]."])
    platform.ai.llm = model.llm()
    events = await _stream(client, headers, "What is the capital of Australia?")
    assert _shown(events).startswith(NOT_IN_MATERIAL) and model.requests == []


async def test_bad_input_is_still_a_json_error_before_any_stream(client, make_user, platform):
    _, headers = make_user()
    platform.ai.llm = StreamingModel(lambda p: ["x [1]."]).llm()
    body = {"message": VOLCANO, "session_id": str(uuid.uuid4())}
    response = await client.post("/chat/stream", headers=headers, json=body)
    assert response.status_code == 404 and response.json()["code"] == "SESSION_NOT_FOUND"
