"""The Projects section in a real browser at phone and desktop width: sign in, fill the form,
submit, watch every section of the plan arrive live (a card per section, each "writing…" before
it is written, completed in plan order), then the done state; open the teacher's view and one
handout per seat (each showing that seat's tasks, printable without the site's chrome);
regenerate and delete from the list. Another user gets 404 on the project's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, accept_dialog, no_sideways_scroll, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTHS = [390, 1366]
GROUP = 3
DONE = 60_000  # ms: the offline planner, one job
OTHER_USER, OTHER_PASSWORD = "dana", "another-horse-battery"

# Records, for every section card, each state it was seen in and the order cards completed.
WATCH = """() => {
  window.cardStates = {}; window.completedOrder = [];
  const seen = (card) => {
    const id = card.getAttribute("data-section-id"), state = card.getAttribute("data-state");
    if (!id || !state) return;
    const states = (window.cardStates[id] = window.cardStates[id] || []);
    if (states[states.length - 1] !== state) states.push(state);
    const order = window.completedOrder;
    if (state === "completed" && !order.includes(id)) order.push(id);
  };
  new MutationObserver((changes) => changes.forEach((c) => {
    if (c.type === "attributes") seen(c.target);
    c.addedNodes.forEach((n) => {
      if (n.nodeType === 1 && n.matches("[data-section-id]")) seen(n);
    });
  })).observe(document.getElementById("project-live"), {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"],
  });
}"""


@contextmanager
def _signed_in_client(server: Server, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        form = {"username": username, "password": password, "next": "/projects"}
        assert client.post("/login", data=form).status_code == 303
        yield client


def _status(page: Page, project_id: str) -> dict[str, Any]:
    response = page.request.get(f"/status/{project_id}")
    assert response.ok, response.status
    body: dict[str, Any] = response.json()
    return body


def _fill_and_submit(page: Page, title: str) -> str:
    """Fill the form, start watching the live cards, submit; the new project's id."""
    page.get_by_label("Title").fill(title)
    page.get_by_label("Topic").fill("Shopping on a budget with discounts")
    page.get_by_label("Life skill").fill("teamwork")
    page.get_by_label("Group size").fill(str(GROUP))
    page.get_by_label("Lesson length in minutes").fill("45")
    project_id = page.locator('#project-form input[name="project_id"]').input_value()
    page.evaluate(WATCH)
    page.evaluate("window.samePage = true")
    page.get_by_role("button", name="Write project").click()
    return project_id


def _sections_arrive_live(page: Page, project_id: str) -> dict[str, Any]:
    """Every section of the plan gets a card that goes writing -> completed, in plan order, and
    the done state follows; returns the stored document."""
    live = page.locator("#project-live")
    expect(live).to_have_attribute("data-done", "true", timeout=DONE)
    expect(page.get_by_test_id("project-summary")).to_be_visible()
    expect(page.get_by_test_id("live-status")).to_have_text(
        "Done: 3 sections written", timeout=DONE
    )
    assert page.evaluate("window.samePage") is True  # followed in place, never reloaded
    spec = _status(page, project_id)
    plan = [s["id"] for s in spec["plan"]["sections"]]
    assert spec["status"] == "complete" and len(plan) == 3
    cards = page.get_by_test_id("section-card")
    expect(cards).to_have_count(len(plan))
    assert cards.evaluate_all("cs => cs.map(c => c.dataset.sectionId)") == plan
    for card, section in zip(cards.all(), spec["plan"]["sections"], strict=True):
        expect(card).to_have_attribute("data-state", "completed")
        expect(card).to_contain_text(section["name"])
        expect(card).to_contain_text(spec["sections"][section["id"]]["shared"]["objective"])
    assert page.evaluate("window.completedOrder") == plan
    states = page.evaluate("window.cardStates")
    assert all(states[sid] == ["writing", "completed"] for sid in plan), states
    return spec


