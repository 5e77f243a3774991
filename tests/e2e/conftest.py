"""Browser-test fixtures: a real `studyforge serve` subprocess and Debian's headless Chromium.

The server runs on its embedded defaults (SQLite under a temp STUDYFORGE_HOME, inline jobs) on
a free loopback port; it is stopped by its pid. Playwright drives /usr/bin/chromium directly
(`playwright install` is never used); without it the tests skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.procs import free_port, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BIN = Path(sys.executable).parent / "studyforge"
USERNAME = "alice"
PASSWORD = "correct-horse-battery"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 60.0
# Variables that would point the child at a developer's real services instead of the embedded mode.
_SERVICE_VARS = {
    "DATABASE_URL",
    "DB_HOST",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "RABBITMQ_HOST",
    "JWT_SECRET",
}


@dataclass
class Server:
    """A running `studyforge serve` and the account the tests sign in with."""

    base_url: str
    env: dict[str, str]
    home: Path
    username: str = USERNAME
    password: str = field(default=PASSWORD, repr=False)

    def cli(self, *args: str) -> str:
        """Run `studyforge <args>` against this server's home; return its stdout."""
        done = subprocess.run(
            [str(BIN), *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"studyforge {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout


def _server_env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STUDYFORGE_") and key not in _SERVICE_VARS
    }
    env["STUDYFORGE_HOME"] = str(home)
    env["STUDYFORGE_HOST"] = "127.0.0.1"
    env["STUDYFORGE_REPO_ALLOW_LOCAL"] = "true"  # the wizard's tests serve repositories on loopback
    return env


def _wait_healthy(proc: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    def healthy() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')}")
        try:
            return httpx.get(base_url + "/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, STARTUP_TIMEOUT, "studyforge serve to answer /health", 0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh server on a free 127.0.0.1 port with the user `alice`."""
    home = tmp_path_factory.mktemp("studyforge-e2e")
    env = _server_env(home)
    base_url = f"http://127.0.0.1:{(port := free_port())}"
    log_path = home / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            _wait_healthy(proc, base_url, log_path)
            running = Server(base_url=base_url, env=env, home=home)
            running.cli("users", "create", USERNAME, "--password", PASSWORD)
            yield running
        finally:
            _stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, shared by the module's tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (install it with `apt-get install -y chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) whose relative URLs hit `server`."""
    context = browser.new_context(base_url=server.base_url)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, server: Server, path: str) -> None:
    """Sign in through the form, landing on `path`."""
    from playwright.sync_api import expect

    page.goto(f"/login?next={path}")
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("username")).to_have_text(server.username)
    # The page's deferred scripts run before "load": a click before then posts natively.
    page.wait_for_load_state("load")


def no_sideways_scroll(page: Page) -> None:
    """The page fits its viewport's width: nothing scrolls sideways."""
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def wait_json(
    api: httpx.Client, url: str, done: Callable[[dict[str, Any]], bool], timeout: float = 120
) -> dict[str, Any]:
    """GET `url` until `done(body)` (the first document also loads the embedding model)."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = api.get(url).raise_for_status().json()
        if done(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"{url} did not finish: {body.get('status')}")


@contextmanager
def science_course(api: httpx.Client, folder: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The six-topic PDF under `folder` and a READY two-lesson course from it: (document id,
    course); both deleted afterwards."""
    from tests.documents import samples

    files = {"file": ("science.pdf", samples.text_pdf(), "application/pdf")}
    sent = api.post("/upload", files=files, data={"path": folder + "science.pdf"})
    doc_id = sent.raise_for_status().json()["document_id"]
    wait_json(api, f"/document/{doc_id}", lambda b: b["status"] != "processing")
    body = {"topic": "Volcanoes and the immune system", "num_lessons": 2, "source_filter": folder}
    course_id = api.post("/api/courses", json=body).raise_for_status().json()["course_id"]
    course = wait_json(
        api, f"/api/courses/{course_id}", lambda b: b["status"] in ("READY", "FAILED")
    )
    assert course["status"] == "READY", course.get("error_message")
    try:
        yield doc_id, course
    finally:
        api.delete(f"/api/courses/{course_id}")
        api.delete(f"/document/{doc_id}")


def accept_dialog(dialog: Any) -> None:
    """Confirm a `confirm()` dialog."""
    dialog.accept()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    """An API client of the test user; the user's courses and documents are deleted afterwards."""
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        form = {"username": server.username, "password": server.password}
        token = client.post("/auth/token", data=form).raise_for_status().json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        try:
            yield client
        finally:
            for course in client.get("/api/courses", params={"limit": 200}).json()["items"]:
                client.delete(f"/api/courses/{course['id']}")
            for doc in client.get("/documents", params={"limit": 200}).json()["documents"]:
                client.delete(f"/document/{doc['document_id']}")
