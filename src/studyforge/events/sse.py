"""Server-Sent Events over the outbox: resumable with `Last-Event-ID`, ends when work ends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from studyforge.events.models import OutboxEvent

# Given a session and the last seq sent: (newer events, is the work finished?). Read the
# status first: if it is final then, the events read after it include the last one.
Fetch = Callable[[Session, int], tuple[list[OutboxEvent], bool]]
KEEP_ALIVE_SECONDS = 15.0


def parse_last_id(value: str | None) -> int:
    """The `Last-Event-ID` header as a sequence number (0 when absent or malformed)."""
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


def sse_response(request: Request, fetch: Fetch, after: int) -> StreamingResponse:
    """A streaming response of the events `fetch` finds, starting after `after`."""
    return StreamingResponse(
        _stream(request, fetch, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(request: Request, fetch: Fetch, after: int) -> AsyncIterator[str]:
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
            yield f"id: {after}\nevent: {item['type']}\ndata: {json.dumps(item)}\n\n"
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
