"""The chat service's Kafka handler: `document.processed` -> that user's cached answers dropped.

A session scoped to the document sees its new passages on its next question anyway (answers
are searched from the stored passages, and cache keys hold the user's data version); dropping
the user's cached answers and evidence at once also frees a shared Redis cache used by other
processes. The message is what the documents service emits (`document_id`, `user_id`, ...),
bare or inside our own outbox envelope. An unknown user is dead-lettered; a document deleted
since is fine (there is nothing of it left to answer from).
"""

from __future__ import annotations

import logging
import uuid

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from studyforge.auth.models import User
from studyforge.chat.cache import chat_cache
from studyforge.chat.service import on_document_processed
from studyforge.messaging.inbound import BadMessage, parse_json, unwrap, validated
from studyforge.messaging.kafka_consumer import Handler, Handlers

log = logging.getLogger(__name__)
PROCESSED_TOPIC = "document.processed"


class DocumentProcessed(BaseModel):
    """The fields of `document.processed` the chat service uses."""

    model_config = ConfigDict(extra="ignore")

    document_id: uuid.UUID
    user_id: uuid.UUID


def document_processed(redis_url: str | None) -> Handler:
    """The handler, using the chat cache of this configuration (Redis or in-process)."""

    def handle(sessions: sessionmaker[Session], value: bytes) -> None:
        _, payload = unwrap(parse_json(value), PROCESSED_TOPIC)
        event = validated(DocumentProcessed, payload)
        with sessions() as session:
            if session.get(User, event.user_id) is None:
                raise BadMessage(f"unknown user_id {event.user_id}")
            cache = chat_cache(session, redis_url)
            on_document_processed(session, event.user_id, event.document_id, cache=cache)
        log.info("chat answers of user %s dropped: document %s processed",
                 event.user_id, event.document_id)  # fmt: skip

    return handle


def register(handlers: Handlers, redis_url: str | None) -> None:
    """Add the chat service's topic to the Kafka consumer's registry."""
    handlers.add(PROCESSED_TOPIC, document_processed(redis_url))
