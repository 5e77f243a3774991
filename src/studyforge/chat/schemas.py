"""Chat requests and responses, with the specification's field names (`session_id`,
`response`, `timestamp`, `messages`, `last_message`, `message_count`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from studyforge.kit.limits import Text

MAX_MESSAGE = 4000
MAX_RELEVANT_TEXT = 20_000
MAX_SCOPE_DOCUMENTS = 100
Mode = Literal["answer", "tutor"]
SourceFilter = Annotated[str, Text(500, blank=True)]


class DocumentContext(BaseModel):
    """What the question is about: one of your documents, and/or text from it."""

    model_config = ConfigDict(extra="ignore")

    document_id: uuid.UUID | None = Field(
        None, description="answer from this document only (for this message)"
    )
    relevant_text: Annotated[str, Text(MAX_RELEVANT_TEXT, multiline=True, blank=True)] | None = (
        Field(None, description="text to answer from as well (cited as `relevant_text`)")
    )


class ChatRequest(BaseModel):
    """`POST /chat`: a message, in a new session or an existing one (`session_id`).

    A new session may be narrowed to some documents (`document_ids`) or a folder
    (`source_filter`); without either it draws on all your documents. `mode` "tutor" answers
    with a guiding question instead of the answer.
    """

    model_config = ConfigDict(extra="ignore")

    message: Annotated[str, Text(MAX_MESSAGE, multiline=True)]
    session_id: uuid.UUID | None = None
    user_id: Annotated[str, Text(100, blank=True)] | None = Field(
        None, description="your own id, or omitted (the token says who you are)"
    )
    document_context: DocumentContext | None = None
    mode: Mode = "answer"
    document_ids: list[uuid.UUID] | None = Field(None, max_length=MAX_SCOPE_DOCUMENTS)
    source_filter: SourceFilter | None = Field(
        None, description="only documents under this folder, e.g. `python/`"
    )
    request_id: Annotated[str, Text(100)] | None = Field(
        None, description="the same id again (from the same user) returns the same reply"
    )

    @field_validator("source_filter")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class ChatCitation(BaseModel):
    """A passage the answer cites as [number]: where it is and the words it rests on."""

    number: int
    document_id: uuid.UUID | None
    filename: str | None
    page: int | None
    heading: str | None = None
    passage_id: int | None = Field(description="the stored passage (null for relevant_text)")
    start: int = Field(description="where the quote starts in the document's text")
    end: int
    quote: str
    source: Literal["passage", "relevant_text"] = "passage"


class ChatReply(BaseModel):
    """`POST /chat` answer. `grounded` is false when your material does not hold the answer
    (the reply then says so and names what the material covers)."""

    session_id: uuid.UUID
    message_id: uuid.UUID
    response: str
    timestamp: datetime
    citations: list[ChatCitation]
    grounded: bool
    mode: Mode


class MessageOut(BaseModel):
    """A message of a session's history."""

    model_config = ConfigDict(from_attributes=True)

    message_id: uuid.UUID
    role: Literal["user", "assistant"]
    content: str
    timestamp: datetime
    citations: list[ChatCitation]
    grounded: bool | None = Field(description="for the tutor's answers; null for yours")
    mode: Mode


class ChatHistory(BaseModel):
    """`GET /chat/history/<session_id>`: the messages, oldest first, one page."""

    session_id: uuid.UUID
    title: str
    messages: list[MessageOut]
    total: int
    limit: int
    offset: int


class SessionOut(BaseModel):
    """A chat session: its title, scope and activity."""

    session_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime
    last_message: datetime | None = Field(description="when its last message was written")
    message_count: int
    document_ids: list[uuid.UUID] | None = Field(description="null: all your documents")
    source_filter: str | None


class SessionList(BaseModel):
    """`GET /chat/sessions`: your sessions, most recently active first."""

    sessions: list[SessionOut]
    total: int
    limit: int
    offset: int


class SessionUpdate(BaseModel):
    """`PATCH /chat/sessions/<id>`: rename it and/or change its scope (fields left out stay;
    `document_ids: null` means all your documents again)."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, Text(200)] | None = None
    document_ids: list[uuid.UUID] | None = Field(None, max_length=MAX_SCOPE_DOCUMENTS)
    source_filter: SourceFilter | None = None


class SessionDeleted(BaseModel):
    """`DELETE /chat/sessions/<id>` answer: the session and its messages are gone."""

    session_id: uuid.UUID
    deleted: bool = True
    messages: int


class StreamToken(BaseModel):
    """A `token` event: the next piece of the reply."""

    text: str


class StreamReplace(BaseModel):
    """A `replace` event: the whole reply so far is this text instead (a streamed model's
    answer that changed when it was checked as a whole)."""

    text: str


class StreamError(BaseModel):
    """An `error` event: the reply could not be finished (the shared error shape)."""

    error: str
    code: str
    timestamp: datetime
    details: Any = None


class StreamCitations(BaseModel):
    """The `citations` event, once the reply's text is sent."""

    citations: list[ChatCitation]
    grounded: bool


class StreamDone(BaseModel):
    """The last event: the stored reply's id."""

    message_id: uuid.UUID
    session_id: uuid.UUID
    timestamp: datetime
    mode: Mode
