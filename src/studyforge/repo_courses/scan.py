"""Stage 1, documentation scanning: which files of a checkout are documentation, and which of
them could introduce the course (the overview candidates).

`scan(root, max_doc_bytes=...)` walks a checkout without following symlinks (they are skipped)
and returns every folder and file (`Scan.files`, one entry per row of the specification's
`repository_files` table), the folders holding documentation (`Scan.folders`) and the
overview candidates, best first. `read_text` reads one scanned document as text, safely.

Rules, decided here:
- Paths are relative POSIX paths; the root folder is spelled "." in `Scan.folders` and has no
  entry of its own in `Scan.files`. A folder is listed in `Scan.folders` when it holds
  documentation directly or in a subfolder (so a folder tree can be drawn from the list).
- Skipped entirely (not listed): hidden folders (`.git`, `.github`, ...), `node_modules`,
  vendored, build and output folders (`vendor`, `third_party`, `build`, `dist`, `_build`,
  `_site`, `site-packages`, `__pycache__`, `venv`, ...), any folder holding a `pyvenv.cfg`
  (a virtualenv), symlinks and special files, names that are not UTF-8 or paths over 1000
  characters (the table's column).
- Documentation formats: markdown (.md .markdown .mdx), rst (.rst .rest, and .txt inside a
  Sphinx source folder, one holding conf.py and an index or contents page, as Django's docs
  are), asciidoc (.adoc .asciidoc), text (.txt except requirements/constraints/CMakeLists/
  robots files, and extension-less README, CONTRIBUTING, CHANGES, LICENSE ... files), html
  (.html .htm, except inside template/static folders), notebook (.ipynb). A file over
  `max_doc_bytes`, with a NUL byte in its first 8 KB, or a notebook that is not valid JSON is
  listed as a plain file, not documentation: every documentation file can be read with
  `read_text`.
- License files (LICENSE*, LICENCE*, COPYING*, NOTICE*) are documentation but never overview
  candidates.
- Overview candidates, best first: the root README (Markdown before reST before others), then
  index pages at the root or up to two folders into a docs folder (docs/index.rst), then other
  READMEs by depth, then guides up to two folders deep (quickstart*, getting-started*, intro*,
  overview*, tutorial*). At most `MAX_OVERVIEW_CANDIDATES`; exactly those are flagged.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from studyforge.repo_courses.checkout import RepoAccessError

FORMATS = ("markdown", "rst", "asciidoc", "text", "html", "notebook")  # preference order
MAX_OVERVIEW_CANDIDATES = 20
_EXTENSIONS = {
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".rst": "rst", ".rest": "rst",
    ".adoc": "asciidoc", ".asciidoc": "asciidoc", ".txt": "text", ".html": "html", ".htm": "html",
    ".ipynb": "notebook",
}  # fmt: skip
_SKIP_DIRS = {
    "node_modules", "bower_components", "jspm_packages", "vendor", "vendors", "third_party",
    "thirdparty", "3rdparty", "external", "build", "dist", "_build", "_site", "site-packages",
    "dist-packages", "__pycache__", "venv", "virtualenv", "htmlcov", "coverage",
}  # fmt: skip
_TEMPLATE_DIRS = {"templates", "_templates", "layouts", "_layouts", "partials", "_includes"}
_TEMPLATE_DIRS |= {"includes", "static", "_static", "assets"}
_PLAIN_NAMES = {
    "readme", "contributing", "changes", "changelog", "history", "news", "authors", "install",
    "usage", "faq", "todo", "security", "support", "code_of_conduct", "thanks", "credits",
}  # fmt: skip
_LICENSE = re.compile(r"^(licen[cs]e|copying|notice|unlicense)", re.I)
_NOT_DOC_TXT = re.compile(r"(requirements|constraints)|^(cmakelists|robots)\.txt$", re.I)
_DOC_ROOTS = {"docs", "doc", "documentation", "guide", "guides", "manual", "book", "wiki"}
_GUIDES: tuple[str, ...] = (
    "quickstart",
    "quick-start",
    "getting-started",
    "gettingstarted",
    "get-started",
)
_GUIDES += ("intro", "overview", "tutorial")
_SNIFF_BYTES = 8192
_MAX_PATH = 1000


@dataclass(frozen=True)
class ScannedFile:
    """One folder or file, as a row of `repository_files` (`file_size` is None for folders)."""

    path: str
    file_type: Literal["folder", "file"]
    is_documentation: bool = False
    is_overview_candidate: bool = False
    file_size: int | None = None
    doc_format: str | None = None


@dataclass
class Scan:
    """What `scan` found: every entry, the documentation folders, the overview candidates."""

    folders: list[str] = field(default_factory=list)
    files: list[ScannedFile] = field(default_factory=list)
    overview_candidates: list[str] = field(default_factory=list)


class RepoDocumentError(RepoAccessError):
    """A document that cannot be read: outside the checkout, missing, too large, invalid."""


def scan(root: Path, *, max_doc_bytes: int) -> Scan:
    """Walk `root` (never following symlinks) and classify every folder and file."""
    entries: list[ScannedFile] = []
    stack: list[tuple[str, str, bool]] = [(str(root), "", False)]
    while stack:
        folder, rel_folder, in_sphinx = stack.pop()
        with os.scandir(folder) as found:
            children = sorted(found, key=lambda e: e.name)
        in_sphinx = in_sphinx or _is_sphinx_source({e.name for e in children})
        for entry in children:
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            if not _storable(rel):
                continue
            if entry.is_dir(follow_symlinks=False):
                if not _skip_dir(entry):
                    entries.append(ScannedFile(rel, "folder"))
                    stack.append((entry.path, rel, in_sphinx))
            elif entry.is_file(follow_symlinks=False):
                size = entry.stat(follow_symlinks=False).st_size
                fmt = _doc_format(rel, size, in_sphinx, max_doc_bytes)
                if fmt is not None and not _readable(entry.path, fmt, max_doc_bytes):
                    fmt = None
                entries.append(ScannedFile(rel, "file", fmt is not None, False, size, fmt))
    return _summarise(entries)


def _is_sphinx_source(names: set[str]) -> bool:
    starts = {"index.rst", "index.txt", "contents.rst", "contents.txt"}
    return "conf.py" in names and bool(starts & names)


def _storable(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir's surrogate escapes for non-UTF-8 names
        return False
    return len(rel) <= _MAX_PATH


def _skip_dir(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name.startswith(".") or name.lower() in _SKIP_DIRS:
        return True
    return os.path.lexists(os.path.join(entry.path, "pyvenv.cfg"))


def _doc_format(rel: str, size: int, in_sphinx: bool, max_doc_bytes: int) -> str | None:
    """The documentation format of a file by its name and place, None when not documentation."""
    if size > max_doc_bytes:
        return None
    parts = rel.lower().split("/")
    name = parts[-1]
    ext = os.path.splitext(name)[1]
    fmt = _EXTENSIONS.get(ext)
    if ext == ".txt":
        if _NOT_DOC_TXT.search(name):
            return None
        fmt = "rst" if in_sphinx else "text"
    elif fmt == "html" and _TEMPLATE_DIRS.intersection(parts[:-1]):
        return None
    elif fmt is None and "." not in name and (name in _PLAIN_NAMES or _LICENSE.match(name)):
        fmt = "text"
    return fmt


def _readable(path: str, fmt: str, max_doc_bytes: int) -> bool:
    """False for binary files (a NUL in the first 8 KB) and notebooks `read_text` would refuse,
    so that every file flagged as documentation can be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if b"\0" in head:
            return False
        if fmt != "notebook":
            return True
        data = head + handle.read(max_doc_bytes)
    try:
        notebook_text(data.decode("utf-8", "replace"))
    except RepoDocumentError:
        return False
    return True