def _teacher_view_and_handouts(
    page: Page, spec: dict[str, Any], project_id: str, title: str
) -> None:
    page.get_by_role("link", name="Open the teacher's view").click()
    expect(page).to_have_url(f"/projects/{project_id}/teacher")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    sections = page.get_by_test_id("plan-section")
    expect(sections).to_have_count(len(spec["plan"]["sections"]))
    first = spec["sections"]["sec_01"]
    expect(sections.first).to_contain_text(first["teacher"]["objective"])
    expect(sections.first).to_contain_text(first["shared"]["objective"])
    expect(page.get_by_test_id("validator")).to_contain_text("Every check passed")
    csv_link = page.get_by_role("link", name="Download the run log (CSV)")
    assert csv_link.get_attribute("href") == spec["logs"]["csv_url"]
    assert page.request.get(spec["logs"]["csv_url"]).headers["content-type"].startswith("text/csv")
    handouts = page.get_by_test_id("seat-links").get_by_role("link")
    expect(handouts).to_have_count(GROUP)
    no_sideways_scroll(page)

    handouts.nth(1).click()
    expect(page).to_have_url(f"/projects/{project_id}/seats/2")
    mine = spec["sections"]["sec_02"]["seats"]["2"]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Seat 2: {mine['data']['role']}")
    expect(page.get_by_test_id("seat-section")).to_have_count(len(spec["plan"]["sections"]))
    body = page.locator("main")
    for step in mine["steps"]:
        expect(body).to_contain_text(step)
    other = spec["sections"]["sec_02"]["seats"]["3"]["steps"][0]
    expect(body).not_to_contain_text(other)
    no_sideways_scroll(page)
    print_button = page.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(body).to_contain_text(mine["steps"][0])
    page.emulate_media(media="screen")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_project_is_written_live_and_printed_per_seat(page: Page, server: Server, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server, "/projects")
    expect(page.get_by_role("link", name="Projects", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    no_sideways_scroll(page)
    project_id = _fill_and_submit(page, f"Souq budget {width}")
    spec = _sections_arrive_live(page, project_id)
    row = page.locator(f'#projects-list tr[data-project-id="{project_id}"]')
    expect(row).to_contain_text(f"Souq budget {width}")
    expect(row.locator(".badge")).to_have_text("complete")
    no_sideways_scroll(page)
    _teacher_view_and_handouts(page, spec, project_id, f"Souq budget {width}")

    # Regenerate from the list: a new run, followed live on the projects page.
    page.goto("/projects")
    page.once("dialog", accept_dialog)
    row.get_by_role("button", name="Regenerate").click()
    expect(page).to_have_url(re.compile(r"/projects\?run="))  # the POST has been answered
    expect(page).to_have_url(f"/projects?run={_status(page, project_id)['run_id']}")
    expect(page.locator("#project-live")).to_have_attribute("data-done", "true", timeout=DONE)
    expect(page.get_by_test_id("section-card")).to_have_count(3)
    assert _status(page, project_id)["run_id"] != spec["run_id"]

    # Delete after the confirmation: gone from the list and its page is 404.
    page.once("dialog", accept_dialog)
    row.get_by_role("button", name="Delete").click()
    expect(page).to_have_url("/projects")
    expect(row).to_have_count(0)
    assert page.request.get(f"/projects/{project_id}/teacher").status == 404


def test_another_users_project_is_404(page: Page, server: Server, browser: Browser) -> None:
    sign_in(page, server, "/projects")
    project_id = _fill_and_submit(page, "Alice's private project")
    expect(page.locator("#project-live")).to_have_attribute("data-done", "true", timeout=DONE)
    if OTHER_USER not in server.cli("users", "list"):
        server.cli("users", "create", OTHER_USER, "--password", OTHER_PASSWORD)
    with _signed_in_client(server, OTHER_USER, OTHER_PASSWORD) as dana:
        for path in (f"/projects/{project_id}/teacher", f"/projects/{project_id}/seats/1"):
            response = dana.get(path, headers={"Accept": "text/html"})
            assert response.status_code == 404, path
            assert "private project" not in response.text
        assert "private project" not in dana.get("/projects", headers={"Accept": "text/html"}).text
    page.goto(f"/projects/{project_id}/teacher")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice's private project")


def test_an_error_event_is_shown(page: Page, server: Server) -> None:
    """The stream's `error` event (here served in place of the real stream) stops the live view
    with its message, after the sections that were written."""
    failure = "the model's project JSON was invalid twice"
    sse = (
        'id: 1\nevent: run_started\ndata: {"status": "planning"}\n\n'
        'id: 2\nevent: section_started\ndata: {"section_id": "sec_01", "name": "Launch",'
        ' "index": 1, "total": 3}\n\n'
        f'id: 3\nevent: error\ndata: {{"status": "error", "error": "{failure}"}}\n\n'
    )
    page.route(
        "**/events/stream?*",
        lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=sse
        ),
    )
    sign_in(page, server, "/projects")
    _fill_and_submit(page, "Broken project")
    error = page.get_by_test_id("live-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(f"Writing the project failed: {failure}")
    expect(page.get_by_test_id("live-status")).to_have_text("Stopped")
    expect(page.get_by_test_id("section-card")).to_have_count(1)
    expect(page.get_by_test_id("section-card")).to_have_attribute("data-state", "writing")
    expect(page.get_by_test_id("project-summary")).to_have_count(0)
