"""Bytes served with HTTP Range support, so an `<audio>` element can seek in a download."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def ranged(request: Request, data: bytes, media_type: str) -> Response:
    """`data` whole (200), or the one byte range the request asks for (206, or 416)."""
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
    match = _RANGE.match(request.headers.get("range", "").strip())
    size = len(data)
    if match is None or match.group(1) == match.group(2) == "":
        return Response(data, media_type=media_type, headers=headers)
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # `bytes=-N`: the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start >= size or start > end:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(data[start : end + 1], status_code=206, media_type=media_type, headers=headers)
