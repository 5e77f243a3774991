"""Real clones: a `git daemon` on 127.0.0.1 and `file://`, hooks, symlinks, limits, timeouts.

Test repositories are built with the real git CLI in temporary folders; nothing leaves the
machine. URL checks are in test_access_urls.py, archives in test_archive.py.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studyforge.repo_courses import access
from studyforge.repo_courses.access import (
    RepoAccessError,
    RepoTransientError,
    clone,
)
from tests.support.gitserve import git, git_daemon, make_repo
from tests.support.servers import free_port

PUBLIC = "93.184.216.34"  # a public literal address: no DNS lookup, never contacted
LIMITS = {"max_bytes": 10_000_000, "max_files": 1000, "max_depth": 10}
SECRET = "outside-secret-0451"


HOOK = b'#!/bin/sh\ntouch "$MARKER_DIR/hook-ran"\n'


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder git daemon serves, with one repository per scenario."""
    base = tmp_path_factory.mktemp("served")
    (base / "outside").write_text(SECRET)
    make_repo(
        base / "repo",
        {
            "README.md": b"# Demo\n\nHello.\n",
            "docs/index.md": b"# Docs\n",
            ".githooks/post-checkout": HOOK,
        },
        links={"docs/alias.md": "index.md", "readme-link": "docs/../README.md"},
    )
    os.chmod(base / "repo/.githooks/post-checkout", 0o755)
    make_repo(base / "big", {"blob.bin": os.urandom(2_000_000)})
    make_repo(base / "zeros", {"zeros.txt": b"\0" * 5_000_000})
    make_repo(base / "many", {f"f{i:02}.md": b"x\n" for i in range(30)})
    make_repo(base / "deep", {"a/b/c/d/e/f/deep.md": b"deep\n"})
    for name, target in (("passwd", "/etc/passwd"), ("escape", "../outside"),
                         ("docs/up.md", "../../outside")):  # fmt: skip
        make_repo(base / f"link-{name.replace('/', '-')}", {"README.md": b"# Hi\n"},
                  links={name: target})  # fmt: skip
    (base / "empty").mkdir()
    git(base / "empty", "init", "-q", "--bare")
    return base


@pytest.fixture(scope="module")
def daemon(repos: Path) -> Iterator[int]:
    """A real `git daemon` on 127.0.0.1 serving `repos`; stopped by its pid."""
    with git_daemon(repos) as port:
        yield port


class SilentServer:
    """Accepts connections, reads, never answers; notes when a client hangs up. Bounded."""

    def __init__(self, lifetime: float = 30) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.client_gone = threading.Event()
        self.stop = threading.Event()
        self.deadline = time.monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conns: list[socket.socket] = []
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                conn, _ = self.sock.accept()
                conn.settimeout(0.2)
                conns.append(conn)
            except TimeoutError:
                pass
            for conn in list(conns):
                try:
                    if conn.recv(4096) == b"":
                        self.client_gone.set()
                        conns.remove(conn)
                except TimeoutError:
                    continue
                except OSError:
                    self.client_gone.set()
                    conns.remove(conn)
        for conn in conns:
            conn.close()
        self.sock.close()


