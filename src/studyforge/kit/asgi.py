"""A small ASGI helper shared by the middleware that must know whether a response began."""

from __future__ import annotations

from starlette.types import Message, Send


class StartWatch:
    """Wraps `send`; `started` turns true once the response's first message has gone out
    (after that, an error can no longer be answered with a response of its own)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
