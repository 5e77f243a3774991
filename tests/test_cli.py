"""The command line: first-start account, user creation, migrations, job enqueue."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

from tests.conftest import make_settings
from tests.support.procs import BIN, settings_env, start_server


def _run(settings_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = settings_env(make_settings(settings_home, f"sqlite:///{settings_home / 'cli.db'}"))
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60)


def test_first_start_prints_a_working_account_once(tmp_path: Path):
    settings = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'first.db'}")
    server, base = start_server(settings, tmp_path)
    try:
        printed = server.log()
        match = re.search(r"username: (\S+)\n\s+password: (\S+)", printed)
        assert match, printed
        username, password = match.groups()
        resp = httpx.post(base + "/auth/token", data={"username": username, "password": password})
        assert resp.status_code == 200
    finally:
        server.stop()
    assert printed.count(password) == 1, "the password is printed once and never logged"
    server, _ = start_server(settings, tmp_path)
    server.stop()
    assert password not in server.log() and "password:" not in server.log(), "printed only once"


def test_users_create_and_duplicates(tmp_path: Path):
    assert _run(tmp_path, "migrate").returncode == 0
    created = _run(tmp_path, "users", "create", "dana", "--password", "long-enough-pw")
    assert created.returncode == 0 and "created user dana" in created.stdout
    again = _run(tmp_path, "users", "create", "dana", "--password", "long-enough-pw")
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = _run(tmp_path, "users", "create", "erin", "--password", "short")
    assert weak.returncode == 1
    generated = _run(tmp_path, "users", "create", "fred")
    assert re.search(r"password: \S{12,}", generated.stdout)
    assert "dana" in _run(tmp_path, "users", "list").stdout


def test_public_bind_with_default_secret_refuses_to_start(tmp_path: Path):
    env = settings_env(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))
    env.pop("STUDYFORGE_JWT_SECRET")
    proc = subprocess.run(
        [str(BIN), "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "JWT_SECRET" in proc.stderr
