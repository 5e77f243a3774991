"""Speech pages: upload a recording and follow its transcription, read a transcript along
with its audio, and synthesise text with a chosen voice.

Uploads go from the browser to the API's `POST /transcribe`, synthesis to `POST /synthesize`
and "Add to library" to `POST /transcription/<id>/document` (see `static/speech.js`); the
list and the detail page are rendered here from the speech service with the page's session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from studyforge.auth.service import Principal
from studyforge.db import SessionDep
from studyforge.jobs.models import Job
from studyforge.jobs.service import jobs_by_id
from studyforge.speech import service
from studyforge.speech.audio import FORMAT_NAMES, FORMATS
from studyforge.speech.models import TranscriptionJob, TranscriptionStatus
from studyforge.speech.synthesis import FORMATS as SYNTH_FORMATS
from studyforge.web.pages import PageRoute, PageUser, not_found_page, render

SPEECH = "/speech"
LIST_LIMIT = 100
ACCEPT = ",".join(sorted({ext for _, ext in FORMATS.values()} | {"audio/*"}))

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@dataclass(frozen=True)
class TranscriptionRow:
    """A transcription of the list with its runner job while it is processing."""

    item: TranscriptionJob
    job: Job | None


def _rows(session: Session, user: Principal) -> list[TranscriptionRow]:
    items = session.scalars(service.list_stmt(user.id).limit(LIST_LIMIT)).all()
    waiting = [t.task_id for t in items if t.status is TranscriptionStatus.PROCESSING and t.task_id]
    jobs = jobs_by_id(session, user.id, waiting)
    return [TranscriptionRow(t, jobs.get(t.task_id) if t.task_id else None) for t in items]


def _list_context(session: Session, user: Principal) -> dict[str, Any]:
    rows = _rows(session, user)
    processing = any(row.item.status is TranscriptionStatus.PROCESSING for row in rows)
    return {"rows": rows, "processing": processing, "limit": LIST_LIMIT}


def _owned(session: Session, user: Principal, job_id: str) -> TranscriptionJob | None:
    """The user's transcription, or None for a malformed id or someone else's."""
    try:
        return service.get(session, uuid.UUID(job_id), user.id)
    except (ValueError, service.TranscriptionNotFound):
        return None


@router.get(SPEECH)
def speech_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The upload form, the live list of transcriptions and the synthesis form."""
    settings = request.app.state.platform.settings
    context = {
        **_list_context(session, user),
        "max_bytes": settings.upload_max_bytes,
        "max_mb": settings.upload_max_bytes // (1024 * 1024),
        "max_minutes": int(settings.stt_max_seconds // 60),
        "max_chars": settings.tts_max_chars,
        "accept": ACCEPT,
        "format_names": FORMAT_NAMES,
        "synth_formats": list(SYNTH_FORMATS),
    }
    return render(request, "speech.html", context, user=user)


@router.get(f"/ui{SPEECH}")
def speech_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The transcriptions list fragment; htmx polls it while one is processing."""
    return render(request, "_transcriptions_list.html", _list_context(session, user), user=user)


@router.get(f"{SPEECH}/{{job_id}}")
def transcription_page(
    request: Request, session: SessionDep, user: PageUser, job_id: str
) -> Response:
    """One transcription: its recording in a player and the timed transcript to follow."""
    item = _owned(session, user, job_id)
    if item is None:
        message = "This transcription does not exist, or it is not yours."
        return not_found_page(request, user, message, SPEECH, "your recordings")
    task = item.task_id
    job = jobs_by_id(session, user.id, [task]).get(task) if task else None
    context = {"item": item, "job": job, "clock": service.clock}
    return render(request, "transcription.html", context, user=user)
