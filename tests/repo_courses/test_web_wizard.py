"""The course-from-a-repository wizard without a browser or JavaScript, on a real repository
served by git daemon: start it, watch a stage run (the page refreshes itself), choose only
docs/tutorial and see only its documents analysed, choose one of the pathways, open the
course; every form's mistakes shown on the page in words (422, or 409 while a stage runs);
another user's course as the HTML not-found page; a refused address with its reason and the
Try again / Start over forms; an archive upload; the Courses list and page on such courses."""

from __future__ import annotations

import asyncio
import io
import re
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from lxml import html as lxml_html

from studyforge.config import Settings
from tests.conftest import UserMaker

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(240)]

ORIGIN = {"Origin": "http://testserver"}
WIZARD = "/courses/from-repository"
NOT_YOURS = "This course does not exist, or it is not yours."
TUTORIAL = {"README.md", *(f"docs/tutorial/{n}.rst" for n in (
    "index", "appetite", "interpreter", "introduction", "controlflow", "datastructures",
    "modules", "errors", "classes"))}  # fmt: skip


@contextmanager
def delayed(port: int, seconds: float) -> Iterator[int]:
    """A TCP proxy on 127.0.0.1 to `port` that holds each connection `seconds` before passing
    it on, so that a clone through it keeps stage 1 running that long; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def serve(client: socket.socket) -> None:
        time.sleep(seconds)
        with client, socket.create_connection(("127.0.0.1", port)) as upstream:
            back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
            back.start()
            pipe(client, upstream)
            back.join(30)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def slow_url(port: int, name: str) -> str:
    """The served repository `name` through the delaying proxy on `port`."""
    return f"git://127.0.0.1:{port}/{name}"


def daemon_port(served: str) -> int:
    return int(urlsplit(served).port or 0)


async def sign_in(client: httpx.AsyncClient, make_user: UserMaker) -> dict[str, str]:
    """A new user signed in on `client` (the cookie); returns their API header too."""
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    _, headers = make_user(username, password)
    signed = await client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 303, signed.text
    return headers


def tree(page: str) -> Any:
    return lxml_html.fromstring(page)


def text_of(page: str, testid: str) -> str:
    found = tree(page).xpath(f'//*[@data-testid="{testid}"]')
    assert found, f"no {testid} on the page"
    return " ".join(found[0].text_content().split())


async def start(client: httpx.AsyncClient, url: str) -> str:
    """Send the start form (as shown, with its course id) for `url`; the wizard page's URL."""
    form = (await client.get(WIZARD)).text
    course_id = tree(form).xpath('//input[@name="course_id"]/@value')[0]
    sent = await client.post(WIZARD, data={"course_id": course_id, "repo_url": url},
                             files={"archive": ("", b"")}, headers=ORIGIN)  # fmt: skip
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"{WIZARD}/{course_id}"
    return sent.headers["location"]


async def until(client: httpx.AsyncClient, url: str, testid: str, timeout: float = 90) -> str:
    """GET the wizard page until it shows `testid` (as a browser without JavaScript would,
    refreshing); fails at once on a failed stage that was not expected."""
    deadline = time.monotonic() + timeout
    while True:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        if f'data-testid="{testid}"' in page.text:
            return page.text
        if 'data-testid="wizard-failed"' in page.text:
            raise AssertionError(text_of(page.text, "wizard-failure"))
        assert time.monotonic() < deadline, f"{url} never showed {testid}"
        await asyncio.sleep(0.2)


def folder_boxes(page: str) -> dict[str, Any]:
    return {box.get("value"): box for box in tree(page).xpath("//input[@data-folder]")}


