"""Server-Sent Events over the outbox: resumable with `Last-Event-ID`, ends when work ends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio
from fastapi import Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from studyforge.events.models import OutboxEvent
from studyforge.kit.limits import MAX_INT64

# Given a session and the last seq sent: (newer events, is the work finished?). Read the
# status first: if it is final then, the events read after it include the last one.
Fetch = Callable[[Session, int], tuple[list[OutboxEvent], bool]]
# Optional: an event's envelope -> (SSE event name, JSON data); default: (its type, envelope).
Shape = Callable[[dict[str, object]], tuple[str, dict[str, object]]]
KEEP_ALIVE_SECONDS = 15.0
MAX_EVENT_ID = MAX_INT64  # event ids are the outbox's 64-bit sequence numbers

# `after=` is an explicit API parameter: out of range is a 422 before the stream starts.
# `Last-Event-ID` is sent by EventSource clients on their own when they reconnect; one that
# gets an error answer gives up for good, so an id that is not ours is ignored instead (the
# stream starts from the beginning: events may repeat, none are lost).
AfterQuery = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_EVENT_ID,
        description="send the events after this event id (takes precedence over Last-Event-ID)",
    ),
]
LastEventIdHeader = Annotated[
    str | None,
    Header(
        description="the id of the last event received, as sent by EventSource on reconnect; "
        f"anything but an integer from 0 to {MAX_EVENT_ID} is ignored (the stream starts "
        "from the first event)",
    ),
]


def parse_last_id(value: str | None) -> int:
    """The `Last-Event-ID` header as a sequence number (0 when absent, malformed or too big)."""
    text = (value or "").strip()
    # ASCII digits only (int() also takes "1_0" and other scripts' digits); 19 digits at most.
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_EVENT_ID))):
        return 0
    number = int(text)
    return number if number <= MAX_EVENT_ID else 0


def start_after(after: int | None, last_event_id: str | None) -> int:
    """Where a stream starts: `after=` if given, else the `Last-Event-ID` header."""
    return after if after is not None else parse_last_id(last_event_id)


def sse_response(
    request: Request, fetch: Fetch, after: int, shape: Shape | None = None
) -> StreamingResponse:
    """A streaming response of the events `fetch` finds, starting after `after` (each shaped
    by `shape` when given)."""
    return StreamingResponse(
        _stream(request, fetch, after, shape),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(
    request: Request, fetch: Fetch, after: int, shape: Shape | None
) -> AsyncIterator[str]:
    from studyforge.events.service import envelope

    sessions = request.app.state.platform.sessions
    poll = request.app.state.platform.settings.events_poll_seconds / 4
    idle = 0.0

    def read() -> tuple[list[dict[str, object]], bool]:
        with sessions() as session:
            events, finished = fetch(session, after)
            return [envelope(e) for e in events], finished

    yield "retry: 2000\n\n"
    while True:
        batch, finished = await anyio.to_thread.run_sync(read)
        for item in batch:
            after = int(str(item["seq"]))
            name, data = shape(item) if shape else (str(item["type"]), item)
            yield f"id: {after}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
        if finished and not batch:
            return
        if batch:
            idle = 0.0
            continue
        if await request.is_disconnected():
            return
        idle += poll
        if idle >= KEEP_ALIVE_SECONDS:
            idle = 0.0
            yield ": keep-alive\n\n"
        await anyio.sleep(poll)
