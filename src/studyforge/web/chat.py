"""The Tutor pages: your chat sessions, one conversation with its cited answers, asking, renaming
and deleting.

Paths live under `/tutor` so they never clash with the API's `/chat...`. Asking is a plain form
POST (`chat.service.post_message`, then Post/Redirect/Get to the answer), so the page works
without JavaScript; `static/chat.js` sends the same question to `POST /chat/stream` instead and
shows the answer as it arrives, then takes the rendered answer from `GET /tutor/<id>`. The form
is read with the API's own `ChatRequest`, so the page refuses what the API refuses, in words.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from studyforge.auth.deps import CurrentUser
from studyforge.auth.service import Principal
from studyforge.chat import service
from studyforge.chat.cache import chat_cache
from studyforge.chat.models import ChatMessage, ChatSession, Role
from studyforge.chat.schemas import MAX_MESSAGE, MAX_SCOPE_DOCUMENTS, ChatRequest, SessionUpdate
from studyforge.db import SessionDep
from studyforge.errors import AppError
from studyforge.web.course_form import PostedForm, posted_form
from studyforge.web.pages import PageRoute, PageUser, not_found_page, render
from studyforge.web.quizzes import PRACTICE, Cited, cited
from studyforge.web.sources import chosen_sources, load_picker, path_folders

TUTOR = "/tutor"
SESSIONS_LISTED = 50
MESSAGES_SHOWN = 200  # the newest ones of a longer session
SCOPES = ("all", "documents", "folder")
_MARKER = re.compile(r"\[(\d+)\]")
MESSAGES = {
    "empty": "Write your question first.",
    "long": "Shorten your question to {limit} characters (this one has {n}).",
    "control": "Your question holds characters that cannot be sent. Retype it and send it again.",
    "no_documents": "Check at least one document, or choose “All my documents”.",
    "many": f"Choose at most {MAX_SCOPE_DOCUMENTS} documents (you chose {{n}}), or a folder.",
    "unknown": "Some of the documents you chose are not in your library, so they are "
    "unchecked. Check the list and send your question again.",
    "no_folder": "Type a folder, such as science/, or choose “All my documents”.",
    "folder": "The folder can be at most 500 characters, on one line.",
    "expired": "This form has expired; please send your question again.",
    "busy": "This question is already being answered. Wait a moment, then reload the page.",
    "title": "Type a name for this chat, at most 200 characters, on one line.",
}

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@dataclass(frozen=True)
class AskForm:
    """The ask form as typed, and what is wrong with it (by field)."""

    message: str = ""
    mode: str = "answer"
    scope: str = "all"
    chosen: tuple[str, ...] = ()
    folder: str = ""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """A run of an answer's text, or its citation marker `[n]` linking to the cited page."""

    text: str
    number: int | None = None
    link: Cited | None = None


@dataclass(frozen=True)
class Turn:
    """A question and the tutor's answer, its text cut at the markers, its sources linked."""

    question: ChatMessage | None
    answer: ChatMessage | None
    parts: list[Part]
    sources: list[tuple[dict[str, Any], Cited]]
    quizzes: list[tuple[str, str]]  # (href, document name): a quiz from each cited document

    @property
    def anchor(self) -> str:
        """The turn's id on the page (its answer's, which the redirect after asking targets)."""
        message = self.answer or self.question
        return f"m-{message.id}" if message else "m-none"


# The posted form's fields and checked documents (the checkboxes have names of their own).
PostedDep = Annotated[PostedForm, Depends(posted_form)]


def owned_chat(session: Session, user: Principal, session_id: str) -> ChatSession | None:
    """The user's chat session, or None for a malformed id or someone else's session."""
    try:
        return service.get_session(session, uuid.UUID(session_id), user.id)
    except (ValueError, service.SessionNotFound):
        return None


def not_yours(request: Request, user: Principal) -> Response:
    """The HTML 404 for a chat that is missing or someone else's."""
    message = "This chat does not exist, or it is not yours."
    return not_found_page(request, user, message, TUTOR, "your chats")


def split_marked(text: str, links: Mapping[int, Cited]) -> list[Part]:
    """The answer's text as runs and markers (a marker without its citation stays text)."""
    parts: list[Part] = []
    at = 0
    for match in _MARKER.finditer(text):
        number = int(match.group(1))
        if number not in links:
            continue
        parts.append(Part(text[at : match.start()]))
        parts.append(Part(match.group(0), number, links[number]))
        at = match.end()
    return [*parts, Part(text[at:])]


