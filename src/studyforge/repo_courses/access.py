"""Stage 1, safe repository access: check a URL, clone it with git, or unpack an uploaded archive.

This is the public entry point: `check_url` (implemented in `urls.py`), `clone`,
`extract_archive` (implemented in `archive.py`), `Checkout`, `RepoAccessError` and
`RepoTransientError` (from `checkout.py`).
Everything that reaches the disk is bounded (bytes, files, folder depth, time) and contains no
symlinks, so later stages can read the checkout with plain file operations.

Decisions a caller should know:
- Schemes: `https://`, `ssh://` and `git://` only. Plain `http://`, scp-like `git@host:path`
  (we answer with the `ssh://` spelling to use), `file://`, local paths, `ext::` and other
  remote helpers are refused; `allow_local=True` (tests, trusted single-user setups) also allows
  `file://`, local paths and loopback/private hosts.
- Credentials embedded in a URL are refused, never stripped and never echoed (only public
  repositories are supported); an `ssh://` user name without a password is fine.
- Every address the host resolves to must be public. The clone is then pinned to the checked
  address (curl resolve for https, ssh HostName, an IP literal for git://) so DNS cannot change
  between check and use, and HTTP redirects are not followed. Proxy variables are not passed on.
- git runs with no user or system config, no hooks, no LFS/filters, no submodules, no prompts,
  `core.symlinks=false`, and from a throwaway HOME. It clones without checkout first, checks
  the tree listing (`git ls-tree`) against the limits, and only then writes files.
- Symlinks never exist in a checkout: git writes a cloned symlink as a small placeholder file
  (`core.symlinks=false`). One whose target lies outside the checkout (absolute, or climbing
  above the root) refuses the whole repository (`REPO_UNSAFE_PATH`); the others are deleted;
  submodules are not fetched.
  Both are listed in `Checkout.skipped`; a final sweep deletes any link or special file left.
  The `.git` folder is removed once the commit id is read. Archives: see `archive.py`.
- Failures raise `RepoAccessError` (permanent: fix the URL or pick another repository) or its
  subclass `RepoTransientError` (timeouts, unreachable hosts: retry), each with a `code`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from studyforge.repo_courses.archive import extract_archive
from studyforge.repo_courses.checkout import (
    Checkout,
    Limits,
    RepoAccessError,
    RepoTransientError,
    prepare_dest,
    remove_tree,
    sweep_and_check,
    too_large,
    tree_bytes,
)
from studyforge.repo_courses.urls import Target, check_url, validate

__all__ = [
    "Checkout",
    "RepoAccessError",
    "RepoTransientError",
    "check_url",
    "clone",
    "extract_archive",
    "git_base_args",
    "git_clone_command",
    "git_env",
]

_POLL_SECONDS = 0.1  # how often a running git is checked against the deadline and size


# -- git -------------------------------------------------------------------------------------


def git_base_args(allow_local: bool) -> list[str]:
    """`git` plus the `-c` options that make any git command safe on an untrusted repository."""
    options = {
        "core.hooksPath": os.devnull,
        "core.symlinks": "false",  # symlinks arrive as placeholder files, deleted afterwards
        "core.fsmonitor": "false",
        "protocol.allow": "never",
        "protocol.https.allow": "always",
        "protocol.ssh.allow": "always",
        "protocol.git.allow": "always",
        "protocol.file.allow": "always" if allow_local else "never",
        "protocol.ext.allow": "never",
        "filter.lfs.smudge": "",
        "filter.lfs.process": "",
        "filter.lfs.required": "false",
        "http.followRedirects": "false",
        "submodule.recurse": "false",
    }
    args = ["git"]
    for key, value in options.items():
        args += ["-c", f"{key}={value}"]
    return args


def git_clone_command(url: str, dest: Path, *, allow_local: bool) -> list[str]:
    """The exact argument list `clone` runs (after checking the URL); for tests and logs."""
    return _clone_argv(validate(url, allow_local), dest, allow_local)


def _clone_argv(target: Target, dest: Path, allow_local: bool) -> list[str]:
    args, url = git_base_args(allow_local), target.url
    ssh = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
    ssh += " -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityFile=/dev/null"
    if target.address and target.scheme == "https":
        pinned = f"[{target.address}]" if ":" in target.address else target.address
        args += ["-c", f"http.curloptResolve={target.host}:{target.port}:{pinned}"]
    elif target.address and target.scheme == "ssh":
        ssh += f" -o HostName={shlex.quote(target.address)}"
    elif target.address and target.scheme == "git":
        literal = f"[{target.address}]" if ":" in target.address else target.address
        url = f"git://{literal}:{target.port}{urlsplit(url).path}"
    # No --filter=blob:limit: a partial clone fetches missing blobs at checkout anyway; size is
    # bounded by watching the pack while cloning and by the tree listing before checkout.
    args += ["-c", f"core.sshCommand={ssh}", "clone", "--no-checkout", "--depth", "1"]
    return [*args, "--single-branch", "--no-tags", "--no-recurse-submodules", "--", url, str(dest)]


def git_env(home: Path) -> dict[str, str]:
    """A minimal environment: no inherited git variables, proxies or credentials."""
    true = shutil.which("true") or "/bin/true"
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "LANG": "C",
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": true,
        "SSH_ASKPASS": true,
        "SSH_ASKPASS_REQUIRE": "never",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_LFS_SKIP_SMUDGE": "1",
    }


def clone(
    url: str,
    dest: Path,
    *,
    allow_local: bool,
    timeout: float,
    max_bytes: int,
    max_files: int,
    max_depth: int,
) -> Checkout:
    """Shallow-clone `url` into `dest` (absent or empty) within the limits; removed on failure."""
    target = validate(url, allow_local)
    prepare_dest(dest)
    limits = Limits(max_bytes, max_files, max_depth)
    deadline = time.monotonic() + timeout
    try:
        with tempfile.TemporaryDirectory(prefix="studyforge-git-") as home:
            env = git_env(Path(home))

            def git(argv: list[str], watch: Path | None = None) -> tuple[int, bytes, str]:
                return _run(argv, env, home, deadline, timeout, watch, max_bytes)

            code, _, err = git(_clone_argv(target, dest, allow_local), watch=dest)
            if code:
                raise _clone_failure(err, target.url)
            base = [*git_base_args(allow_local), "-C", str(dest)]
            code, out, _ = git([*base, "rev-parse", "--verify", "-q", "HEAD^{commit}"])
            if code:
                raise RepoAccessError("The repository is empty: it has no commit.", "REPO_EMPTY")
            code, listing, err = git([*base, "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"])
            if code:
                raise RepoAccessError(
                    f"Could not list the repository: {_tail(err)}", "REPO_CLONE_FAILED"
                )
            links, submodules = _check_listing(listing, limits)
            code, _, err = git([*base, "checkout", "--force", "--quiet", "HEAD"])
            if code:
                raise RepoAccessError(
                    f"Could not check out files: {_tail(err)}", "REPO_CLONE_FAILED"
                )
        skipped = _drop_placeholders(dest, links, submodules)
        shutil.rmtree(dest / ".git")
        skipped += sweep_and_check(dest, limits)
    except BaseException:
        remove_tree(dest)
        raise
    name = PurePosixPath(urlsplit(target.url).path.rstrip("/")).name.removesuffix(".git")
    return Checkout(dest, out.decode().strip(), name or target.host or "repository", skipped)


def _run(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    deadline: float,
    timeout: float,
    watch: Path | None,
    max_bytes: int,
) -> tuple[int, bytes, str]:
    """Run one git command in its own process group; kill the group on timeout or size."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd,
            start_new_session=True,
        )  # fmt: skip
        try:
            while True:
                finished = proc.poll() is not None
                if watch is not None and tree_bytes(watch) > max_bytes:
                    raise too_large(max_bytes)
                if finished:
                    break
                if time.monotonic() > deadline:
                    raise RepoTransientError(
                        f"Cloning took longer than {timeout:g} s; try again later.",
                        "REPO_CLONE_TIMEOUT",
                    )
                time.sleep(_POLL_SECONDS)
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # our own group: git and its helpers
                proc.wait()
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read().decode("utf-8", "replace")