async def post(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    return await client.post(url, data=data, headers=ORIGIN)


async def test_the_whole_wizard_without_javascript(
    client: httpx.AsyncClient, make_user: UserMaker, served: str
) -> None:
    headers = await sign_in(client, make_user)
    courses = (await client.get("/studio")).text
    assert f'href="{WIZARD}"' in courses  # the entry point
    shown = await client.get(WIZARD)
    assert shown.status_code == 200 and "New course from a repository" in shown.text
    assert '<a href="/studio" aria-current="page">Courses</a>' in shown.text

    with delayed(daemon_port(served), 2.5) as port:
        page_url = await start(client, slow_url(port, "pydocs"))
        running = (await client.get(page_url)).text
        assert 'data-testid="wizard-running"' in running, "stage 1 should still be cloning"
        assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in running
        assert f'<a href="{page_url}">Refresh now</a>' in running
        assert re.search(r'data-events="/api/jobs/[0-9a-f-]{36}/events"', running)
        assert "<h2" in running and "Reading the repository" in running
        current = tree(running).xpath('//li[@aria-current="step"]')[0].text_content()
        assert "Repository" in current
        # The next step's form, sent while this one runs: refused on the page, 409.
        early = await post(client, f"{page_url}/folders", {"folder-1": "docs/tutorial"})
        assert early.status_code == 409
        assert "still running" in text_of(early.text, "wizard-error")
        assert early.headers["content-type"].startswith("text/html")
        again = await client.post(f"{page_url}/start-over", data={"repo_url": served + "tiny"},
                                  headers=ORIGIN)  # fmt: skip
        assert again.status_code == 409 and "still running" in again.text
        folders = await until(client, page_url, "wizard-folders")

    boxes = folder_boxes(folders)
    assert set(boxes) == {".", "docs", "docs/faq", "docs/howto", "docs/tutorial"}
    assert not any(box.get("checked") is not None for box in boxes.values())
    # Nested: docs/tutorial is listed inside docs, which is inside the whole repository.
    nested = boxes["docs/tutorial"].xpath("ancestor::li/label/input/@value")
    assert nested == [".", "docs", "docs/tutorial"]
    assert len({box.get("name") for box in boxes.values()}) == 5  # a name each
    assert "A checked folder includes all its subfolders" in folders
    overview = tree(folders).xpath('//input[@name="overview"]')
    assert [r.get("value") for r in overview][:2] == ["README.md", "docs/index.rst"]
    assert overview[0].get("checked") is not None  # the best guess is preselected
    listed = await client.get("/studio")
    assert f'href="{page_url}"' in listed.text and "your turn" in listed.text
    draft = await client.get(f"/studio/{page_url.rsplit('/', 1)[1]}")
    assert draft.status_code == 303 and draft.headers["location"] == page_url

    # Mistakes in the folders form: said on the page (422), with what was typed kept.
    none = await post(client, f"{page_url}/folders", {"overview": "README.md", "notes": "kept"})
    assert none.status_code == 422 and "Check at least one folder" in none.text
    assert ">kept</textarea>" in none.text
    names = {box.get("value"): box.get("name") for box in boxes.values()}
    wrong = await post(client, f"{page_url}/folders", {names["docs"]: "docs/nowhere"})
    assert wrong.status_code == 422
    assert "Not documentation folders of this repository: docs/nowhere" in wrong.text
    notes = await post(client, f"{page_url}/folders",
                       {names["docs/tutorial"]: "docs/tutorial", "notes": "x" * 2001})  # fmt: skip
    assert notes.status_code == 422 and "under 2,000 characters" in notes.text
    assert folder_boxes(notes.text)["docs/tutorial"].get("checked") is not None

    chosen = await post(client, f"{page_url}/folders", {
        names["docs/tutorial"]: "docs/tutorial", "overview": "README.md", "level": "beginner",
        "notes": "Focus on practical examples"})  # fmt: skip
    assert chosen.status_code == 303 and chosen.headers["location"] == page_url
    analyses = await until(client, page_url, "wizard-analyses")
    rows = tree(analyses).xpath('//tr[@data-testid="analysed-doc"]')
    assert {row.get("data-path") for row in rows} == TUTORIAL  # only the chosen folder
    course_id = page_url.rsplit("/", 1)[1]
    api = await client.get(f"/api/courses/{course_id}/analyzed-documents", headers=headers)
    failed = {d["file_path"] for d in api.json()["documents"] if d["status"] == "failed"}
    flagged = {r.get("data-path") for r in rows if "Not analysed:" in r.text_content()}
    assert flagged == failed
    errors_row = next(r for r in rows if r.get("data-path") == "docs/tutorial/errors.rst")
    assert "Errors and Exceptions" in errors_row.text_content()
    assert errors_row.xpath('.//ul[@aria-label="Key concepts"]/li')

    made = await post(client, f"{page_url}/pathways", {"notes": "hands-on"})
    assert made.status_code == 303
    offered = await until(client, page_url, "wizard-pathways")
    cards = tree(offered).xpath('//li[@data-testid="pathway-card"]')
    assert len(cards) >= 3
    apart = tree(offered).xpath('//form[@action="' + page_url + '/start-over"]/@data-confirm')
    assert apart and "the analyses, the pathways" in apart[0]  # asks first: choices are lost
    assert not tree(folders).xpath("//form/@data-confirm")  # nothing to lose at step 2
    for card in cards:
        assert card.xpath(".//h3") and card.xpath('.//ol[contains(@class, "pathway-modules")]/li')
        assert "Choose this pathway" in card.xpath(".//button")[0].text_content()
        assert "Duration" in card.text_content() and "Prerequisites" in card.text_content()
    bad = await post(client, f"{page_url}/pathway", {"pathway_id": str(uuid.uuid4())})
    assert bad.status_code == 422 and "Not one of this course" in bad.text
    garbled = await post(client, f"{page_url}/pathway", {"pathway_id": "nope"})
    assert garbled.status_code == 422 and "Choose one of the pathways shown" in garbled.text
    pick = cards[1].xpath('.//input[@name="pathway_id"]/@value')[0]
    modules = len(cards[1].xpath('.//ol[contains(@class, "pathway-modules")]/li'))
    picked = await post(client, f"{page_url}/pathway", {"pathway_id": pick})
    assert picked.status_code == 303

    done = await until(client, page_url, "wizard-done")
    link = tree(done).xpath('//a[@data-testid="course-link"]/@href')
    assert link == [f"/studio/{course_id}"]
    assert f'href="/api/courses/{course_id}/export?format=md"' in done
    assert len(tree(done).xpath('//ol[@class="wizard-modules"]/li')) == modules
    course_page = await client.get(link[0])
    assert course_page.status_code == 200 and "Lesson 1:" in course_page.text
    facts = tree(course_page.text).xpath('//dl[@class="doc-facts"]//dt/text()')
    assert "Repository" in facts and "Grade" not in facts  # no topic course's facts
    lesson = await client.get(tree(done).xpath('//ol[@class="wizard-modules"]//a/@href')[0])
    assert lesson.status_code == 200
    listed = (await client.get("/studio")).text
    assert f'href="/studio/{course_id}"' in listed and "From the repository pydocs" in listed
    assert 'hx-trigger="every 2s"' not in listed  # nothing builds: the list stops polling


async def test_another_users_course_is_the_not_found_page(
    client: httpx.AsyncClient, make_user: UserMaker, served: str
) -> None:
    await sign_in(client, make_user)
    page_url = await start(client, served + "tiny")
    await until(client, page_url, "wizard-folders")
    await sign_in(client, make_user)  # another user, on the same browser
    writes = ("/folders", "/pathways", "/pathway", "/retry", "/start-over")
    for method, path in [("GET", ""), *(("POST", w) for w in writes)]:
        resp = await client.request(method, page_url + path, data={"folder-1": "."},
                                    headers=ORIGIN)  # fmt: skip
        assert resp.status_code == 404, path
        assert resp.headers["content-type"].startswith("text/html") and NOT_YOURS in resp.text
    assert (await client.get(f"{WIZARD}/not-a-course")).status_code == 404
    # Sending the start form with that course's id makes a new course of one's own.
    theirs = page_url.rsplit("/", 1)[1]
    sent = await client.post(WIZARD, data={"course_id": theirs, "repo_url": served + "tiny"},
                             headers=ORIGIN)  # fmt: skip
    assert sent.status_code == 303 and theirs not in sent.headers["location"]


async def test_a_refused_address_says_why_and_offers_try_again_and_start_over(
    client: httpx.AsyncClient, make_user: UserMaker, served: str, settings: Settings
) -> None:
    settings.repo_allow_local = False  # as in production: private addresses are refused
    headers = await sign_in(client, make_user)
    page_url = await start(client, "https://10.0.0.1/x.git")
    failed = await until(client, page_url, "wizard-failed")
    assert "private" in text_of(failed, "wizard-failure")
    doc = tree(failed)
    assert doc.xpath(f'//form[@action="{page_url}/retry"]//button')[0].text_content() == "Try again"
    assert doc.xpath('//a[@href="#start-over"]')[0].text_content() == "Start over with another URL"
    assert doc.xpath('//input[@id="again-url"]/@value') == ["https://10.0.0.1/x.git"]
    status_url = page_url.replace(WIZARD, "/api/courses") + "/stage1/status"
    first = (await client.get(status_url, headers=headers)).json()
    retried = await post(client, f"{page_url}/retry", {})
    assert retried.status_code == 303
    again = await until(client, page_url, "wizard-failed")
    assert "private" in text_of(again, "wizard-failure")
    second = (await client.get(status_url, headers=headers)).json()
    assert second["status"] == "FAILURE" and second["task_id"] != first["task_id"]  # ran again
    bad = await post(client, f"{page_url}/start-over", {"repo_url": "ftp://example.com/x.git"})
    assert bad.status_code == 422 and "Only https://, ssh:// and git://" in bad.text
    settings.repo_allow_local = True
    over = await post(client, f"{page_url}/start-over", {"repo_url": served + "tiny"})
    assert over.status_code == 303 and over.headers["location"] == page_url
    folders = await until(client, page_url, "wizard-folders")
    assert set(folder_boxes(folders)) == {".", "docs"}


async def test_the_start_form_says_what_is_wrong_and_takes_an_archive(
    client: httpx.AsyncClient, make_user: UserMaker, served: str
) -> None:
    headers = await sign_in(client, make_user)
    cases = {
        "": "Enter the repository",
        "ftp://example.com/repo.git": "Only https://, ssh:// and git://",
        "https://example.com/\x07repo": "on one line, at most 2,000 characters",
        "https://example.com/" + "r" * 2000: "on one line, at most 2,000 characters",
    }
    for url, message in cases.items():
        sent = await client.post(WIZARD, data={"repo_url": url}, headers=ORIGIN)
        assert sent.status_code == 422, url
        assert message in sent.text and sent.headers["content-type"].startswith("text/html")
    kept = await client.post(WIZARD, data={"repo_url": "ftp://example.com/repo.git"},
                             headers=ORIGIN)  # fmt: skip
    assert 'value="ftp://example.com/repo.git"' in kept.text  # shown again as typed
    both = await client.post(WIZARD, data={"repo_url": served + "tiny"},
                             files={"archive": ("tiny.zip", b"PK")}, headers=ORIGIN)  # fmt: skip
    assert both.status_code == 422 and "not both" in both.text
    rar = await client.post(WIZARD, files={"archive": ("tiny.rar", b"Rar!")}, headers=ORIGIN)
    assert rar.status_code == 422 and "Choose a .zip or .tar.gz" in rar.text
    listed = await client.get("/api/courses", headers=headers)
    assert listed.json()["items"] == []  # no course was made by a refused form

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tiny/README.md", "# Tiny\n\nA tiny project with one guide.\n")
        archive.writestr("tiny/docs/guide.md", "# Guide\n\nUse the tool well.\n")
    course_id = str(uuid.uuid4())
    form = {"course_id": course_id, "repo_url": ""}
    files = {"archive": ("tiny.zip", buffer.getvalue(), "application/zip")}
    sent = await client.post(WIZARD, data=form, files=files, headers=ORIGIN)
    assert sent.status_code == 303 and sent.headers["location"] == f"{WIZARD}/{course_id}"
    page = await until(client, sent.headers["location"], "wizard-folders")
    assert "From the uploaded archive “tiny”" in page
    assert "docs" in folder_boxes(page)
    # The same form sent again (Back, then send) lands on the course it started, with a word.
    twice = await client.post(WIZARD, data=form, files=files, headers=ORIGIN)
    assert twice.headers["location"] == f"{WIZARD}/{course_id}?again=1"
    notice = await client.get(twice.headers["location"])
    assert "This form had already been sent" in notice.text
    assert len((await client.get("/api/courses", headers=headers)).json()["items"]) == 1
