"""In a real browser: pages work under their Content-Security-Policy; sign-in is throttled."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

PAGES = ["/", "/jobs", "/library", "/studio"]
# Install a listener before any page script runs, so every CSP violation is recorded.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def test_pages_break_no_rule_of_their_policy(page: Page, server: Server) -> None:
    """Scripts, styles and htmx from /static load; nothing is blocked; framing is refused."""
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    response = page.goto("/login")
    assert response is not None
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(page, server, "/")
    for path in PAGES:
        loaded = page.goto(path)
        assert loaded is not None and loaded.status == 200, path
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.htmx") == "object", path
        assert page.evaluate("window.__cspViolations") == [], path
    # htmx still swaps content under the policy: the jobs list polls itself in.
    page.goto("/")
    expect(page.get_by_role("heading", name="Recent jobs")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text], console
    # And the policy bites: an injected inline script does not run, and is reported.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("typeof window.__injected") == "undefined"


def test_repeated_wrong_passwords_show_a_wait_message(page: Page) -> None:
    """After five failures for one username the form says to wait, with a 429."""
    page.goto("/login")
    statuses = []
    for _ in range(6):
        page.get_by_label("Username").fill("not-a-user")
        page.get_by_label("Password").fill("wrong-password-1")
        with page.expect_response(
            lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/login"
        ) as posted:
            page.get_by_role("button", name="Sign in").click()
        statuses.append(posted.value.status)
    assert statuses == [401] * 5 + [429]
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-in attempts")
    expect(alert).to_contain_text("try again")
    expect(page.get_by_label("Username")).to_have_value("not-a-user")
