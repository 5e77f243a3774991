"""Repository URL checks: schemes, option injection, credentials, local and private hosts,
and the hardened git command and environment. No network: literal addresses and `localhost`;
where a DNS answer matters only `socket.getaddrinfo` (the network edge) is faked."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from studyforge.repo_courses import urls
from studyforge.repo_courses.access import (
    RepoAccessError,
    RepoTransientError,
    check_url,
    git_clone_command,
    git_env,
)

PUBLIC = "93.184.216.34"  # a public literal address: no DNS lookup, never contacted


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://{PUBLIC}/owner/repo.git", f"https://{PUBLIC}/owner/repo.git"),
        (f"HTTPS://{PUBLIC}/owner/repo?tab=readme#top", f"https://{PUBLIC}/owner/repo"),
        (f"ssh://git@{PUBLIC}:2222/owner/repo.git", f"ssh://git@{PUBLIC}:2222/owner/repo.git"),
        (f"git://{PUBLIC}/repo", f"git://{PUBLIC}/repo"),
        (f"  https://{PUBLIC}/a/r\u00e9po  ", f"https://{PUBLIC}/a/r%C3%A9po"),
    ],
)
def test_check_url_accepts_public_urls(url: str, expected: str) -> None:
    assert check_url(url, allow_local=False) == expected


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc",
        f"http://{PUBLIC}/owner/repo.git",
        f"ftp://{PUBLIC}/repo",
        "ext::sh -c touch% /tmp/x",
        "ext::sh",
        "fd::17",
        "/tmp/some/repo",
        "./repo",
        f"https://{PUBLIC}",
        f"https://{PUBLIC}/",
        "",
    ],
)
def test_check_url_refuses_schemes_and_local_paths(url: str) -> None:
    with pytest.raises(RepoAccessError) as info:
        check_url(url, allow_local=False)
    assert info.value.code == "REPO_URL_REFUSED"
    assert not isinstance(info.value, RepoTransientError)


def test_scp_like_url_is_refused_with_the_ssh_spelling() -> None:
    with pytest.raises(RepoAccessError, match=r"ssh://git@github\.com/user/repo\.git"):
        check_url("git@github.com:user/repo.git", allow_local=False)


@pytest.mark.parametrize(
    "url",
    ["-uoption", "--upload-pack=touch /tmp/pwned", "-c core.sshCommand=x", f" -{PUBLIC}/x"],
)
def test_check_url_refuses_option_injection(url: str) -> None:
    with pytest.raises(RepoAccessError, match=r"start with '-'|spaces") as info:
        check_url(url, allow_local=True)
    assert info.value.code == "REPO_URL_REFUSED"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PUBLIC}/a b",
        f"https://{PUBLIC}/a\nb",
        f"https://{PUBLIC}/a\tb",
        f"https://{PUBLIC}/a\x00b",
        f"https://{PUBLIC}/a\x7fb",
        f"https://{PUBLIC}\\@evil/x",
    ],
)
def test_check_url_refuses_whitespace_and_control_characters(url: str) -> None:
    with pytest.raises(RepoAccessError) as info:
        check_url(url, allow_local=True)
    assert info.value.code == "REPO_URL_REFUSED"


@pytest.mark.parametrize(
    "url",
    [
        f"https://alice:s3cr3t-T0KEN@{PUBLIC}/owner/repo.git",
        f"https://s3cr3t-T0KEN@{PUBLIC}/owner/repo.git",
        f"git://s3cr3t-T0KEN@{PUBLIC}/repo",
        f"ssh://git:s3cr3t-T0KEN@{PUBLIC}/repo",
    ],
)
def test_check_url_refuses_credentials_without_echoing_them(url: str) -> None:
    with pytest.raises(RepoAccessError) as info:
        check_url(url, allow_local=False)
    assert info.value.code == "REPO_URL_REFUSED"
    assert "s3cr3t" not in str(info.value) and "s3cr3t" not in repr(info.value.message)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "127.1.2.3", "2130706433", "10.1.2.3", "172.16.0.1", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1",
        "255.255.255.255", "[::1]", "[::]", "[::ffff:127.0.0.1]", "[::ffff:10.0.0.1]",
        "[fe80::1]", "[fc00::1]", "[ff02::1]", "[2002:7f00:1::]", "[64:ff9b::7f00:1]", "localhost",
    ],
)  # fmt: skip
def test_check_url_refuses_local_and_private_hosts(host: str) -> None:
    with pytest.raises(RepoAccessError, match="local or private") as info:
        check_url(f"https://{host}/owner/repo.git", allow_local=False)
    assert info.value.code == "REPO_URL_REFUSED"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.1"])
def test_allow_local_accepts_local_hosts(host: str) -> None:
    assert check_url(f"git://{host}/repo", allow_local=True) == f"git://{host}/repo"


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    def getaddrinfo(host: str, port: int, *args: object, **kw: object) -> list[tuple]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(urls.socket, "getaddrinfo", getaddrinfo)


def test_a_host_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"mixed.example": [PUBLIC, "10.0.0.5"], "ok.example": [PUBLIC]})
    with pytest.raises(RepoAccessError, match="local or private"):
        check_url("https://mixed.example/owner/repo.git", allow_local=False)
    assert (
        check_url("https://OK.example/o/r.git", allow_local=False) == "https://ok.example/o/r.git"
    )


def test_clone_is_pinned_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"ok.example": [PUBLIC]})
    https = git_clone_command("https://ok.example/o/r.git", Path("/d"), allow_local=False)
    assert f"http.curloptResolve=ok.example:443:{PUBLIC}" in https
    assert "http.followRedirects=false" in https
    ssh = git_clone_command("ssh://git@ok.example/o/r.git", Path("/d"), allow_local=False)
    assert any(a.startswith("core.sshCommand=") and f"HostName={PUBLIC}" in a for a in ssh)
    assert ssh[-2] == "ssh://git@ok.example/o/r.git"
    git = git_clone_command("git://ok.example/r.git", Path("/d"), allow_local=False)
    assert git[-2] == f"git://{PUBLIC}:9418/r.git"


def test_unknown_host_is_permanent_and_lookup_failure_transient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {})
    with pytest.raises(RepoAccessError) as info:
        check_url("https://nowhere.example/o/r.git", allow_local=False)
    assert info.value.code == "REPO_HOST_UNKNOWN"
    assert not isinstance(info.value, RepoTransientError)

    def flaky(*args: object, **kw: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(urls.socket, "getaddrinfo", flaky)
    with pytest.raises(RepoTransientError):
        check_url("https://nowhere.example/o/r.git", allow_local=False)


def test_allow_local_accepts_file_urls_and_paths_but_never_helpers(tmp_path: Path) -> None:
    assert check_url(f"file://{tmp_path}", allow_local=True) == tmp_path.resolve().as_uri()
    assert check_url(str(tmp_path), allow_local=True) == tmp_path.resolve().as_uri()
    for url in ("ext::sh", "fd::0", f"http://{PUBLIC}/r"):
        with pytest.raises(RepoAccessError):
            check_url(url, allow_local=True)


def test_clone_command_is_hardened(tmp_path: Path) -> None:
    argv = git_clone_command("git://127.0.0.1:9/repo", tmp_path / "d", allow_local=True)
    options = {argv[i + 1] for i, a in enumerate(argv) if a == "-c"}
    assert {
        "core.hooksPath=/dev/null", "core.symlinks=false", "protocol.allow=never",
        "protocol.ext.allow=never", "protocol.file.allow=always", "filter.lfs.smudge=",
        "filter.lfs.process=", "filter.lfs.required=false", "submodule.recurse=false",
    } <= options  # fmt: skip
    assert argv[0] == "git" and "clone" in argv
    for flag in ("--depth", "--single-branch", "--no-tags", "--no-recurse-submodules"):
        assert flag in argv
    assert argv[-3:] == ["--", "git://127.0.0.1:9/repo", str(tmp_path / "d")]
    strict = git_clone_command(f"git://{PUBLIC}/repo", tmp_path / "d", allow_local=False)
    assert "protocol.file.allow=never" in strict


def test_git_env_inherits_nothing_from_git_or_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("GIT_DIR", "GIT_CONFIG_PARAMETERS", "GIT_TEMPLATE_DIR", "https_proxy"):
        monkeypatch.setenv(name, "/hostile")
    env = git_env(tmp_path)
    assert env["HOME"] == str(tmp_path)
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["GIT_LFS_SKIP_SMUDGE"] == "1" and env["GIT_CONFIG_GLOBAL"] == os.devnull
    assert "/hostile" not in env.values()
