"""Sign in and out in a real browser; pages stay protected; the jobs list refreshes live."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from studyforge.auth.deps import COOKIE_NAME
from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WRONG_PASSWORD = "not-the-password-42"


def _fill_sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)


def _sign_in(page: Page, server: Server, path: str = "/login") -> None:
    page.goto(path)
    _fill_sign_in(page, server.username, server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("username")).to_have_text(server.username)


def _session_cookie(page: Page) -> dict[str, object] | None:
    cookies = [c for c in page.context.cookies() if c.get("name") == COOKIE_NAME]
    return dict(cookies[0]) if cookies else None


def _assert_on_sign_in(page: Page, next_path: str | None = None) -> None:
    url = urlsplit(page.url)
    assert url.path == "/login", page.url
    if next_path is not None:
        assert parse_qs(url.query).get("next") == [next_path], page.url
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_unauthenticated_home_redirects_to_sign_in(page: Page) -> None:
    """(a) `/` without a session lands on the sign-in form, remembering where to return."""
    page.goto("/")
    _assert_on_sign_in(page, next_path="/")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")


def test_wrong_password_shows_error(page: Page, server: Server) -> None:
    """(b) Wrong credentials re-render the form with an error, a 401 and no password echo."""
    page.goto("/login")
    _fill_sign_in(page, server.username, WRONG_PASSWORD)
    with page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/login"
    ) as posted:
        page.get_by_role("button", name="Sign in").click()
    assert posted.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("Incorrect username or password")
    expect(page.get_by_label("Username")).to_have_value(server.username)
    expect(page.get_by_label("Password")).to_have_value("")
    assert WRONG_PASSWORD not in page.content()
    assert _session_cookie(page) is None


def test_right_password_lands_on_home(page: Page, server: Server) -> None:
    """(c) Signing in sets an HttpOnly cookie and shows home with the username and navigation."""
    _sign_in(page, server)
    expect(page).to_have_url(server.base_url + "/")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="studyforge home")).to_be_visible()
    expect(header.get_by_test_id("username")).to_have_text(server.username)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Jobs")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    expect(page.get_by_role("heading", name="Recent jobs")).to_be_visible()
    cookie = _session_cookie(page)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"


def test_sign_out_protects_home_again(page: Page, server: Server) -> None:
    """(d) Signing out returns to the sign-in page and `/` redirects there again."""
    _sign_in(page, server)
    page.get_by_role("button", name="Sign out").click()
    _assert_on_sign_in(page)
    assert _session_cookie(page) is None
    page.goto("/")
    _assert_on_sign_in(page, next_path="/")


def test_sign_in_returns_to_requested_page(page: Page, server: Server) -> None:
    """A protected page sends the visitor back to it after signing in."""
    page.goto("/jobs")
    _assert_on_sign_in(page, next_path="/jobs")
    _fill_sign_in(page, server.username, server.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.base_url + "/jobs")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Jobs")).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "/\\evil.example", "/\t/evil.example"]
)
def test_external_next_is_ignored(server: Server, target: str) -> None:
    """Only local paths are followed after sign-in (no open redirect)."""
    form = {"username": server.username, "password": server.password, "next": target}
    response = httpx.post(server.base_url + "/login", data=form, timeout=10)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_jobs_list_refreshes_live(page: Page, server: Server) -> None:
    """A job started elsewhere appears on home and reaches `succeeded` without a reload."""
    _sign_in(page, server)
    server.cli(
        "jobs", "enqueue", "system.sleep", "--user", server.username,
        "--param", "steps=6", "--param", "seconds=0.25",
    )  # fmt: skip
    jobs = page.locator("#jobs")
    expect(jobs).to_contain_text("System sleep", timeout=20_000)  # the kind, in words
    expect(jobs.locator(".badge")).to_have_text("succeeded", timeout=30_000)
    expect(jobs.get_by_role("progressbar")).to_have_attribute("value", "100")