def tree_files(root: Path) -> dict[str, bytes]:
    """Every regular file under root (no symlink may exist: asserted)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            assert not os.path.islink(os.path.join(folder, name)), name
        for name in files:
            path = Path(folder, name)
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


# -- clones ----------------------------------------------------------------------------------


def _check_demo_checkout(checkout: access.Checkout, source: Path) -> None:
    files = tree_files(checkout.root)
    assert files == {"README.md": b"# Demo\n\nHello.\n", "docs/index.md": b"# Docs\n"} | {
        ".githooks/post-checkout": HOOK
    }
    assert checkout.commit == git(source, "rev-parse", "HEAD")
    assert sorted(checkout.skipped) == [
        "docs/alias.md (symlink, not followed)",
        "readme-link (symlink, not followed)",
    ]
    for name in ("docs/alias.md", "readme-link", ".git"):
        assert not os.path.lexists(checkout.root / name)
    assert all(SECRET.encode() not in data and b"root:" not in data for data in files.values())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("repo", ["link-passwd", "link-escape", "link-docs-up.md"])
def test_a_symlink_out_of_the_checkout_refuses_the_repository(
    daemon: int, tmp_path: Path, repo: str
) -> None:
    dest = tmp_path / "c"
    with pytest.raises(RepoAccessError) as refused:
        clone(f"git://127.0.0.1:{daemon}/{repo}", dest, allow_local=True, timeout=30, **LIMITS)
    assert refused.value.code == "REPO_UNSAFE_PATH"
    assert "points outside it" in refused.value.message
    assert not dest.exists()  # nothing of it is left


@pytest.mark.timeout(60)
def test_clone_from_git_daemon(daemon: int, repos: Path, tmp_path: Path) -> None:
    checkout = clone(
        f"git://127.0.0.1:{daemon}/repo", tmp_path / "c", allow_local=True, timeout=30, **LIMITS
    )
    assert checkout.root == tmp_path / "c" and checkout.repo_name == "repo"
    _check_demo_checkout(checkout, repos / "repo")


@pytest.mark.timeout(60)
def test_clone_file_url_with_allow_local(repos: Path, tmp_path: Path) -> None:
    checkout = clone(
        (repos / "repo").as_uri(), tmp_path / "c", allow_local=True, timeout=30, **LIMITS
    )
    _check_demo_checkout(checkout, repos / "repo")


@pytest.mark.timeout(60)
def test_file_url_refused_without_allow_local(repos: Path, tmp_path: Path) -> None:
    with pytest.raises(RepoAccessError) as info:
        clone((repos / "repo").as_uri(), tmp_path / "c", allow_local=False, timeout=30, **LIMITS)
    assert info.value.code == "REPO_URL_REFUSED"
    assert not (tmp_path / "c").exists()


@pytest.mark.timeout(60)
def test_ext_transport_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for url in (f"ext::sh -c 'touch {marker}'", f"ext::touch% {marker}", f"ext::touch%20{marker}"):
        with pytest.raises(RepoAccessError):
            clone(url, tmp_path / "c", allow_local=True, timeout=10, **LIMITS)
    assert not marker.exists()


@pytest.mark.timeout(60)
def test_hooks_never_run_even_with_a_hostile_environment(
    daemon: int, repos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "template/hooks"
    hooks.mkdir(parents=True)
    (hooks / "post-checkout").write_bytes(HOOK)
    os.chmod(hooks / "post-checkout", 0o755)
    (tmp_path / "gitconfig").write_text(f"[core]\n\thooksPath = {hooks}\n")
    hostile = {
        "MARKER_DIR": str(tmp_path),
        "GIT_TEMPLATE_DIR": str(tmp_path / "template"),
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_PARAMETERS": f"'core.hookspath'='{hooks}'",
    }
    url = f"git://127.0.0.1:{daemon}/repo"
    # The setup is real: a plain git clone in this environment runs the hook.
    plain_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **hostile}
    git(tmp_path, "clone", "-q", url, str(tmp_path / "plain"), env=plain_env)
    assert (tmp_path / "hook-ran").exists()
    (tmp_path / "hook-ran").unlink()

    for name, value in hostile.items():
        monkeypatch.setenv(name, value)
    checkout = clone(url, tmp_path / "c", allow_local=True, timeout=30, **LIMITS)
    assert (checkout.root / ".githooks/post-checkout").read_bytes() == HOOK
    assert not (tmp_path / "hook-ran").exists()


@pytest.mark.timeout(60)
def test_missing_repository_is_a_clear_permanent_error(
    daemon: int, repos: Path, tmp_path: Path
) -> None:
    for url in (f"git://127.0.0.1:{daemon}/missing", (repos / "missing").as_uri()):
        with pytest.raises(RepoAccessError) as info:
            clone(url, tmp_path / "c", allow_local=True, timeout=30, **LIMITS)
        assert info.value.code == "REPO_NOT_FOUND", info.value.message
        assert not isinstance(info.value, RepoTransientError)
        assert str(info.value) == f"Repository not found or not public: {url}"
        assert not (tmp_path / "c").exists()


@pytest.mark.timeout(60)
def test_empty_repository(daemon: int, tmp_path: Path) -> None:
    with pytest.raises(RepoAccessError) as info:
        clone(f"git://127.0.0.1:{daemon}/empty", tmp_path / "c", allow_local=True, timeout=30,
              **LIMITS)  # fmt: skip
    assert info.value.code == "REPO_EMPTY"
    assert not (tmp_path / "c").exists()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("repo", "limits", "code"),
    [
        ("big", {"max_bytes": 500_000}, "REPO_TOO_LARGE"),  # incompressible: a large pack
        ("zeros", {"max_bytes": 1_000_000}, "REPO_TOO_LARGE"),  # tiny pack, huge file
        ("many", {"max_files": 10}, "REPO_TOO_MANY_FILES"),
        ("deep", {"max_depth": 3}, "REPO_TOO_DEEP"),
    ],
)
def test_clone_over_a_limit_is_refused_and_removed(
    daemon: int, tmp_path: Path, repo: str, limits: dict[str, int], code: str
) -> None:
    dest = tmp_path / "c"
    with pytest.raises(RepoAccessError) as info:
        clone(f"git://127.0.0.1:{daemon}/{repo}", dest, allow_local=True, timeout=30,
              **(LIMITS | limits))  # fmt: skip
    assert info.value.code == code
    assert not isinstance(info.value, RepoTransientError)
    assert not dest.exists()


@pytest.mark.timeout(60)
def test_each_limit_holds_before_the_final_check(
    daemon: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tree listing refuses before checkout, the size watch while cloning: each alone."""
    monkeypatch.setattr(access, "sweep_and_check", lambda root, limits: [])
    for repo, limits, code in [
        ("zeros", {"max_bytes": 1_000_000}, "REPO_TOO_LARGE"),
        ("many", {"max_files": 10}, "REPO_TOO_MANY_FILES"),
        ("deep", {"max_depth": 3}, "REPO_TOO_DEEP"),
    ]:
        with pytest.raises(RepoAccessError) as info:
            clone(f"git://127.0.0.1:{daemon}/{repo}", tmp_path / repo, allow_local=True,
                  timeout=30, **(LIMITS | limits))  # fmt: skip
        assert info.value.code == code
    monkeypatch.setattr(access, "_check_listing", lambda listing, limits: ([], []))
    with pytest.raises(RepoAccessError) as info:
        clone(f"git://127.0.0.1:{daemon}/big", tmp_path / "big", allow_local=True, timeout=30,
              **(LIMITS | {"max_bytes": 500_000}))  # fmt: skip
    assert info.value.code == "REPO_TOO_LARGE"
    assert not (tmp_path / "big").exists()


