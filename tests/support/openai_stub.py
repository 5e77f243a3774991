"""The network edge of an OpenAI-compatible provider, faked (the only part of a remote AI
provider tests and benchmarks may fake): a chat completion's JSON body, and an HTTP handler on
loopback that answers `POST /v1/chat/completions` with one."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any


def completion(
    content: str, prompt_tokens: int = 100, completion_tokens: int = 10
) -> dict[str, Any]:
    """The body of a chat completion whose one choice says `content`."""
    return {
        "id": "stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class CompletionHandler(BaseHTTPRequestHandler):
    """Answers every POST with `completion(self.answer(request))`; subclasses write `answer`."""

    def answer(self, request: dict[str, Any]) -> str:
        raise NotImplementedError

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        body = json.dumps(completion(self.answer(request))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass
