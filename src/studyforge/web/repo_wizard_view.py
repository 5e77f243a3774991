"""What the repository wizard shows: the step a course is at, the folder tree of its
documentation, and the wizard's forms read back as the pipeline's requests (with a message in
the user's words for each field the schema refuses)."""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from studyforge.courses.models import Course
from studyforge.jobs.models import Job
from studyforge.repo_courses import results, service
from studyforge.repo_courses.schemas import (
    AnalyzeDocuments,
    AnalyzeRepository,
    GeneratePathways,
    Stage1Selections,
)

STEPS = ("Repository", "Documents", "Pathways", "Course")
RUNNING = {
    "stage1": "Reading the repository",
    "stage2": "Analysing the documents",
    "stage3": "Planning the pathways",
    "stage4": "Writing the course",
}
FAILED = {
    "stage1": "The repository could not be read",
    "stage2": "The documents could not be analysed",
    "stage3": "The pathways could not be planned",
    "stage4": "The course could not be written",
}
# What each stage's success leads to: the form of the next step, or the finished course.
AFTER = {"stage1": "folders", "stage2": "analyses", "stage3": "pathways", "stage4": "done"}
# The step (of STEPS) each of those views belongs to: the documents are chosen and their
# analyses checked in step 2, a pathway is planned and chosen in step 3; 5 is all done.
VIEW_STEP = {"folders": 2, "analyses": 2, "pathways": 3, "done": 5}
LEVELS = (
    ("beginner", "Beginner", "new to the project: every idea explained"),
    ("intermediate", "Intermediate", "knows the basics: focus on how things fit together"),
    ("advanced", "Advanced", "uses it daily: internals, trade-offs, edge cases"),
)
URL_SCHEMES = ("https://", "ssh://", "git://", "file://")
MESSAGES = {
    "source": "Enter the repository's address, or choose an archive of it.",
    "both": "Give either an address or an archive, not both.",
    "url": "Write the address on one line, at most 2,000 characters.",
    "scheme": "Only https://, ssh:// and git:// addresses can be read, e.g. "
    "https://github.com/pallets/click.git.",
    "archive": "Choose a .zip or .tar.gz file of the repository.",
    "folders": "Check at least one folder: the course is made from the documents in it.",
    "level": "Choose beginner, intermediate or advanced.",
    "notes": "Keep the notes under 2,000 characters, without control characters.",
    "pathway": "Choose one of the pathways shown.",
    "running": "A step of this course is still running. Wait for it to finish, then try again.",
    "not_ready": "That step cannot start yet: the step before it has not finished.",
}
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
FILES_SHOWN = 6


@dataclass(frozen=True)
class Posted:
    """A posted wizard form: its text fields as typed, the checked folders, and the archive
    (its file name and bytes) if one was chosen."""

    values: dict[str, str]
    folders: list[str]
    archive: tuple[str, bytes] | None = None

    def get(self, name: str) -> str:
        """A text field as typed (empty when absent)."""
        return self.values.get(name, "")


async def posted_form(request: Request) -> Posted:
    """The posted form (a dependency, so that the handlers themselves stay sync). Folder
    checkboxes are `folder-1`, `folder-2`...: a form may send each field name only once."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    folders = [v for k, v in values.items() if k.startswith("folder-")]
    upload = form.get("archive")
    archive = None
    if isinstance(upload, UploadFile) and upload.filename:
        archive = (upload.filename, await upload.read())
    return Posted(values, folders, archive)


@dataclass(frozen=True)
class Source:
    """Where stage 1 reads from: a URL, or an archive's name and bytes."""

    url: str
    archive: bytes | None = None


def parse_source(posted: Posted) -> Source | dict[str, str]:
    """The repository the form names, or the field errors."""
    url = posted.get("repo_url").strip()
    if posted.archive and url:
        return {"source": MESSAGES["both"]}
    if posted.archive:
        name, data = posted.archive
        label = name.strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if not label.lower().endswith(ARCHIVE_SUFFIXES) or not data:
            return {"archive": MESSAGES["archive"]}
        for suffix in ARCHIVE_SUFFIXES:
            label = label.removesuffix(suffix)
        return Source(label or "archive", data)
    if not url:
        return {"source": MESSAGES["source"]}
    try:
        AnalyzeRepository(repo_url=url)
    except ValidationError:
        return {"url": MESSAGES["url"]}
    if "://" in url and not url.lower().startswith(URL_SCHEMES):
        return {"url": MESSAGES["scheme"]}
    return Source(url)


@dataclass(frozen=True)
class FolderChoice:
    """The folders step's form: folders, overview document, level and notes."""

    folders: list[str] = field(default_factory=list)
    overview: str | None = None
    level: str = "intermediate"
    notes: str = ""
    given: bool = False  # sent by the user (else the overview's best guess is preselected)


def parse_folders(posted: Posted) -> tuple[FolderChoice, dict[str, str]]:
    """The folders step as typed, and what is wrong with it."""
    overview = posted.get("overview").strip()
    choice = FolderChoice(
        list(dict.fromkeys(posted.folders)),
        None if overview in ("", "none") else overview,
        posted.get("level") or "intermediate",
        posted.get("notes"),
        given=True,
    )
    errors: dict[str, str] = {}
    if not choice.folders:
        errors["folders"] = MESSAGES["folders"]
    else:
        try:
            Stage1Selections(selected_folders=choice.folders, overview_document=choice.overview)
        except ValidationError:
            errors["folders"] = "Those folder names are not valid; check folders from the list."
    try:
        AnalyzeDocuments.model_validate({"complexity_level": choice.level,
                                         "additional_info": choice.notes})  # fmt: skip
    except ValidationError as exc:
        for err in exc.errors():
            name = "level" if err["loc"][:1] == ("complexity_level",) else "notes"
            errors[name] = MESSAGES[name]
    return choice, errors


def parse_notes(posted: Posted) -> tuple[str, dict[str, str]]:
    """The pathways step's notes, and what is wrong with them."""
    notes = posted.get("notes")
    try:
        GeneratePathways(additional_info=notes)
    except ValidationError:
        return notes, {"notes": MESSAGES["notes"]}
    return notes, {}


def parse_pathway(posted: Posted) -> uuid.UUID | None:
    """The chosen pathway's id (None when the form sent none or a malformed one)."""
    try:
        return uuid.UUID(posted.get("pathway_id").strip())
    except ValueError:
        return None


@dataclass
class FolderNode:
    """A documentation folder of the tree, with its documents and subfolders."""

    path: str
    label: str
    index: int
    documents: int
    files: list[str]
    more: int
    children: list[FolderNode] = field(default_factory=list)


def _parent(path: str, nodes: dict[str, FolderNode]) -> FolderNode | None:
    parts = path.split("/")
    for end in range(len(parts) - 1, 0, -1):
        found = nodes.get("/".join(parts[:end]))
        if found is not None:
            return found
    return nodes.get(".") if path != "." else None


def folder_tree(folders: list[str], docs: list[str]) -> list[FolderNode]:
    """The documentation folders as a tree ("." is the whole repository, at the root), each
    with its number of documents (subfolders included) and the names of its own."""
    ordered = sorted(set(folders), key=lambda p: () if p == "." else tuple(p.split("/")))
    nodes: dict[str, FolderNode] = {}
    roots: list[FolderNode] = []
    for index, path in enumerate(ordered, 1):
        parent = _parent(path, nodes)
        label = "Whole repository" if path == "." else path
        if parent is not None and parent.path != ".":
            label = path.removeprefix(parent.path + "/")
        own = [posixpath.basename(d) for d in docs if (posixpath.dirname(d) or ".") == path]
        count = sum(service.in_folder(d, path) for d in docs)
        node = FolderNode(path, label, index, count, own[:FILES_SHOWN], len(own) - FILES_SHOWN)
        (parent.children if parent is not None else roots).append(node)
        nodes[path] = node
    return roots


@dataclass(frozen=True)
class Step:
    """One of the four steps, as the step list shows it."""

    number: int
    label: str
    state: str  # done | current | todo


@dataclass
class Wizard:
    """Where a repository course is: its newest stage, that stage's status, and the view."""

    course: Course
    stage: str | None
    status: dict[str, Any]
    view: str  # start | running | failed | folders | analyses | pathways | done

    @property
    def step(self) -> int:
        """The current step (1-4; 5 once the course is written); a running or failed stage
        is its own step."""
        if self.stage is None:
            return 1
        return VIEW_STEP.get(self.view, service.STAGES.index(self.stage) + 1)

    @property
    def running(self) -> bool:
        """Whether a stage is running (the page then follows its progress)."""
        return self.view == "running"

    def steps(self) -> list[Step]:
        """The four steps, done, current or to come."""
        return [
            Step(n, label, "done" if n < self.step else "current" if n == self.step else "todo")
            for n, label in enumerate(STEPS, 1)
        ]


def wizard_state(session: Session, course: Course) -> Wizard:
    """The course's newest stage (a later one only exists once the earlier succeeded)."""
    latest: dict[str, Any] | None = None
    for stage in service.STAGES:
        status = service.stage_status(session, course, stage)
        if status["task_id"] is not None:
            latest = status
    if latest is None:
        return Wizard(course, None, {}, "start")
    state = latest["status"]
    view = "running" if state in service.ACTIVE else "failed"
    if state == "SUCCESS":
        view = AFTER[latest["stage"]]
    return Wizard(course, latest["stage"], latest, view)


def from_archive(session: Session, wizard: Wizard) -> str | None:
    """The blob key of the archive stage 1 read, when the course came from an upload."""
    first = service.stage_status(session, wizard.course, "stage1")
    job = session.get(Job, first["task_id"]) if first["task_id"] else None
    key = (job.params or {}).get("archive_key") if job is not None else None
    return str(key) if key else None


def view_context(session: Session, wizard: Wizard) -> dict[str, Any]:
    """What the current view needs from the stage results."""
    course = wizard.course
    if wizard.view == "folders":
        found = results.repository_files(session, course)
        docs = [f.file_path for f in found["files"] if f.is_documentation]
        return {"tree": folder_tree(found["folders"], docs), "found": found, "docs": len(docs)}
    if wizard.view == "analyses":
        return {"analysed": results.analyzed_documents(session, course)}
    if wizard.view == "pathways":
        return {"offered": results.pathways(session, course)}
    if wizard.view == "done":
        return {"made": results.generated_course(session, course)}
    return {}


def first_line(text: str | None, limit: int = 300) -> str:
    """The first line of a message, shortened (a document's failure reason can be long)."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
