"""The quiz service's Kafka handlers: `quiz.requested` -> a quiz; `notes.generated` -> context.

`quiz.requested` carries the fields of `POST /quiz/generate` plus `user_id` and `request_id`
(both required on the broker, where `user_id` is trusted). It is validated by
`BrokerQuizRequest` and goes to the same `request_quiz` as HTTP: up to 10 questions are
written at once, more are queued as a job; either way the quiz row is committed before the
runner commits the offset. The service emits `quiz.generated` (quiz_id, document_id, user_id,
request_id, ...) through the outbox when the questions are written. The same `request_id` from
the same user makes no second quiz, also when two deliveries race (the unique constraint).

`notes.generated` is what the documents service emits (`document_id`, `user_id`, `notes`,
`key_terms`, `provider`), bare or inside our own outbox envelope. The notes are kept as
context of the user's document (`context.store_notes`); our own notes change nothing.

Anything that can never succeed (not JSON, a schema error, an unknown user, a document or
course that is not the user's, too little material) raises `BadMessage`: the runner
dead-letters it with that reason.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from studyforge.ai.registry import AIProviders
from studyforge.auth.models import User
from studyforge.errors import AppError
from studyforge.events.models import OutboxEvent
from studyforge.kit.limits import Text
from studyforge.messaging.inbound import BadMessage, parse_json, unwrap, validated
from studyforge.messaging.kafka_consumer import Handler, Handlers
from studyforge.quizzes.context import store_notes
from studyforge.quizzes.models import Quiz
from studyforge.quizzes.schemas import QuizRequest
from studyforge.quizzes.service import request_quiz

log = logging.getLogger(__name__)
REQUESTED_TOPIC = "quiz.requested"
NOTES_TOPIC = "notes.generated"
MAX_NOTES = 200_000  # characters of received notes kept


def _uuid_text(value: object) -> str:
    """A user id as its canonical text (the service compares it with the caller's id)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError("must be a UUID") from None


class BrokerQuizRequest(QuizRequest):
    """A `quiz.requested` message: `POST /quiz/generate`'s fields, `user_id` and `request_id`
    required."""

    user_id: Annotated[str, Text(100)]
    request_id: Annotated[str, Text(100)]

    @field_validator("user_id")
    @classmethod
    def _user_uuid(cls, value: str) -> str:
        return _uuid_text(value)


class NotesGenerated(BaseModel):
    """A `notes.generated` message as the documents service emits it."""

    model_config = ConfigDict(extra="ignore")

    document_id: uuid.UUID
    user_id: uuid.UUID
    notes: Annotated[str, Text(MAX_NOTES, multiline=True, blank=True)] | None = None
    # Blank terms are dropped (`context.clean_terms`), not a reason to refuse the notes.
    key_terms: list[Annotated[str, Text(200, blank=True)]] = Field(
        default_factory=list, max_length=500
    )
    provider: Annotated[str, Text(100, blank=True)] | None = None


def _problem(exc: AppError) -> BadMessage:
    return BadMessage(f"{exc.code}: {exc.message}")


def quiz_requested(ai: AIProviders) -> Handler:
    """The `quiz.requested` handler, writing questions with `ai`."""

    def handle(sessions: sessionmaker[Session], value: bytes) -> None:
        req = validated(BrokerQuizRequest, parse_json(value))
        user_id = uuid.UUID(req.user_id)
        try:
            with sessions.begin() as session:
                if session.get(User, user_id) is None:
                    raise BadMessage(f"unknown user_id {user_id}")
                quiz = request_quiz(session, ai, user_id, req)
                quiz_id, status = quiz.id, quiz.status
        except AppError as exc:
            raise _problem(exc) from None
        except IntegrityError:
            # Another delivery of the same request committed first: that quiz is this one.
            with sessions() as session:
                stmt = select(Quiz.id).where(
                    Quiz.user_id == user_id, Quiz.request_id == req.request_id
                )
                if session.scalar(stmt) is None:
                    raise BadMessage(f"the quiz for {req.request_id!r} cannot be stored") from None
            log.info("quiz request %s was recorded concurrently; done", req.request_id)
            return
        log.info("quiz %s for request %s: %s", quiz_id, req.request_id, status.value)

    return handle


def notes_generated(sessions: sessionmaker[Session], value: bytes) -> None:
    """The `notes.generated` handler: keep received notes as the document's quiz context."""
    event_id, payload = unwrap(parse_json(value), NOTES_TOPIC)
    note = validated(NotesGenerated, payload)
    with sessions.begin() as session:
        if event_id is not None and _ours(session, event_id):
            return  # our own notes, already the document's
        if session.get(User, note.user_id) is None:
            raise BadMessage(f"unknown user_id {note.user_id}")
        try:
            changed = store_notes(
                session, note.user_id, note.document_id, note.notes,
                note.key_terms, note.provider,
            )  # fmt: skip
        except AppError as exc:
            raise BadMessage(
                f"{exc.code}: document {note.document_id} is not a document of user {note.user_id}"
            ) from None
    if changed:
        log.info("notes for document %s kept as quiz context", note.document_id)


def _ours(session: Session, event_id: str) -> bool:
    """Whether this process's outbox wrote the event (our relay published it)."""
    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        return False
    return session.scalar(select(OutboxEvent.seq).where(OutboxEvent.event_id == wanted)) is not None


def register(handlers: Handlers, ai: AIProviders) -> None:
    """Add the quiz service's topics to the Kafka consumer's registry."""
    handlers.add(REQUESTED_TOPIC, quiz_requested(ai))
    handlers.add(NOTES_TOPIC, notes_generated)