_NOT_FOUND = (
    "not found", "does not appear to be a git repository", "not exported", "access denied",
    "authentication failed", "terminal prompts disabled", "could not read username",
    "permission denied", "returned error: 40", "host key verification failed",
)  # fmt: skip
_TRANSIENT = (
    "timed out", "connection refused", "connection reset", "could not resolve", "temporary",
    "unreachable", "no route to host", "hung up", "early eof", "rpc failed", "unable to access",
    "ssl", "gnutls", "returned error: 5",
)  # fmt: skip


def _clone_failure(stderr: str, url: str) -> RepoAccessError:
    text = stderr.lower()
    if any(p in text for p in _NOT_FOUND):
        return RepoAccessError(f"Repository not found or not public: {url}", "REPO_NOT_FOUND")
    if any(p in text for p in _TRANSIENT):
        return RepoTransientError(f"Could not reach {url}; try again later.", "REPO_UNREACHABLE")
    return RepoAccessError(f"Could not clone {url}: {_tail(stderr)}", "REPO_CLONE_FAILED")


def _tail(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    last = next(
        (ln for ln in reversed(lines) if ln.startswith("fatal:")), lines[-1] if lines else ""
    )
    return "".join(c if c.isprintable() else "?" for c in last)[:300] or "git failed"


def _check_listing(listing: bytes, limits: Limits) -> tuple[list[str], list[str]]:
    """Check `git ls-tree -r -l -z` output before any file is written; return links, submodules."""
    links, submodules = [], []
    for record in filter(None, listing.split(b"\0")):
        meta, _, raw = record.partition(b"\t")
        mode, _kind, _oid, size = meta.split()
        path = os.fsdecode(raw)
        if mode == b"120000":
            if int(size) > 4096:  # a link's target is a path, never megabytes
                raise RepoAccessError(f"The repository has an oversized symbolic link ({path}).",
                                      "REPO_UNSAFE_PATH")  # fmt: skip
            limits.add_file(path, int(size))
            links.append(path)
        elif mode == b"160000":
            limits.check_depth(path)
            submodules.append(path)
        else:
            limits.add_file(path, int(size))
    return links, submodules


def _escapes(rel: str, target: str) -> bool:
    """Whether a link at `rel` to `target` would lead outside the checkout."""
    if not target or target.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", target):
        return True
    resolved = os.path.normpath(os.path.join(os.path.dirname(rel), target))
    return resolved == ".." or resolved.startswith("../")


def _drop_placeholders(root: Path, links: list[str], submodules: list[str]) -> list[str]:
    """Delete the placeholder files of symlinks (git wrote each target as the file's text) and
    submodule folders. A link that points outside the checkout refuses the repository."""
    skipped = []
    for rel in links:
        path = root / rel
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as placeholder:
                target = placeholder.read(4096).decode("utf-8", "replace").strip()
            if _escapes(rel, target):
                raise RepoAccessError(
                    f"The repository has a symbolic link that points outside it ({rel}); such "
                    "repositories are not read. Remove the link or upload the files instead.",
                    "REPO_UNSAFE_PATH",
                )
            path.unlink()
        skipped.append(f"{rel} (symlink, not followed)")
    for rel in submodules:
        if (root / rel).is_dir() and not (root / rel).is_symlink():
            shutil.rmtree(root / rel)
        skipped.append(f"{rel} (submodule, not fetched)")
    return skipped
