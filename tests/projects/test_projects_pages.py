"""The project pages over HTTP (offline planner): a browser navigation to /projects gets the
page while API clients keep the JSON list; the form without JavaScript starts a project and
redirects to it; the teacher's view and each seat's handout render the stored proj.v1
document; the live page's section and summary fragments; another user gets 404; delete and
regenerate from the page."""

from __future__ import annotations

import re
from html import escape
from typing import Any

import httpx
import pytest

from tests.conftest import UserMaker
from tests.documents.conftest import ingest
from tests.projects.test_projects_api import start, stream
from tests.test_web_pages import BROWSER, signed_in

pytestmark = pytest.mark.anyio
ORIGIN = {"Origin": "http://testserver"}
FORM = {
    "project_id": "p-web-1",
    "title": "Souq budget",
    "topic": "Shopping on a budget with discounts",
    "life_skill": "teamwork",
    "group_size": "3",
    "duration_min": "45",
}


async def written(client: httpx.AsyncClient, project_id: str) -> dict[str, Any]:
    """The project's document once its run has ended (its event stream read to the end)."""
    run_id = (await client.get(f"/status/{project_id}")).json()["run_id"]
    await stream(client, {}, run_id)
    return dict((await client.get(f"/status/{project_id}")).json())


async def signed_in_with_token(
    client: httpx.AsyncClient, make_user: UserMaker, name: str
) -> dict[str, str]:
    """Sign `name` in on the client (cookie) and return their bearer headers for the API."""
    _, headers = make_user(name, "correct horse battery")
    form = {"username": name, "password": "correct horse battery"}
    assert (await client.post("/login", data=form)).status_code == 303
    return headers


