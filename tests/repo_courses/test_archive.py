"""Uploaded archives (.zip, .tar.gz): top folder stripped, traversal, links, devices, bombs,
limits, damaged files."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from studyforge.repo_courses.access import RepoAccessError, extract_archive
from tests.repo_courses.test_access import LIMITS, git, make_repo, tree_files


def _zip(
    members: dict[str, bytes], links: dict[str, str] | None = None, comment: bytes = b""
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
        archive.comment = comment
    return buffer.getvalue()


def _tgz(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
    return buffer.getvalue()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def test_zip_with_a_top_folder_is_stripped(tmp_path: Path) -> None:
    data = _zip(
        {"proj-main/README.md": b"# P\n", "proj-main/docs/a.md": b"a\n"}, comment=b"ab" * 20
    )
    checkout = extract_archive(data, tmp_path / "x", **LIMITS)
    assert tree_files(checkout.root) == {"README.md": b"# P\n", "docs/a.md": b"a\n"}
    assert checkout.repo_name == "proj-main" and checkout.commit == "ab" * 20
    assert [p.name for p in tmp_path.iterdir()] == ["x"]  # no staging folder left


def test_zip_without_a_top_folder_is_kept(tmp_path: Path) -> None:
    data = _zip({"README.md": b"r", "docs/a.md": b"a"})
    checkout = extract_archive(data, tmp_path / "x", **LIMITS)
    assert set(tree_files(checkout.root)) == {"README.md", "docs/a.md"}
    assert checkout.repo_name == "x" and checkout.commit is None


def test_tar_gz_from_a_path_drops_inside_links(tmp_path: Path) -> None:
    archive = tmp_path / "repo.tgz"
    archive.write_bytes(
        _tgz([("repo/README.md", b"# R\n"), _link("repo/docs/readme.md", "../README.md")])
    )
    checkout = extract_archive(archive, tmp_path / "x", **LIMITS)
    assert tree_files(checkout.root) == {"README.md": b"# R\n"}
    assert checkout.skipped == ["repo/docs/readme.md (symlink, not created)"]


def test_git_archive_tar_gz_keeps_the_commit(tmp_path: Path) -> None:
    source = make_repo(tmp_path / "src", {"README.md": b"# S\n", "docs/a.rst": b"A\n=\n"})
    data = subprocess.run(
        ["git", "archive", "--format=tar.gz", "--prefix=src-main/", "HEAD"],
        cwd=source, check=True, capture_output=True,
    ).stdout  # fmt: skip
    checkout = extract_archive(data, tmp_path / "x", **LIMITS)
    assert set(tree_files(checkout.root)) == {"README.md", "docs/a.rst"}
    assert checkout.commit == git(source, "rev-parse", "HEAD")


@pytest.mark.parametrize(
    "name", ["../evil.txt", "top/../../evil.txt", "/tmp/evil.txt", "C:/evil.txt", "..\\evil.txt"]
)
@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_members_escaping_the_folder_are_refused(tmp_path: Path, name: str, kind: str) -> None:
    members = {"top/README.md": b"ok", name: b"evil"}
    data = _zip(members) if kind == "zip" else _tgz(list(members.items()))
    with pytest.raises(RepoAccessError) as info:
        extract_archive(data, tmp_path / "sub/x", **LIMITS)
    assert info.value.code == "REPO_UNSAFE_PATH"
    assert not (tmp_path / "sub/x").exists() and not (tmp_path / "evil.txt").exists()
    assert list((tmp_path / "sub").iterdir()) == []


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../outside", "../../../../etc/passwd"])
def test_links_pointing_outside_are_refused(tmp_path: Path, target: str) -> None:
    """From top/docs/, three '..' leave the archive (symlinks); hardlinks count from the root."""
    for data in (
        _zip({"top/README.md": b"ok"}, links={"top/docs/link.md": target}),
        _tgz([("top/README.md", b"ok"), _link("top/docs/link.md", target)]),
        _tgz([("top/README.md", b"ok"), _link("top/hard", target, tarfile.LNKTYPE)]),
    ):
        with pytest.raises(RepoAccessError) as info:
            extract_archive(data, tmp_path / "x", **LIMITS)
        assert info.value.code == "REPO_UNSAFE_PATH", data[:4]
        assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_files_are_refused(tmp_path: Path, kind: bytes) -> None:
    device = tarfile.TarInfo("top/dev")
    device.type, device.devmajor, device.devminor = kind, 1, 3
    with pytest.raises(RepoAccessError) as info:
        extract_archive(_tgz([("top/a.md", b"a"), device]), tmp_path / "x", **LIMITS)
    assert info.value.code == "REPO_UNSAFE_PATH"
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_decompression_bomb_is_refused_before_writing(tmp_path: Path, kind: str) -> None:
    members = {"top/zeros.txt": b"\0" * 20_000_000}
    data = _zip(members) if kind == "zip" else _tgz(list(members.items()))
    assert len(data) < 200_000
    with pytest.raises(RepoAccessError, match="bomb") as info:
        extract_archive(data, tmp_path / "x", **(LIMITS | {"max_bytes": 100_000_000}))
    assert info.value.code == "REPO_TOO_LARGE"
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kind", ["zip", "tgz"])
@pytest.mark.parametrize(
    ("members", "limits", "code"),
    [
        ({f"t/f{i}.md": os.urandom(400_000) for i in range(3)}, {"max_bytes": 1_000_000},
         "REPO_TOO_LARGE"),
        ({f"t/f{i}.md": b"x" for i in range(30)}, {"max_files": 10}, "REPO_TOO_MANY_FILES"),
        ({"t/a/b/c/d/e.md": b"x"}, {"max_depth": 3}, "REPO_TOO_DEEP"),
    ],
)  # fmt: skip
def test_archive_over_a_limit_is_refused(
    tmp_path: Path, kind: str, members: dict[str, bytes], limits: dict[str, int], code: str
) -> None:
    data = _zip(members) if kind == "zip" else _tgz(list(members.items()))
    with pytest.raises(RepoAccessError) as info:
        extract_archive(data, tmp_path / "x", **(LIMITS | limits))
    assert info.value.code == code
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "data", [b"hello world", b"PK\x03\x04" + b"\0" * 100, b"\x1f\x8b\x08\x00garbage", b""]
)
def test_not_an_archive(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(RepoAccessError) as info:
        extract_archive(data, tmp_path / "x", **LIMITS)
    assert info.value.code == "REPO_ARCHIVE_INVALID"
    assert not (tmp_path / "x").exists()
