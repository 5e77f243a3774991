"""The project generator through an OpenAI-compatible LLM (only its HTTP edge is faked)."""

from __future__ import annotations

import json

import httpx
import pytest

from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.projects.planner import plan
from tests.projects.test_projects_api import body, start, stream
from tests.support.openai_stub import completion

pytestmark = pytest.mark.anyio


def _completion(content: str) -> httpx.Response:
    return httpx.Response(200, json=completion(content, 900, 400))


def _llm(handler, calls: list[dict]) -> OpenAICompatLLM:
    def record(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        return handler(request)

    return OpenAICompatLLM(
        api_key="k",
        base_url="http://llm.invalid/v1",
        model="m",
        timeout=5,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(record)),
    )


async def test_invalid_json_twice_ends_the_run_in_error(client, make_user, platform) -> None:
    _, headers = make_user()
    calls: list[dict] = []
    platform.ai.llm = _llm(lambda r: _completion("{not json at all"), calls)
    run_id = await start(client, headers)
    events = await stream(client, headers, run_id)
    assert [e["event"] for e in events] == ["run_started", "error"]
    assert "invalid" in events[-1]["data"]["error"]
    assert len(calls) == 2  # one call plus one repair attempt with the validation errors
    assert "invalid" in calls[1]["messages"][-1]["content"]
    spec = (await client.get("/status/proj_1", headers=headers)).json()
    assert spec["status"] == "error" and spec["sections"] == {}
    # Nothing else is affected: another project of the same user still generates.
    platform.ai.llm = _llm(
        lambda r: _completion(json.dumps(plan({**body(), "passages": []}))), calls
    )
    other = await start(client, headers, project_id="proj_2")
    assert [e["event"] for e in await stream(client, headers, other)][-1] == "run_completed"
    assert (await client.get("/status/proj_2", headers=headers)).json()["status"] == "complete"


async def test_a_project_that_misfits_the_request_is_repaired_once(
    client, make_user, platform, monkeypatch
) -> None:
    _, headers = make_user()
    calls: list[dict] = []
    good = plan({**body(group_size=3), "passages": []})
    short = json.loads(json.dumps(good))
    short["sections"]["sec_02"]["seats"].pop("3")  # one seat short of the group
    answers = iter([short, good])
    platform.ai.llm = _llm(lambda r: _completion(json.dumps(next(answers))), calls)
    monkeypatch.setattr(platform.settings, "model_primary", "primary-model")
    run_id = await start(client, headers, group_size=3)
    assert [e["event"] for e in await stream(client, headers, run_id)][-1] == "run_completed"
    spec = (await client.get("/status/proj_1", headers=headers)).json()
    assert len(calls) == 2 and spec["status"] == "complete"
    assert (
        "sec_02: seats ['1', '2'] but the group has 3 members"
        in calls[1]["messages"][-1]["content"]
    )
    assert spec["validator"] == {"ok": True, "findings": []}
    assert all(sorted(s["seats"]) == ["1", "2", "3"] for s in spec["sections"].values())
    assert {c["model"] for c in calls} == {"primary-model"}  # MODEL_PRIMARY, not LLM_MODEL
    assert "teacher.name@school.ae" not in json.dumps(calls)


async def test_a_misfit_twice_ends_in_error(client, make_user, platform) -> None:
    _, headers = make_user()
    calls: list[dict] = []
    over = plan({**body(duration_min=90), "passages": []})  # timed for 90 minutes
    platform.ai.llm = _llm(lambda r: _completion(json.dumps(over)), calls)
    run_id = await start(client, headers, duration_min=30)
    events = await stream(client, headers, run_id)
    assert [e["event"] for e in events] == ["run_started", "error"]
    assert "over 30" in events[-1]["data"]["error"] and len(calls) == 2