def _turn(q: ChatMessage | None, a: ChatMessage | None, links: Sequence[Cited]) -> Turn:
    """A question and its answer (whose citations are `links`, in order)."""
    if a is None:
        return Turn(q, None, [], [], [])
    sources = list(zip(a.citations or [], links, strict=True))
    numbered = {int(c.get("number") or i): link for i, (c, link) in enumerate(sources, 1)}
    quizzes = {f"{PRACTICE}?source=doc:{c['document_id']}": str(c.get("filename") or "it")
               for c, link in sources if a.grounded and link.href}  # fmt: skip
    return Turn(q, a, split_marked(a.content, numbered), sources, list(quizzes.items()))


def turns(session: Session, user: Principal, chat: ChatSession, total: int) -> list[Turn]:
    """The session's newest messages as question and answer pairs, oldest first (the links of
    every citation looked up at once)."""
    stmt = service.history_stmt(chat.id).offset(max(0, total - MESSAGES_SHOWN))
    pairs: list[tuple[ChatMessage | None, ChatMessage | None]] = []
    for message in session.scalars(stmt.limit(MESSAGES_SHOWN)):
        if message.role is Role.USER:
            pairs.append((message, None))
        elif pairs and pairs[-1][1] is None and pairs[-1][0] is not None:
            pairs[-1] = (pairs[-1][0], message)
        else:
            pairs.append((None, message))
    links = iter(cited(session, user, [c for _, a in pairs if a for c in a.citations or []]))
    return [_turn(q, a, [next(links) for _ in (a.citations or [])] if a else []) for q, a in pairs]


def scope_text(session: Session, user: Principal, chat: ChatSession) -> str:
    """What the session's answers draw on, in words."""
    if chat.source_filter:
        return f"Documents in the folder {chat.source_filter}"
    chosen = chosen_sources(session, user.id, chat.document_ids)
    if chosen is None:
        return "All your documents"
    names = ", ".join(doc.filename for doc in chosen.documents) or "no documents"
    more = f" and {chosen.more} more" if chosen.more else ""
    gone = f" ({chosen.missing} since deleted)" if chosen.missing else ""
    return f"Only {names}{more}{gone}"


def _tutor(request: Request, session: Session, user: Principal, chat: ChatSession | None,
           form: AskForm | None = None, rename_error: str | None = None) -> Response:  # fmt: skip
    """The Tutor page: the sessions, the conversation (if any) and the ask form; 422 when the
    form (or the rename form) is shown with an error. The form keeps the chat's last mode."""
    chats = session.scalars(service.list_sessions_stmt(user.id).limit(SESSIONS_LISTED)).all()
    rows = service.summaries(session, chats)
    count, shown = 0, []
    if chat is not None:
        mine = [row for row in rows if row["session_id"] == chat.id]
        count = (mine or service.summaries(session, [chat]))[0]["message_count"]
        shown = turns(session, user, chat, count)
    last = shown[-1].question if shown else None
    form = form or AskForm(mode=last.mode if last is not None else "answer")
    context = {
        "chat": chat,
        "rows": rows,
        "form": form,
        "message_count": count,
        "turns": shown,
        "hidden_earlier": max(0, count - MESSAGES_SHOWN),
        "scope": scope_text(session, user, chat) if chat else None,
        "picker": load_picker(session, user.id, form.chosen),
        "folders": path_folders(session, user.id) if chat is None else [],
        "max_message": MAX_MESSAGE,
        "rename_error": rename_error,
        "deleted": request.query_params.get("deleted") == "1",
    }
    status = 422 if form.errors or rename_error else 200
    return render(request, "chat.html", context, user=user, status_code=status)


def read_form(posted: PostedForm) -> AskForm:
    """The ask form as sent (unknown scope values fall back to all documents)."""
    scope = posted.get("scope")
    return AskForm(
        message=posted.get("message"),
        mode="tutor" if posted.get("mode") == "tutor" else "answer",
        scope=scope if scope in SCOPES else "all",
        chosen=posted.choice.documents,
        folder=posted.get("source_filter"),
        request_id=posted.get("request_id").strip() or str(uuid.uuid4()),
    )


