"""What clone and archive extraction share: errors, the `Checkout` result, limits, the sweep.

Import these from `studyforge.repo_courses.access`, which re-exports the public names.
Depth is the number of folders above a file: `README.md` is 0, `docs/a/b.md` is 2.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from studyforge.errors import AppError, TransientError


class RepoAccessError(AppError):
    """A repository that cannot be used, with a message the user can act on (permanent)."""

    code = "REPO_ACCESS_FAILED"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)


class RepoTransientError(RepoAccessError, TransientError):
    """A failure worth retrying later: timeouts, refused or dropped connections."""

    status = 503


@dataclass
class Checkout:
    """A repository's files on disk: no symlinks, no `.git`, within the limits."""

    root: Path
    commit: str | None
    repo_name: str
    skipped: list[str] = field(default_factory=list)


def too_large(max_bytes: int) -> RepoAccessError:
    """The error for a repository over the byte limit."""
    return RepoAccessError(
        f"The repository is larger than {max_bytes / 1e6:.1f} MB; choose a smaller one.",
        "REPO_TOO_LARGE",
    )


@dataclass
class Limits:
    """Running totals checked against the limits as files are planned or found."""

    max_bytes: int
    max_files: int
    max_depth: int
    bytes: int = 0
    files: int = 0

    def check_depth(self, rel: str) -> None:
        """Refuse a path nested deeper than the limit."""
        if rel.count("/") > self.max_depth:
            raise RepoAccessError(
                f"The repository nests folders deeper than {self.max_depth} levels.",
                "REPO_TOO_DEEP",
            )

    def add_file(self, rel: str, size: int) -> None:
        """Count one file of `size` bytes at `rel`; raise as soon as a limit is exceeded."""
        self.check_depth(rel)
        self.files += 1
        self.bytes += size
        if self.files > self.max_files:
            raise RepoAccessError(
                f"The repository has more than {self.max_files} files.", "REPO_TOO_MANY_FILES"
            )
        if self.bytes > self.max_bytes:
            raise too_large(self.max_bytes)


def tree_bytes(root: Path) -> int:
    """Bytes of everything under `root` (links not followed); tolerant of files vanishing."""
    total, stack = 0, [str(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
        except FileNotFoundError:  # git renames its temporary files while we look
            continue
    return total


def sweep_and_check(root: Path, limits: Limits) -> list[str]:
    """Delete every symlink or special file under `root` without following any, then check the
    remaining regular files against the limits. Returns what was deleted, for `skipped`."""
    skipped: list[str] = []
    measured = Limits(limits.max_bytes, limits.max_files, limits.max_depth)
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                rel = Path(entry.path).relative_to(root).as_posix()
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    measured.add_file(rel, entry.stat(follow_symlinks=False).st_size)
                else:
                    kind = "symlink, not followed" if entry.is_symlink() else "special file"
                    os.unlink(entry.path)
                    skipped.append(f"{rel} ({kind})")
    return skipped


def prepare_dest(dest: Path) -> None:
    """Require `dest` to be absent or an empty folder (it is deleted on failure)."""
    if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise ValueError(f"{dest} must not exist or must be an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)


def remove_tree(path: Path) -> None:
    """Delete a partial checkout (shutil.rmtree never follows symlinks)."""
    shutil.rmtree(path, ignore_errors=True)
