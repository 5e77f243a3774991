"""The course-from-a-repository wizard in a real browser at phone and desktop width, on Python's
docs served by git daemon on 127.0.0.1 (through a proxy that holds each clone 2.5 s, so stage 1
is seen running): from the Courses page's link, name the repository, watch the progress move
without a reload and the folders appear in place, check a folder (its subfolders follow),
keep only docs/tutorial, see its documents analysed, choose a pathway card (side by side on a
desktop, stacked on a phone), land on the course. No sideways scroll at any step.
Screenshots of the folder and pathway steps, light and dark, go to /tmp/wizard_shots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, no_sideways_scroll, sign_in
from tests.repo_courses.conftest import docs_files
from tests.repo_courses.test_web_wizard import TUTORIAL, delayed
from tests.support.gitserve import git_daemon, make_repo

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTHS = [390, 1366]
SHOTS = Path("/tmp/wizard_shots")
STAGE = 60_000  # ms a stage may take on a busy machine
# Record every text the running step shows: the texts the page's script puts in.
WATCH_STEPS = """() => {
  window.sameWizardPage = true;
  const step = document.querySelector("[data-current-step]");
  window.seenSteps = [step.textContent];
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.seenSteps.push(n.textContent);
  }).observe(step, { childList: true });
}"""
SAMPLE = {  # a small documentation repository for the accessibility audit's wizard pages
    "README.md": b"# Sample tool\n\nA sample tool. Start with [the guide](docs/guide.md).\n",
    "docs/guide.md": b"# Guide\n\nInstall it, then run `sample --help`.\n\n## Options\n\n"
    b"Every option has a default.\n",
    "docs/tutorial/first.md": b"# First steps\n\nRun the tool on a file.\n\n```sh\nsample a.txt\n"
    b"```\n",
    "docs/tutorial/next.md": b"# Next steps\n\nAfter [first steps](first.md), combine options.\n",
    "docs/reference/cli.md": b"# Command line\n\n`--help` prints the options.\n",
}


@contextmanager
def served_repos(base: Path, files: dict[str, bytes], hold: float = 0.0) -> Iterator[str]:
    """`git://127.0.0.1:PORT/` serving `docs` made of `files` (each clone held `hold` s)."""
    make_repo(base / "docs", files)
    with git_daemon(base) as port:
        if not hold:
            yield f"git://127.0.0.1:{port}/"
            return
        with delayed(port, hold) as slow:
            yield f"git://127.0.0.1:{slow}/"


def _stage(api: httpx.Client, course: str, stage: str, path: str, body: dict[str, Any]) -> None:
    """Start a stage (unless `path` is empty) and wait for it to succeed."""
    if path:
        api.post(f"/api/courses/{course}/{path}", json=body).raise_for_status()
    deadline = time.monotonic() + STAGE / 1000
    while time.monotonic() < deadline:
        status = api.get(f"/api/courses/{course}/{stage}/status").raise_for_status().json()
        if status["status"] == "SUCCESS":
            return
        assert status["status"] != "FAILURE", status["error_message"]
        time.sleep(0.2)
    raise AssertionError(f"{stage} of {course} did not finish")


def wizard_courses(api: httpx.Client, url: str) -> dict[str, str]:
    """Repository courses (through the API) at each step of the wizard: the wizard page of
    each, by the view it shows."""
    import uuid

    steps = [
        ("stage1", "analyze-repository", {"repo_url": url}),
        ("", "stage1-selections", {"selected_folders": ["docs"], "overview_document": "README.md"}),
        ("stage2", "analyze-documents", {"complexity_level": "beginner"}),
        ("stage3", "generate-pathways", {}),
        ("stage4", "generate-course", {}),
    ]
    views = {"stage1": "folders", "stage2": "analyses", "stage3": "pathways", "stage4": "done"}
    pages: dict[str, str] = {}
    for upto in views:
        course = str(uuid.uuid4())
        for stage, path, body in steps:
            if stage == "stage4":
                chosen = api.get(f"/api/courses/{course}/pathways").json()["pathways"][0]["id"]
                sent = api.post(f"/api/courses/{course}/stage3-selections",
                                json={"selected_pathway_id": chosen})  # fmt: skip
                sent.raise_for_status()
            if stage:
                _stage(api, course, stage, path, body)
            else:
                api.post(f"/api/courses/{course}/{path}", json=body).raise_for_status()
            if stage == upto:
                break
        pages[views[upto]] = f"/courses/from-repository/{course}"
    failed = str(uuid.uuid4())  # a refused address: the failed view
    body = {"repo_url": "ftp://example.invalid/x.git"}
    api.post(f"/api/courses/{failed}/analyze-repository", json=body).raise_for_status()
    with pytest.raises(AssertionError, match="Only https://"):
        _stage(api, failed, "stage1", "", {})
    pages["failed"] = f"/courses/from-repository/{failed}"
    return pages


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Python's docs as the repository `docs`, each clone held 2.5 s."""
    with served_repos(tmp_path_factory.mktemp("wizard-repos"), docs_files(), 2.5) as url:
        yield url


def _shoot(page: Page, name: str, width: int) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")


