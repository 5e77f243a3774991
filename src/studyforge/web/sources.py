"""Choosing a course's sources on the Courses pages: the document picker and its form fields.

The picker lists the user's completed documents grouped by folder (the path up to its last
`/`). Every checkbox has a name of its own (`doc:<id>`, `folder-<n>`), because a form that
sends one field twice is refused (`kit.limits`); a checked folder means each document listed
in it when the form is sent. Nothing checked means every document.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from studyforge.documents.models import Document, DocumentStatus

PICKER_LIMIT = 1000  # documents listed; more are reached with the source folder field
FOLDER_SCAN = 2000
MAX_FOLDERS = 50
SHOWN_SOURCES = 12  # chosen documents named on a course's page; the rest are counted
DOC_FIELD = "doc:"
FOLDER_FIELD = "folder-"


@dataclass(frozen=True)
class PickerDocument:
    """A completed document as the picker lists it."""

    id: str
    filename: str
    path: str
    pages: int | None
    passages: int

    @property
    def facts(self) -> str:
        """`12 pages · 40 passages`, in words a teacher reads."""
        parts = [] if self.pages is None else [_plural(self.pages, "page")]
        return " · ".join([*parts, _plural(self.passages, "passage")])


@dataclass
class PickerFolder:
    """One folder's documents; `path` is empty for documents that are in no folder."""

    path: str
    documents: list[PickerDocument] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The folder as the page names it."""
        return self.path or "Not in a folder"


@dataclass(frozen=True)
class Picker:
    """The folders to show, which documents are checked, and whether the list was cut."""

    folders: list[PickerFolder]
    chosen: frozenset[str]
    truncated: bool

    def is_checked(self, doc: PickerDocument) -> bool:
        """Whether the document's box is checked."""
        return doc.id in self.chosen

    def whole(self, folder: PickerFolder) -> bool:
        """Whether every document of the folder is chosen (its "whole folder" box)."""
        return all(doc.id in self.chosen for doc in folder.documents)

    def checked(self) -> int:
        """How many listed documents are checked."""
        return sum(doc.id in self.chosen for folder in self.folders for doc in folder.documents)

    def count(self) -> int:
        """How many documents are listed."""
        return sum(len(folder.documents) for folder in self.folders)

    def with_chosen(self, ids: Iterable[str]) -> Picker:
        """The same list with these documents checked."""
        return Picker(self.folders, frozenset(ids), self.truncated)


@dataclass(frozen=True)
class Choice:
    """What the form's checkboxes sent: document ids (as sent) and folder paths."""

    documents: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()

    def ids(self, picker: Picker) -> list[str] | None:
        """The chosen document ids, each checked folder expanded to its listed documents;
        None when nothing is checked (every document). Ids are kept as sent, so ones that
        are not UUIDs fail the request's validation."""
        ids = list(self.documents)
        wanted = set(self.folders)
        for folder in picker.folders:
            if folder.path in wanted:
                ids += [doc.id for doc in folder.documents]
        return list(dict.fromkeys(ids)) or None


def choice_of(form: Mapping[str, str]) -> Choice:
    """The checked documents and folders among a form's fields."""
    documents = tuple(key[len(DOC_FIELD) :] for key in form if key.startswith(DOC_FIELD))
    folders = tuple(value for key, value in form.items() if key.startswith(FOLDER_FIELD))
    return Choice(documents, folders)


def folder_of(path: str) -> str:
    """The path up to and with its last `/` (empty for a path in no folder)."""
    head = posixpath.dirname(path)
    return f"{head}/" if head and head != "/" else ""


def load_picker(session: Session, user_id: uuid.UUID, chosen: Iterable[str] = ()) -> Picker:
    """The user's completed documents by folder (sorted by path), at most `PICKER_LIMIT`."""
    stmt = (
        select(Document.id, Document.filename, Document.path, Document.page_count,
               Document.passage_count)
        .where(Document.user_id == user_id, Document.status == DocumentStatus.COMPLETED)
        .order_by(Document.path, Document.created_at, Document.id)
        .limit(PICKER_LIMIT + 1)
    )  # fmt: skip
    rows = session.execute(stmt).all()
    folders: dict[str, PickerFolder] = {}
    for doc_id, filename, path, pages, passages in rows[:PICKER_LIMIT]:
        doc = PickerDocument(str(doc_id), filename, path, pages, passages)
        folders.setdefault(folder_of(path), PickerFolder(folder_of(path))).documents.append(doc)
    ordered = sorted(folders.values(), key=lambda f: (f.path == "", f.path))
    return Picker(ordered, frozenset(chosen), len(rows) > PICKER_LIMIT)


@dataclass(frozen=True)
class ChosenSources:
    """A course's chosen documents as its page names them."""

    documents: list[PickerDocument]
    missing: int  # chosen ids that are no longer documents of the user
    more: int  # chosen documents not named (beyond `SHOWN_SOURCES`)


def chosen_sources(
    session: Session, user_id: uuid.UUID, ids: Sequence[str] | None
) -> ChosenSources | None:
    """The named documents of a course made from chosen ones; None for every document."""
    if ids is None:
        return None
    wanted = [uuid.UUID(i) for i in ids]
    stmt = select(Document.id, Document.filename, Document.path, Document.page_count,
                  Document.passage_count).where(
        Document.user_id == user_id, Document.id.in_(wanted))  # fmt: skip
    found = {
        str(doc_id): PickerDocument(str(doc_id), filename, path, pages, passages)
        for doc_id, filename, path, pages, passages in session.execute(stmt)
    }
    named = [found[i] for i in ids if i in found]
    return ChosenSources(named[:SHOWN_SOURCES], len(ids) - len(named), len(named[SHOWN_SOURCES:]))


def folders_of(paths: Sequence[str]) -> list[str]:
    """Every folder (with a trailing `/`) that holds one of `paths`, sorted, at most 50."""
    found: set[str] = set()
    for path in paths:
        folder = posixpath.dirname(path)
        while folder and folder != "/":
            found.add(folder + "/")
            folder = posixpath.dirname(folder)
    return sorted(found)[:MAX_FOLDERS]


def path_folders(session: Session, user_id: uuid.UUID) -> list[str]:
    """The folders of the user's documents, for the source folder field's suggestions."""
    stmt = select(Document.path).where(Document.user_id == user_id).distinct().limit(FOLDER_SCAN)
    return folders_of(list(session.scalars(stmt)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
