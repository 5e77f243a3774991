"""Listen: a lesson's text, or a document's study notes, read aloud on demand.

The text is built here from what the page shows and spoken through the synthesis service, so
the second request (or a reload) answers from its cache (`cached: true`, the same audio).
Text over `STUDYFORGE_TTS_MAX_CHARS` is cut at the last sentence that fits (`truncated`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request

from studyforge.auth.deps import CurrentUser
from studyforge.courses.editing_api import LessonDep
from studyforge.courses.models import Lesson
from studyforge.db import SessionDep
from studyforge.documents import service as documents
from studyforge.documents.models import Document
from studyforge.errors import Conflict
from studyforge.openapi import errors
from studyforge.speech import synthesis
from studyforge.speech import tts_schemas as schemas
from studyforge.speech.tts_api import TTSDep, spoken

router = APIRouter(tags=["speech"])
VOICE = "Joanna"  # the default voice of `POST /synthesize`
FORMAT = "mp3"
LISTEN_ERRORS = errors(
    {
        409: "nothing to read aloud (`NOTHING_TO_READ`)",
        503: "text-to-speech is not configured (`TTS_UNAVAILABLE`)",
    }
)


class NothingToRead(Conflict):
    code = "NOTHING_TO_READ"


class Listened(schemas.Synthesized):
    """A Listen answer: the synthesis answer, and whether the text was cut to the limit."""

    truncated: bool


def lesson_text(lesson: Lesson) -> str:
    """What a lesson's Listen reads: title, description, headings and prose (no code)."""
    content: dict[str, Any] = lesson.content_json or {}
    parts = [lesson.title, lesson.description or ""]
    for section in content.get("sections") or []:
        parts.append(str(section.get("heading") or ""))
        parts += [
            str(p.get("text") or "")
            for p in section.get("paragraphs") or []
            if p.get("kind") != "code"
        ]
    parts.append(str(content.get("summary") or ""))
    return _sentences(parts)


def notes_text(doc: Document) -> str:
    """What a document's Listen reads: its study guide's titles and points."""
    notes: dict[str, Any] = doc.notes_data or {}
    parts: list[str] = []
    for section in notes.get("sections") or [{"points": notes.get("points")}]:
        if isinstance(section, dict):
            parts.append(str(section.get("title") or ""))
            parts += [str(p.get("text") or "") for p in section.get("points") or []
                      if isinstance(p, dict)]  # fmt: skip
    return _sentences(parts)


def _sentences(parts: Iterable[str]) -> str:
    """Each non-empty part as a sentence of its own (a heading gets a pause after it)."""
    cleaned = (part.strip() for part in parts)
    return " ".join(p if p[-1] in ".!?:" else p + "." for p in cleaned if p)


def clip(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut after the last sentence that ends within `limit` characters (or at a space)."""
    spoken_text = synthesis.plain_text(text)
    if len(spoken_text) <= limit:
        return spoken_text, False
    head = spoken_text[:limit]
    end = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    cut = end + 1 if end > 0 else head.rfind(" ")
    return head[: cut if cut > 0 else limit].strip(), True


def _listen(
    request: Request, session: SessionDep, user: CurrentUser, tts: TTSDep, text: str
) -> Listened:
    if not text:
        raise NothingToRead("there is no text to read aloud")
    limit = request.app.state.platform.settings.tts_max_chars
    said, truncated = clip(text, limit)
    body = schemas.SynthesizeRequest(text=said, voice_id=VOICE, output_format=FORMAT)
    answer = spoken(request, session, user, tts, body)
    return Listened(**answer.model_dump(), truncated=truncated)


@router.post(
    "/api/courses/{course_id}/lessons/{lesson_number:int}/audio",
    response_model=Listened,
    responses=LISTEN_ERRORS,
)
def listen_lesson(
    request: Request, lesson: LessonDep, session: SessionDep, user: CurrentUser, tts: TTSDep
) -> Listened:
    """The lesson read aloud (synthesised once, then from the cache); play `s3_url`."""
    return _listen(request, session, user, tts, lesson_text(lesson))


@router.post("/document/{document_id}/notes/audio", response_model=Listened,
             responses=LISTEN_ERRORS)  # fmt: skip
def listen_notes(
    request: Request, document_id: uuid.UUID, session: SessionDep, user: CurrentUser,
    tts: TTSDep,
) -> Listened:  # fmt: skip
    """The document's study notes read aloud (synthesised once, then from the cache)."""
    doc = documents.get_document(session, document_id, user.id)
    return _listen(request, session, user, tts, notes_text(doc))