def _watch_stage_one(page: Page) -> None:
    """Stage 1 runs: its progress moves and the folders appear, all without a reload."""
    expect(page.get_by_test_id("wizard-running")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text("Reading the repository")
    page.evaluate(WATCH_STEPS)
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"running-{page.viewport_size['width']}-light.png"))
    expect(page.get_by_test_id("wizard-folders")).to_be_visible(timeout=STAGE)
    assert page.evaluate("window.sameWizardPage === true"), "the page was reloaded"
    seen = page.evaluate("window.seenSteps")
    assert any(text and text != seen[0] for text in seen[1:]), seen  # moved on, in place
    expect(page.locator('[aria-current="step"]')).to_contain_text("Documents")


def _choose_folders(page: Page) -> None:
    """A folder takes its subfolders along; keep only docs/tutorial."""

    def box(path: str) -> Any:
        return page.locator(f'input[data-folder="{path}"]')

    box("docs").check()
    for sub in ("docs/tutorial", "docs/howto", "docs/faq"):
        expect(box(sub)).to_be_checked()
    expect(box(".")).not_to_be_checked()
    box("docs/howto").uncheck()  # docs no longer takes everything below it
    expect(box("docs")).not_to_be_checked()
    box("docs/faq").uncheck()
    expect(box("docs/tutorial")).to_be_checked()
    expect(page.get_by_role("radio", name="README.md")).to_be_checked()
    page.locator('input[name="level"][value="beginner"]').check()
    page.get_by_label("Notes for the analysis").fill("Focus on practical examples")
    page.get_by_role("button", name="Analyse the documents").click()


def _cards_layout(page: Page, width: int) -> None:
    cards = page.get_by_test_id("pathway-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 3
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first and second
    if width >= 1000:  # side by side
        assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"]
    else:  # stacked
        assert second["y"] >= first["y"] + first["height"]
        assert abs(first["x"] - second["x"]) < 2


@pytest.mark.parametrize("width", WIDTHS)
def test_the_wizard_from_a_repository_to_its_course(
    page: Page, server: Server, repos: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, server, "/studio")
    page.get_by_role("link", name="From a repository").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New course from a repository")
    _shoot(page, "start", width)
    page.get_by_label("Repository address").fill(repos + "docs")
    page.get_by_role("button", name="Read the repository").click()
    _watch_stage_one(page)
    no_sideways_scroll(page)
    _shoot(page, "folders", width)
    _choose_folders(page)

    expect(page.get_by_test_id("wizard-analyses")).to_be_visible(timeout=STAGE)
    rows = page.get_by_test_id("analysed-doc")
    paths = {rows.nth(i).get_attribute("data-path") for i in range(rows.count())}
    assert paths == TUTORIAL
    _shoot(page, "analyses", width)
    page.get_by_label("Notes for the pathways").fill("hands-on")
    page.get_by_role("button", name="Plan the pathways").click()

    expect(page.get_by_test_id("wizard-pathways")).to_be_visible(timeout=STAGE)
    _cards_layout(page, width)
    _shoot(page, "pathways", width)
    card = page.get_by_test_id("pathway-card").nth(1)
    title = card.get_by_role("heading", level=3).inner_text()
    card.get_by_role("button", name="Choose this pathway").click()

    expect(page.get_by_test_id("wizard-done")).to_be_visible(timeout=STAGE)
    _shoot(page, "done", width)
    link = page.get_by_test_id("course-link")
    course_url = link.get_attribute("href")
    assert course_url == "/studio/" + page.url.rsplit("/", 1)[-1]
    link.click()
    expect(page).to_have_url(server.base_url + course_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_test_id("course-status")).to_have_text("ready")
    no_sideways_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_failed_stage_says_why_and_starting_over_recovers(
    page: Page, server: Server, repos: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server, "/courses/from-repository")
    page.get_by_label("Repository address").fill(repos + "missing")
    page.get_by_role("button", name="Read the repository").click()
    expect(page.get_by_test_id("wizard-running")).to_be_visible()
    page.evaluate("window.sameWizardPage = true")
    failure = page.get_by_test_id("wizard-failure")
    expect(failure).to_contain_text("not found", timeout=STAGE)  # swapped in, in place
    assert page.evaluate("window.sameWizardPage === true"), "the page was reloaded"
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        "The repository could not be read"
    )
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    _shoot(page, "failed", width)
    page.get_by_role("link", name="Start over with another URL").click()
    address = page.locator("#start-over").get_by_label("Repository address")
    expect(address).to_have_value(repos + "missing")
    address.fill(repos + "docs")
    page.locator("#start-over").get_by_role("button", name="Start over").click()
    expect(page.get_by_test_id("wizard-folders")).to_be_visible(timeout=STAGE)
    no_sideways_scroll(page)
    wizard = page.url
    page.goto("/studio")  # the draft is listed, waiting for its user, and links to its wizard
    row = page.locator(f'tr[data-course-id="{wizard.rsplit("/", 1)[-1]}"]')
    expect(row).to_contain_text("Step 2 of 4: choose the folders")
    expect(row.locator(".badge")).to_have_text("your turn")
    no_sideways_scroll(page)
    _shoot(page, "courses-list", width)
    row.get_by_role("link").click()
    expect(page).to_have_url(wizard)