@pytest.mark.timeout(60)
def test_clone_within_limits_of_the_same_repositories(daemon: int, tmp_path: Path) -> None:
    checkout = clone(f"git://127.0.0.1:{daemon}/many", tmp_path / "c", allow_local=True,
                     timeout=30, **(LIMITS | {"max_files": 30}))  # fmt: skip
    assert len(tree_files(checkout.root)) == 30


@pytest.mark.timeout(60)
@pytest.mark.parametrize("scheme", ["git", "ssh"])
def test_connection_refused_is_transient(tmp_path: Path, scheme: str) -> None:
    port = free_port()
    with pytest.raises(RepoTransientError) as info:
        clone(f"{scheme}://127.0.0.1:{port}/repo", tmp_path / "c", allow_local=True, timeout=20,
              **LIMITS)  # fmt: skip
    assert info.value.code == "REPO_UNREACHABLE"
    assert not (tmp_path / "c").exists()


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_times_out_and_git_is_killed(tmp_path: Path) -> None:
    server = SilentServer()
    try:
        started = time.monotonic()
        with pytest.raises(RepoTransientError) as info:
            clone(f"git://127.0.0.1:{server.port}/repo", tmp_path / "c", allow_local=True,
                  timeout=1.5, **LIMITS)  # fmt: skip
        assert time.monotonic() - started < 10
        assert info.value.code == "REPO_CLONE_TIMEOUT"
        assert "longer than 1.5 s" in str(info.value)
        assert server.client_gone.wait(5), "git kept the connection open"
        assert not (tmp_path / "c").exists()
    finally:
        server.stop.set()
        server.thread.join(5)


def test_dest_must_be_absent_or_empty(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c/keep").write_text("x")
    with pytest.raises(ValueError):
        clone(f"git://{PUBLIC}/r", tmp_path / "c", allow_local=True, timeout=5, **LIMITS)
    assert (tmp_path / "c/keep").exists()
