"""The project generator end to end through the API (offline planner; SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from studyforge.projects.runlog import COLUMNS, log_dir
from studyforge.projects.spec import json_schema
from tests.documents.conftest import ingest

pytestmark = pytest.mark.anyio
EMAIL = "teacher.name@school.ae"


def body(**overrides: Any) -> dict[str, Any]:
    """A valid `POST /start` body."""
    return {
        "project_id": "proj_1",
        "chat_id": "chat_1",
        "title": "Souq budget",
        "topic": "Shopping on a budget with discounts",
        "life_skill": "teamwork",
        "group_size": 3,
        "duration_min": 45,
        "owner_email": EMAIL,
        **overrides,
    }


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The events of an SSE body: id, event name and JSON data."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            events.append(
                {
                    "id": int(fields["id"]),
                    "event": fields["event"],
                    "data": json.loads(fields["data"]),
                }
            )
    return events


async def stream(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, last: int | None = None
) -> list[dict[str, Any]]:
    """Read the run's stream to its end with a streaming client."""
    extra = {"Last-Event-ID": str(last)} if last is not None else {}
    async with client.stream(
        "GET", "/events/stream", params={"run_id": run_id}, headers={**headers, **extra}, timeout=60
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        text = "".join([chunk async for chunk in resp.aiter_text()])
    return parse_sse(text)


async def start(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> str:
    resp = await client.post("/start", json=body(**overrides), headers=headers)
    assert resp.status_code == 202, resp.text
    return str(resp.json()["run_id"])


async def test_stream_status_and_logs(client, make_user, platform) -> None:
    _, headers = make_user()
    run_id = await start(client, headers)
    events = await stream(client, headers, run_id)
    names = [e["event"] for e in events]
    assert names == ["run_started"] + ["section_started", "section_completed"] * 3 + [
        "run_completed"
    ]
    assert [e["data"]["section_id"] for e in events[1:-1]] == [
        "sec_01",
        "sec_01",
        "sec_02",
        "sec_02",
        "sec_03",
        "sec_03",
    ]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and all(e["data"]["run_id"] == run_id for e in events)
    # A reconnect gets only what it missed.
    again = await stream(client, headers, run_id, last=ids[3])
    assert [e["id"] for e in again] == ids[4:]

    spec = (await client.get("/status/proj_1", headers=headers)).json()
    jsonschema.validate(spec, json_schema())
    assert spec["status"] == "complete" and spec["run_id"] == run_id
    assert spec["meta"]["owner_email"] == "redacted@example.com"
    assert spec["validator"]["ok"] is True and spec["plan"]["blocklist_ok"] is True
    assert sum(s["constraints"]["time_min"] for s in spec["plan"]["sections"]) <= 45
    for body_ in spec["sections"].values():
        assert sorted(body_["seats"]) == ["1", "2", "3"]
        assert body_["teacher"]["extras"]["templated"] is True
    core = spec["sections"]["sec_02"]["seats"]
    assert len({json.dumps(seat["steps"]) for seat in core.values()}) == 3  # one task per seat

    # Logs: the CSV (owner-only download) and the JSON files, with no email in any of them.
    assert spec["logs"]["csv_url"].startswith("/projects/proj_1/logs.csv")
    resp = await client.get(spec["logs"]["csv_url"], headers=headers)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.text)))
    assert tuple(rows[0]) == COLUMNS and len(rows) >= 3
    folder: Path = log_dir(platform.settings)
    files = [
        folder / f"{run_id}.csv",
        folder / run_id / "prompt.json",
        folder / run_id / "output.json",
    ]
    for path in files:
        assert path.is_file() and "@school.ae" not in path.read_text()


async def test_start_is_idempotent_also_concurrently(client, make_user) -> None:
    _, headers = make_user()
    replies = await asyncio.gather(
        *[client.post("/start", json=body(chat_id="chat_c"), headers=headers) for _ in range(4)]
    )
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 202]
    assert len({r.json()["run_id"] for r in replies}) == 1
    again = await client.post("/start", json=body(chat_id="chat_c"), headers=headers)
    assert again.status_code == 200 and again.json()["run_id"] == replies[0].json()["run_id"]
    listed = (await client.get("/projects", headers=headers)).json()
    assert listed["total"] == 1 and listed["projects"][0]["chat_id"] == "chat_c"