async def test_projects_is_a_page_for_browsers_and_json_for_api_clients(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    await signed_in(client, make_user)
    page = await client.get("/projects", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<a href="/projects" aria-current="page">Projects</a>' in page.text  # in the nav
    assert 'id="project-form"' in page.text and 'name="chat_id" value="web"' in page.text
    assert "No projects yet" in page.text
    for accept in ({}, {"Accept": "application/json"}):
        api = await client.get("/projects", headers=accept)
        assert api.headers["content-type"].startswith("application/json"), accept
        assert api.json()["projects"] == []


async def test_the_form_starts_a_project_and_its_pages_render_the_document(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    await signed_in(client, make_user)
    sent = await client.post("/projects/new", data=FORM, headers=ORIGIN)
    assert sent.status_code == 303 and sent.headers["location"] == "/projects/p-web-1/teacher"
    spec = await written(client, "p-web-1")
    assert spec["status"] == "complete" and spec["chat_id"] == "web"

    teacher = await client.get("/projects/p-web-1/teacher", headers=BROWSER)
    assert teacher.status_code == 200
    assert teacher.text.count('data-testid="plan-section"') == len(spec["plan"]["sections"]) == 3
    for section in spec["plan"]["sections"]:
        assert escape(section["name"]) in teacher.text
    sec = spec["sections"]["sec_01"]
    assert escape(sec["teacher"]["objective"]) in teacher.text
    assert "Every check passed" in teacher.text
    assert escape(spec["logs"]["csv_url"]) in teacher.text
    seats = re.findall(r'href="/projects/p-web-1/seats/(\d+)"', teacher.text)
    assert seats == ["1", "2", "3"]

    handout = await client.get("/projects/p-web-1/seats/2", headers=BROWSER)
    assert handout.status_code == 200
    mine = spec["sections"]["sec_02"]["seats"]["2"]
    other = spec["sections"]["sec_02"]["seats"]["3"]
    assert escape(mine["data"]["role"]) in handout.text.split("</h1>", 1)[0]
    assert escape(mine["steps"][0]) in handout.text
    assert escape(other["steps"][0]) not in handout.text
    assert "data-print" in handout.text
    assert (await client.get("/projects/p-web-1/seats/4", headers=BROWSER)).status_code == 404

    fragment = await client.get("/projects/p-web-1/sections/sec_03")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert escape(spec["sections"]["sec_03"]["shared"]["objective"]) in fragment.text
    summary = await client.get("/projects/p-web-1/summary")
    assert summary.text.count("/projects/p-web-1/seats/") == 3


async def test_the_form_says_what_is_wrong(client: httpx.AsyncClient, make_user: UserMaker) -> None:
    await signed_in(client, make_user)
    bad = await client.post("/projects/new", data={**FORM, "group_size": "40"}, headers=ORIGIN)
    assert bad.status_code == 422 and 'id="group_size-error"' in bad.text
    assert 'aria-invalid="true"' in bad.text.split('id="project-group_size"', 1)[1].split(">")[0]
    assert (await client.get("/projects", headers={"Accept": "application/json"})).json()[
        "total"
    ] == 0


async def test_another_users_project_is_404_on_every_page(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    _, owner = make_user()
    run_id = await start(client, owner, project_id="theirs")
    await stream(client, owner, run_id)
    await signed_in(client, make_user)
    for path in (
        "/projects/theirs/teacher",
        "/projects/theirs/seats/1",
        "/projects/theirs/sections/sec_01",
        "/projects/theirs/summary",
    ):
        page = await client.get(path, headers=BROWSER)
        assert page.status_code == 404 and "not yours" in page.text, path
    for path in ("/projects/theirs/delete", "/projects/theirs/generate-again"):
        assert (await client.post(path, headers=ORIGIN)).status_code == 404, path
    assert (await client.get("/status/theirs", headers=owner)).status_code == 200  # untouched
    followed = await client.get(f"/projects?run={run_id}", headers=BROWSER)
    assert "data-run=" not in followed.text  # someone else's run is not followed


async def test_regenerate_and_delete_from_the_page(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    await signed_in(client, make_user)
    await client.post("/projects/new", data=FORM, headers=ORIGIN)
    before = (await written(client, "p-web-1"))["run_id"]
    listed = await client.get("/projects", headers=BROWSER)
    assert 'action="/projects/p-web-1/generate-again"' in listed.text
    assert 'action="/projects/p-web-1/delete"' in listed.text and "data-confirm=" in listed.text
    named = 'Delete<span class="visually-hidden"> “Souq budget”</span></button>'
    assert named in listed.text and "&lt;span" not in listed.text  # the buttons' names
    again = await client.post("/projects/p-web-1/generate-again", headers=ORIGIN)
    after = (await written(client, "p-web-1"))["run_id"]
    assert after != before and again.headers["location"] == f"/projects?run={after}"
    followed = await client.get(again.headers["location"], headers=BROWSER)
    assert f'data-run="{after}"' in followed.text and 'data-project="p-web-1"' in followed.text
    refused = await client.post("/projects/p-web-1/delete")  # no Origin: a cross-site post
    assert refused.status_code == 403
    gone = await client.post("/projects/p-web-1/delete", headers=ORIGIN)
    assert gone.status_code == 303 and gone.headers["location"] == "/projects"
    assert (await client.get("/projects/p-web-1/teacher", headers=BROWSER)).status_code == 404


async def test_a_grounded_project_lists_its_sources_with_links(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    headers = await signed_in_with_token(client, make_user, "grounded")
    text = (
        "# Discounts\n\nA discount of 20 percent means you pay 80 percent of the price. "
        "Shops in the souq show the sale price on a tag.\n"
    )
    doc = await ingest(client, headers, "budget.md", text.encode(), path="maths/budget.md")
    assert doc["status"] == "completed", doc
    await client.post("/projects/new", data=FORM, headers=ORIGIN)
    spec = await written(client, "p-web-1")
    seat = spec["sections"]["sec_02"]["seats"]["1"]
    assert seat["extras"]["citations"][0]["filename"] == "budget.md"
    teacher = (await client.get("/projects/p-web-1/teacher", headers=BROWSER)).text
    sources = teacher.split('id="citations-title"', 1)[1].split("</section>", 1)[0]
    assert f'href="/library/{doc["document_id"]}' in sources and "budget.md" in sources
    assert sources.count("<li>") == 1  # the same passage cited by several parts, listed once
    handout = (await client.get("/projects/p-web-1/seats/1", headers=BROWSER)).text
    assert escape(seat["data"]["reading"]) in handout


async def test_a_reading_carries_the_code_around_it(
    client: httpx.AsyncClient, make_user: UserMaker
) -> None:
    headers = await signed_in_with_token(client, make_user, "coder")
    code = "for key, value in scores.items():\n    print(key, value)"
    text = (
        "# Looping\n\nWhen looping through Python dictionaries, the key and its value can be "
        f"retrieved at the same time with the items() method.\n\n```python\n{code}\n```\n\n"
        "# Keys\n\n```python\ndict.get(key, default)\n```\n\n"  # a signature: what follows
        "Return the value for key if key is in the Python dictionary, else default.\n\n"
        "```python\ndict.pop(key)\n```\n"  # the next entry's signature, not an example
    )
    doc = await ingest(client, headers, "loops.md", text.encode(), path="py/loops.md")
    assert doc["status"] == "completed", doc
    jigsaw = {**FORM, "title": "Dictionaries", "topic": "Python dictionaries"}
    await client.post("/projects/new", data=jigsaw, headers=ORIGIN)
    seats = (await written(client, "p-web-1"))["sections"]["sec_02"]["seats"]
    assert all(
        "for key, value" not in s["data"]["reading"] for s in seats.values()
    )  # code: no reading
    looping = [s for s in seats.values() if "looping" in s["data"]["reading"]]
    entry = [s for s in seats.values() if "Return the value" in s["data"]["reading"]]
    assert looping and entry, seats
    assert all(s["data"]["example"] == code and "code" not in s["data"] for s in looping)
    assert all(s["data"]["code"] == "dict.get(key, default)" for s in entry)
    assert all("example" not in s["data"] for s in entry)
    number = next(n for n, s in seats.items() if s in looping)
    handout = (await client.get(f"/projects/p-web-1/seats/{number}", headers=BROWSER)).text
    assert f'<pre class="project-code"><code>{escape(code)}</code></pre>' in handout
    assert handout.index(">Reading<") < handout.index(">Example<")  # read, then the example