def _overview_rank(rel: str, fmt: str) -> tuple[int, int, int, int, int, str] | None:
    """Sort key of an overview candidate (lower is better), None when it is not one."""
    parts = rel.lower().split("/")
    name, depth = parts[-1], len(parts) - 1
    stem = name.split(".", 1)[0]
    if _LICENSE.match(name):
        return None
    order = FORMATS.index(fmt)
    if stem == "readme":
        return (0 if depth == 0 else 2, depth, 0, order, len(name), rel)
    in_docs = depth == 0 or parts[0] in _DOC_ROOTS
    if stem == "index" and in_docs and depth <= 2:
        return (1, depth, 0, order, len(name), rel)
    guide = stem.replace("_", "-")
    kinds = [i for i, prefix in enumerate(_GUIDES) if guide.startswith(prefix)]
    if kinds and depth <= 2:
        return (3, depth, kinds[0], order, len(name), rel)
    return None


def _summarise(entries: list[ScannedFile]) -> Scan:
    entries.sort(key=lambda e: e.path)
    ranked = []
    folders: set[str] = set()
    for entry in entries:
        if not entry.is_documentation or entry.doc_format is None:
            continue
        parent = PurePosixPath(entry.path).parent
        folders.update(p.as_posix() for p in (parent, *parent.parents))
        rank = _overview_rank(entry.path, entry.doc_format)
        if rank is not None:
            ranked.append((rank, entry.path))
    best = [path for _, path in sorted(ranked)[:MAX_OVERVIEW_CANDIDATES]]
    chosen = set(best)
    files = [
        ScannedFile(e.path, e.file_type, e.is_documentation, True, e.file_size, e.doc_format)
        if e.path in chosen
        else e
        for e in entries
    ]
    ordered = sorted(folders, key=lambda f: (f != ".", f))
    return Scan(folders=ordered, files=files, overview_candidates=best)