async def test_another_user_gets_404(client, make_user) -> None:
    _, owner = make_user()
    _, other = make_user()
    run_id = await start(client, owner)
    await stream(client, owner, run_id)
    for method, url in [
        ("GET", "/status/proj_1"),
        ("GET", "/projects/proj_1/logs.csv"),
        ("DELETE", "/projects/proj_1"),
        ("POST", "/projects/proj_1/regenerate"),
    ]:
        resp = await client.request(method, url, headers=other)
        assert resp.status_code == 404, (url, resp.text)
        assert resp.json()["code"] == "PROJECT_NOT_FOUND"
    resp = await client.get("/events/stream", params={"run_id": run_id}, headers=other)
    assert resp.status_code == 404
    assert (await client.get("/projects", headers=other)).json()["total"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"group_size": 0},
        {"group_size": 500},
        {"duration_min": -5},
        {"topic": None},
        {"title": "x" * 1_000_000},
        {"owner_email": "a" * 400},
    ],
)
async def test_bad_input_is_422_in_the_shared_shape(client, make_user, bad) -> None:
    _, headers = make_user()
    payload = {k: v for k, v in body(**bad).items() if v is not None}
    resp = await client.post("/start", json=payload, headers=headers)
    assert resp.status_code in (413, 422), resp.text  # a 1 MB body may hit the body limit first
    assert {"error", "code", "timestamp"} <= set(resp.json())


async def test_regenerate_and_delete(client, make_user, platform) -> None:
    _, headers = make_user()
    first = await start(client, headers)
    await stream(client, headers, first)
    resp = await client.post("/projects/proj_1/regenerate", headers=headers)
    assert resp.status_code == 202
    second = resp.json()["run_id"]
    assert second != first
    assert not (log_dir(platform.settings) / f"{first}.csv").exists()
    assert not (log_dir(platform.settings) / first).exists()
    assert [e["event"] for e in await stream(client, headers, second)][-1] == "run_completed"
    assert (await client.get("/status/proj_1", headers=headers)).json()["run_id"] == second
    resp = await client.delete("/projects/proj_1", headers=headers)
    assert resp.status_code == 200 and resp.json()["deleted"] == 1
    assert not (log_dir(platform.settings) / f"{second}.csv").exists()
    assert (await client.get("/status/proj_1", headers=headers)).status_code == 404


async def test_grounded_in_the_owners_documents(client, make_user) -> None:
    _, headers = make_user()
    text = (
        "# Discounts\n\nA discount of 20 percent means you pay 80 percent of the price. "
        "Shops in the souq show the sale price on a tag.\n\n# Budgets\n\nA budget is the "
        "most you plan to spend. Compare unit prices to stay within a budget.\n"
    )
    doc = await ingest(client, headers, "budget.md", text.encode(), path="maths/budget.md")
    assert doc["status"] == "completed", doc
    run_id = await start(client, headers, group_size=4)
    await stream(client, headers, run_id)
    spec = (await client.get("/status/proj_1", headers=headers)).json()
    seats = spec["sections"]["sec_02"]["seats"]
    assert sorted(seats) == ["1", "2", "3", "4"]
    cited = [s for s in seats.values() if s["extras"].get("citations")]
    assert cited and cited[0]["extras"]["citations"][0]["filename"] == "budget.md"
    assert cited[0]["data"]["reading"] in text


async def test_every_part_of_a_two_part_topic_gets_a_reading(client, make_user) -> None:
    _, headers = make_user()
    sections = {
        "Dictionaries": "A dictionary maps keys to values. Python dictionaries are indexed "
        "by keys.",
        "Dictionary keys": "Dictionary keys must be immutable, so a Python dictionary key can "
        "be a string, a number or a tuple of them.",
        "Dictionary views": "The keys, values and items of a Python dictionary are views that "
        "follow the dictionary as it changes.",
        "Looping over dictionaries": "Looping over a Python dictionary gives its keys; items() "
        "gives each key with its value in the dictionary.",
        "Stacks": "A list can be used as a stack: append() puts an item on top and pop() takes "
        "the top item off again.",
    }
    text = "".join(f"# {head}\n\n{body}\n\n" for head, body in sections.items())
    doc = await ingest(client, headers, "structures.md", text.encode(), path="py/structures.md")
    assert doc["status"] == "completed", doc
    run_id = await start(client, headers, topic="Python lists and dictionaries", group_size=2)
    await stream(client, headers, run_id)
    spec = (await client.get("/status/proj_1", headers=headers)).json()
    seats = spec["sections"]["sec_02"]["seats"].values()
    assert all(s["extras"]["citations"][0]["filename"] == "structures.md" for s in seats)
    readings = [s["data"]["reading"] for s in seats]
    assert any("dictionar" in r for r in readings), readings
    assert any("list" in r for r in readings), readings  # the part that ranks lower: lists