def parse(form: AskForm, chat: ChatSession | None) -> ChatRequest | AskForm:
    """The form as the API's request, or the form again with a message per refused field."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"message": form.message, "mode": form.mode,
                               "request_id": form.request_id}  # fmt: skip
    if chat is not None:
        payload["session_id"] = chat.id
    elif form.scope == "documents":
        if not form.chosen:
            errors["scope"] = MESSAGES["no_documents"]
        payload["document_ids"] = list(form.chosen)
    elif form.scope == "folder":
        if not form.folder.strip():
            errors["source_filter"] = MESSAGES["no_folder"]
        payload["source_filter"] = form.folder.strip()
    try:
        req = ChatRequest.model_validate(payload)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "message"
            errors.setdefault("scope" if name == "document_ids" else name, _message(name, form))
        if "request_id" in errors:
            form = replace(form, request_id=str(uuid.uuid4()))
        return replace(form, errors=errors)
    return replace(form, errors=errors) if errors else req


def _message(name: str, form: AskForm) -> str:
    if name == "message":
        text = form.message
        if not text.strip():
            return MESSAGES["empty"]
        if len(text) > MAX_MESSAGE:
            return MESSAGES["long"].format(limit=MAX_MESSAGE, n=len(text))
        return MESSAGES["control"]
    if name == "document_ids":
        many = len(form.chosen) > MAX_SCOPE_DOCUMENTS
        return MESSAGES["many"].format(n=len(form.chosen)) if many else MESSAGES["unknown"]
    if name == "source_filter":
        return MESSAGES["folder"]
    return MESSAGES["expired"]


def refused(form: AskForm, exc: AppError) -> AskForm | None:
    """The form again with what the chat service refused; None for an error it cannot show."""
    if exc.code == "DOCUMENT_NOT_FOUND":
        gone = set((exc.details or {}).get("unknown") or ())
        kept = tuple(i for i in form.chosen if i not in gone)
        return replace(form, chosen=kept, errors={"scope": MESSAGES["unknown"]})
    if exc.code == "REQUEST_IN_PROGRESS":
        return replace(form, errors={"message": MESSAGES["busy"]})
    return None


def _ask(
    request: Request, session: Session, user: Principal, chat: ChatSession | None,
    posted: PostedForm,
) -> Response:  # fmt: skip
    form = read_form(posted)
    req = parse(form, chat)
    if isinstance(req, AskForm):
        return _tutor(request, session, user, chat, req)
    platform = request.app.state.platform
    cache = chat_cache(session, platform.settings.redis_url)
    try:
        asked = service.post_message(session, platform.ai, cache, user.id, req)
    except AppError as exc:
        shown = refused(form, exc)
        if shown is None:
            raise
        session.rollback()  # nothing of the refused question is kept
        return _tutor(request, session, user, chat, shown)
    return RedirectResponse(f"{TUTOR}/{asked.chat.id}#m-{asked.reply.id}", status_code=303)


def _owned(session_id: str, session: SessionDep, user: PageUser) -> ChatSession | None:
    return owned_chat(session, user, session_id)


OwnedChat = Annotated[ChatSession | None, Depends(_owned)]


@router.get(TUTOR)
def tutor_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Your chats, and the form that starts a new one (with what its answers draw on)."""
    return _tutor(request, session, user, None)


# Writes pass the API's check (`CurrentUser`): a cookie-carrying write must come from this site.
@router.post(TUTOR)
def start_chat(request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser,
               posted: PostedDep) -> Response:  # fmt: skip
    """Ask the first question of a new chat and go to its answer; a refused form is shown
    again with what to change."""
    return _ask(request, session, user, None, posted)


@router.get(f"{TUTOR}/{{session_id}}")
def chat_page(request: Request, session: SessionDep, user: PageUser, chat: OwnedChat) -> Response:
    """One chat: its questions and cited answers, the form for the next question, rename and
    delete."""
    return _tutor(request, session, user, chat) if chat else not_yours(request, user)


@router.post(f"{TUTOR}/{{session_id}}")
def ask_in_chat(request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser,
                chat: OwnedChat, posted: PostedDep) -> Response:  # fmt: skip
    """Ask the next question of a chat and go to its answer."""
    return _ask(request, session, user, chat, posted) if chat else not_yours(request, user)


@router.post(f"{TUTOR}/{{session_id}}/rename")
def rename_chat(request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser,
                chat: OwnedChat, posted: PostedDep) -> Response:  # fmt: skip
    """Give the chat another name (one line, at most 200 characters); back to it."""
    if chat is None:
        return not_yours(request, user)
    try:
        change = SessionUpdate(title=posted.get("title"))
    except ValidationError:
        return _tutor(request, session, user, chat, rename_error=MESSAGES["title"])
    service.update_session(session, chat, change)
    return RedirectResponse(f"{TUTOR}/{chat.id}", status_code=303)


@router.post(f"{TUTOR}/{{session_id}}/delete")
def delete_chat(request: Request, session: SessionDep, user: PageUser, _writer: CurrentUser,
                chat: OwnedChat) -> Response:  # fmt: skip
    """Delete the chat and its messages (after the browser's confirmation); back to the list."""
    if chat is None:
        return not_yours(request, user)
    service.delete_session(session, chat)
    return RedirectResponse(f"{TUTOR}?deleted=1", status_code=303)
