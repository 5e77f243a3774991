"""Limits at the edge: request bodies (size, one value per form field), integers and text.

`BodySizeLimit` is the ASGI middleware that guards every request body as it streams in: a body
over the size limit is refused with 413, and a form (urlencoded or multipart) that sends one
field twice is refused with 422, because every form endpoint takes one value per field and
would otherwise keep the last value and silently drop the others (two `file` parts in one
upload). `MAX_INT64` bounds integers that reach SQL; `Text` is the rule for text fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote_plus

from pydantic import BeforeValidator, GetCoreSchemaHandler, ValidationError
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studyforge.errors import error_body
from studyforge.kit.asgi import StartWatch

# The largest integer SQLite (INTEGER) and PostgreSQL (bigint) store; larger ones overflow.
MAX_INT64 = 2**63 - 1


def _json_integer(value: Any) -> Any:
    # Pydantic's lax int also takes true (as 1) and "4"; strict int refuses 4.0, which JSON
    # Schema's `integer` (the OpenAPI) allows. This is exactly JSON Schema's integer.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be an integer (not text or a boolean)")
    return value


# An integer field of a JSON body or message: 4 or 4.0, never true or "4".
Integer = Annotated[int, BeforeValidator(_json_integer)]


class BodyTooLarge(HTTPException):
    """Raised inside the app when a streamed body passes the limit (rendered as 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request body is larger than the limit of {max_bytes} bytes")


class RepeatedFormField(HTTPException):
    """Raised inside the app when a form sends a field twice (rendered as 422)."""

    def __init__(self, name: str) -> None:
        shown = name if name.isprintable() and len(name) <= 40 else "a field"
        super().__init__(
            422, f"The form field {shown!r} was sent more than once; send each field once"
        )


class BodySizeLimit:
    """Refuse bodies larger than `max_bytes` (by Content-Length or while streaming) and forms
    that repeat a field."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _reject(send, self.max_bytes)
            return
        fields = FormFields.for_content_type(headers.get(b"content-type", b""))
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                if fields is not None:
                    fields.feed(chunk, last=not message.get("more_body", False))
            return message

        watch = StartWatch(send)
        try:
            await self.app(scope, limited_receive, watch)
        except BodyTooLarge:
            if not watch.started:
                await _reject(send, self.max_bytes)


class FormFields:
    """Follows the field names of a streamed form; `feed` raises `RepeatedFormField`.

    Only names are kept, never values. A body the tracker cannot parse is left to the app's
    own form parser, which reports it.
    """

    def __init__(self, boundary: bytes | None) -> None:
        self.seen: set[str] = set()
        self.repeated: str | None = None
        self._name = bytearray()
        self._header = bytearray()
        self._value = bytearray()
        self._broken = False
        self._parser: MultipartParser | QuerystringParser
        if boundary is None:
            self._parser = QuerystringParser(
                {
                    "on_field_start": self._name.clear,
                    "on_field_name": self._collect_name,
                    "on_field_end": self._field_end,
                }
            )
        else:
            self._parser = MultipartParser(
                boundary,
                {
                    "on_header_field": self._collect_header,
                    "on_header_value": self._collect_value,
                    "on_header_end": self._header_end,
                },
            )

    @classmethod
    def for_content_type(cls, content_type: bytes) -> FormFields | None:
        """A tracker for a form body, or None for any other kind of body."""
        kind, options = parse_options_header(content_type)
        if kind == b"application/x-www-form-urlencoded":
            return cls(None)
        if kind == b"multipart/form-data" and options.get(b"boundary"):
            return cls(options[b"boundary"])
        return None

    def feed(self, chunk: bytes, last: bool) -> None:
        """Parse the next chunk of the body; raises once a field name comes a second time."""
        if self._broken:
            return
        try:
            self._parser.write(chunk)
            if last:
                self._parser.finalize()
        except Exception:  # malformed: the app's parser answers for it
            self._broken = True
        if self.repeated is not None:
            raise RepeatedFormField(self.repeated)

    def _add(self, name: str) -> None:
        if name in self.seen and self.repeated is None:
            self.repeated = name
        self.seen.add(name)

    def _collect_name(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _field_end(self) -> None:
        # As Starlette's FormParser decodes it, so `a` and `%61` are the same field.
        self._add(unquote_plus(self._name.decode("latin-1")))

    def _collect_header(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _collect_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._header).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self._value))
            if b"name" in options:
                self._add(options[b"name"].decode("latin-1"))
        self._header.clear()
        self._value.clear()


async def _reject(send: Send, max_bytes: int) -> None:
    body: dict[str, Any] = error_body(
        f"Request body is larger than the limit of {max_bytes} bytes", "PAYLOAD_TOO_LARGE"
    )
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# Text fields. The classes are spelled out (no `\s`) so that the Rust engine validating the
# pattern, the ECMA-262 reading of the OpenAPI and Python's `re` (property-based clients) all
# accept exactly the same strings: whitespace is Unicode's White_Space, which is also what is
# stripped; control characters are category Cc; invisible ones are the common format marks.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_WS = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_INVISIBLE = r"\xad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_VISIBLE = f"[^{_CONTROL}{_WS}{_INVISIBLE}]"
_LINE_CHAR = f"[^{_CONTROL}]"
_TEXT_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # also tabs and line breaks
_EDGE = f"[{_WS}]*"


def text_pattern(multiline: bool = False, blank: bool = False) -> str:
    """The pattern of a text field (see `Text`)."""
    char = _TEXT_CHAR if multiline else _LINE_CHAR
    body = f"{char}*{_VISIBLE}{char}*{_EDGE}"
    return f"^{_EDGE}(?:{body})?$" if blank else f"^{_EDGE}{body}$"


@dataclass(frozen=True)
class Text:
    """Pydantic metadata of a text field: `Annotated[str, Text(300)]`.

    The value must hold a visible character (not only whitespace, control or invisible
    characters) and no control characters (`multiline` allows tabs and line breaks inside);
    `blank` also accepts an empty or all-whitespace value. Lengths count the value as sent;
    whitespace around it is then stripped. The OpenAPI carries the same rule as `pattern`.
    """

    max_length: int
    multiline: bool = False
    blank: bool = False

    @property
    def message(self) -> str:
        """What a client is told when the value breaks the rule."""
        what = "be blank or contain" if self.blank else "contain"
        allowed = " other than tabs and line breaks" if self.multiline else ""
        return f"must {what} a visible character and no control characters{allowed}"

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        inner = core_schema.str_schema(
            min_length=0 if self.blank else 1,
            max_length=self.max_length,
            pattern=text_pattern(self.multiline, self.blank),
            strip_whitespace=False,
        )
        return core_schema.no_info_wrap_validator_function(self._validate, inner)

    def _validate(self, value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> str:
        try:
            text: str = handler(value)
        except ValidationError as exc:
            if {e["type"] for e in exc.errors()} & {"string_pattern_mismatch", "string_unicode"}:
                raise PydanticCustomError("text_invalid", self.message) from None
            raise
        return text.strip(WHITESPACE)