# -- reading one document -------------------------------------------------------------------


def read_text(root: Path, rel: str, max_doc_bytes: int) -> str:
    """One document under `root` as text (UTF-8, invalid bytes replaced); notebooks as
    Markdown with fenced code cells. Refuses paths leaving `root` and symlinks on the way."""
    path = _inside(root, rel)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        raise RepoDocumentError(f"{rel} cannot be opened.", "REPO_DOC_NOT_FOUND") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RepoDocumentError(f"{rel} is not a regular file.", "REPO_UNSAFE_PATH")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(max_doc_bytes + 1)
    if len(data) > max_doc_bytes:
        raise RepoDocumentError(
            f"{rel} is larger than {max_doc_bytes} bytes; it is not read.", "REPO_DOC_TOO_LARGE"
        )
    # NUL bytes past the sniffed start: no database stores them in text, no reader needs them.
    text = data.decode("utf-8", "replace").removeprefix("\ufeff").replace("\0", "")
    return notebook_text(text, rel) if rel.lower().endswith(".ipynb") else text


def _inside(root: Path, rel: str) -> Path:
    """`root / rel`, checked component by component: no `..`, no absolute path, no symlink."""
    pure = PurePosixPath(rel)
    if not rel or "\0" in rel or pure.is_absolute() or ".." in pure.parts:
        raise RepoDocumentError(f"{rel!r} is not a path inside the repository.", "REPO_UNSAFE_PATH")
    current = root
    for i, part in enumerate(pure.parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            raise RepoDocumentError(f"{rel} does not exist.", "REPO_DOC_NOT_FOUND") from None
        if stat.S_ISLNK(mode):
            raise RepoDocumentError(f"{rel} goes through a symlink.", "REPO_UNSAFE_PATH")
        if i < len(pure.parts) - 1 and not stat.S_ISDIR(mode):
            raise RepoDocumentError(f"{rel} does not exist.", "REPO_DOC_NOT_FOUND")
    return current


def notebook_text(text: str, rel: str = "notebook") -> str:
    """A Jupyter notebook's JSON as text: Markdown cells as they are, code cells fenced in the
    notebook's language (Python unless it says otherwise), outputs and raw cells dropped."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RepoDocumentError(
            f"{rel} is not a valid notebook: invalid JSON at line {exc.lineno}.",
            "REPO_NOTEBOOK_INVALID",
        ) from None
    if not isinstance(notebook, dict):
        raise RepoDocumentError(f"{rel} is not a valid notebook.", "REPO_NOTEBOOK_INVALID")
    cells = notebook.get("cells")
    sheets = notebook.get("worksheets")
    if cells is None and isinstance(sheets, list):  # nbformat 3 keeps cells in worksheets
        cells = [c for s in sheets if isinstance(s, dict) for c in s.get("cells") or []]
    if not isinstance(cells, list):
        raise RepoDocumentError(
            f"{rel} is not a valid notebook: it has no cells.", "REPO_NOTEBOOK_INVALID"
        )
    lang = _language(notebook.get("metadata"))
    parts = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = _source(cell.get("source", cell.get("input", "")))
        if not source.strip():
            continue
        if cell.get("cell_type") == "markdown":
            parts.append(source.strip("\n"))
        elif cell.get("cell_type") == "code":
            runs = [len(m) for m in re.findall(r"`{3,}", source)]
            fence = "`" * max(3, max(runs, default=0) + 1)
            parts.append(f"{fence}{lang}\n{source.rstrip()}\n{fence}")
    return "\n\n".join(parts) + ("\n" if parts else "")


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _language(metadata: Any) -> str:
    meta = metadata if isinstance(metadata, dict) else {}
    info, kernel = meta.get("language_info"), meta.get("kernelspec")
    name = (info.get("name") if isinstance(info, dict) else None) or (
        kernel.get("language") if isinstance(kernel, dict) else None
    )
    if isinstance(name, str) and re.fullmatch(r"[\w+#.-]{1,30}", name):
        return name.lower()
    return "python"
