"""Unpack an uploaded repository archive (.zip, .tar.gz/.tgz) safely and within the limits.

Rules (a hostile archive is refused as a whole, with `REPO_UNSAFE_PATH`):
- member names that are absolute (`/x`, `C:x`), contain `..`, or NUL bytes are refused;
  backslashes count as folder separators, so `..\\evil` is caught too;
- device files and FIFOs are refused; symlinks and hardlinks pointing outside the archive are
  refused; links that stay inside are never created (dropped and listed in `skipped`);
- before a byte is written: zip members' declared sizes are summed against `max_bytes`, the
  file count and depth are checked, and a compression ratio over 100 (for more than 1 MiB)
  is refused as a bomb (`REPO_TOO_LARGE`); tar members are checked the same way one by one
  while streaming; bytes are counted again as they are written;
- files are written with `O_NOFOLLOW` and mode 0644, whatever the archive says;
- a single top-level folder (as GitHub archives have) is stripped; its name is the repo name.
The commit id is taken from the archive comment `git archive` writes, when there is one.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import stat
import tarfile
import tempfile
import zipfile
import zlib
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from studyforge.repo_courses.checkout import (
    Checkout,
    Limits,
    RepoAccessError,
    prepare_dest,
    remove_tree,
    sweep_and_check,
    too_large,
)

_MAX_RATIO = 100  # uncompressed/compressed; source trees compress 3-10x
_RATIO_FLOOR = 1 << 20  # below 1 MiB any ratio is harmless
_CHUNK = 1 << 16
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def extract_archive(
    data: bytes | Path, dest: Path, *, max_bytes: int, max_files: int, max_depth: int
) -> Checkout:
    """Unpack a .zip or .tar.gz into `dest` (absent or empty); `dest` is removed on failure."""
    prepare_dest(dest)
    limits = Limits(max_bytes, max_files, max_depth)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest.parent))
    try:
        with ExitStack() as stack:
            if isinstance(data, Path):
                source: IO[bytes] = stack.enter_context(data.open("rb"))
                length = data.stat().st_size
            else:
                source, length = io.BytesIO(data), len(data)
            magic = source.read(4)
            source.seek(0)
            if magic.startswith(b"PK"):
                skipped, commit = _unzip(source, length, staging, limits)
            elif magic.startswith(b"\x1f\x8b"):
                skipped, commit = _untar(source, length, staging, limits)
            else:
                raise _invalid("Upload the repository as a .zip or .tar.gz file.")
        top = list(staging.iterdir())
        root = top[0] if len(top) == 1 and top[0].is_dir() and not top[0].is_symlink() else staging
        if dest.exists():
            dest.rmdir()
        os.replace(root, dest)
        skipped += sweep_and_check(dest, limits)
    except BaseException:
        remove_tree(dest)
        raise
    finally:
        remove_tree(staging)
    return Checkout(dest, commit, root.name if root != staging else dest.name, skipped)


def _invalid(message: str) -> RepoAccessError:
    return RepoAccessError(message, "REPO_ARCHIVE_INVALID")


def _unsafe(name: str, why: str) -> RepoAccessError:
    shown = "".join(c if c.isprintable() else "?" for c in name)[:200]
    return RepoAccessError(f"The archive is unsafe: {shown!r} {why}.", "REPO_UNSAFE_PATH")


def member_path(name: str) -> str | None:
    """The safe relative POSIX path of an archive member, None for the archive root itself."""
    clean = name.replace("\\", "/")
    if "\0" in clean or clean.startswith("/") or re.match(r"^[A-Za-z]:", clean):
        raise _unsafe(name, "has an absolute path")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _unsafe(name, "points outside the archive ('..')")
    return "/".join(parts) or None


def _check_link(rel: str, target: str, *, hard: bool) -> str:
    """Refuse a link whose target leaves the archive; return the `skipped` note for it."""
    clean = target.replace("\\", "/")
    joined = clean if hard else posixpath.join(posixpath.dirname(rel), clean)
    normal = posixpath.normpath(joined)
    if clean.startswith("/") or normal == ".." or normal.startswith("../") or "\0" in clean:
        raise _unsafe(rel, f"links outside the archive (to {target[:100]!r})")
    return f"{rel} ({'hardlink' if hard else 'symlink'}, not created)"


def _check_ratio(size: int, compressed: int, name: str) -> None:
    if size > _RATIO_FLOOR and size > _MAX_RATIO * max(compressed, 1):
        raise RepoAccessError(
            f"The archive looks like a decompression bomb ({name[:100]!r} expands "
            f"{size // max(compressed, 1)}x).",
            "REPO_TOO_LARGE",
        )


def _write(out: Path, rel: str, source: IO[bytes], written: Limits) -> None:
    """Copy one member, counting real bytes (declared sizes can lie)."""
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    with os.fdopen(os.open(path, flags, 0o644), "wb") as target:
        while chunk := source.read(_CHUNK):
            written.bytes += len(chunk)
            if written.bytes > written.max_bytes:
                raise too_large(written.max_bytes)
            target.write(chunk)


def _unzip(
    source: IO[bytes], length: int, out: Path, limits: Limits
) -> tuple[list[str], str | None]:
    skipped: list[str] = []
    written = Limits(limits.max_bytes, limits.max_files, limits.max_depth)
    try:
        with zipfile.ZipFile(source) as archive:
            plan: list[tuple[str, zipfile.ZipInfo]] = []
            for info in archive.infolist():
                rel = member_path(info.filename)
                mode = info.external_attr >> 16
                if rel is None or info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise _invalid("The archive is password-protected; upload it unencrypted.")
                if stat.S_ISLNK(mode):
                    if info.file_size > 4096:
                        raise _unsafe(rel, "is a symlink with an oversized target")
                    target = archive.read(info).decode("utf-8", "replace")
                    skipped.append(_check_link(rel, target, hard=False))
                    continue
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: no type recorded
                    raise _unsafe(rel, "is a device or other special file")
                limits.add_file(rel, info.file_size)
                _check_ratio(info.file_size, info.compress_size, rel)
                _check_ratio(limits.bytes, length, "the archive")
                plan.append((rel, info))
            for rel, info in plan:
                with archive.open(info) as member:
                    _write(out, rel, member, written)
            comment = archive.comment.decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, zlib.error) as exc:
        raise _invalid(f"The zip file is damaged or unsupported ({exc}).") from None
    except (UnicodeDecodeError, RuntimeError, ValueError):  # bad names, encrypted links...
        raise _invalid("The zip file is damaged or unsupported.") from None
    except (EOFError, OSError) as exc:
        raise _invalid(f"The zip file could not be unpacked ({exc}).") from None
    return skipped, comment if _COMMIT.match(comment) else None


def _untar(
    source: IO[bytes], length: int, out: Path, limits: Limits
) -> tuple[list[str], str | None]:
    skipped: list[str] = []
    written = Limits(limits.max_bytes, limits.max_files, limits.max_depth)
    try:
        # Stream mode ("r|gz"): one pass, each member checked before its data is read.
        with tarfile.open(fileobj=source, mode="r|gz") as archive:
            for member in archive:
                rel = member_path(member.name)
                if rel is None or member.isdir():
                    continue
                if member.issym() or member.islnk():
                    skipped.append(_check_link(rel, member.linkname, hard=member.islnk()))
                    continue
                if not member.isreg():
                    raise _unsafe(rel, "is a device or other special file")
                limits.add_file(rel, member.size)
                _check_ratio(limits.bytes, length, "the archive")
                extracted = archive.extractfile(member)
                if extracted is not None:
                    _write(out, rel, extracted, written)
            comment = str(archive.pax_headers.get("comment", "")).strip()
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _invalid(f"The .tar.gz file is damaged or unsupported ({exc}).") from None
    except OSError as exc:
        raise _invalid(f"The .tar.gz file could not be unpacked ({exc}).") from None
    return skipped, comment if _COMMIT.match(comment) else None
