"""The four stages over HTTP on a real repository served by git daemon: the user's choices are
respected at every stage, stages refuse to run out of order, another user sees nothing, and
the course ends up in the course list with its exports."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import httpx
import pytest

from tests.conftest import UserMaker
from tests.support.polling import poll_json

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(240)]
FINISHED = ("SUCCESS", "FAILURE")


async def run_stage(client: httpx.AsyncClient, h: dict[str, str], course: str, stage: str,
                    path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Start a stage and wait for its status to end; returns the final status."""
    resp = await client.post(f"/api/courses/{course}/{path}", headers=h, json=body or {})
    assert resp.status_code == 202, resp.text
    started = resp.json()
    assert started["status"] == "started" and started["stage"] == stage
    return await poll_json(client, f"/api/courses/{course}/{stage}/status", h,
                           lambda b: b["status"] in FINISHED, 120)  # fmt: skip


async def test_a_repository_goes_through_all_four_stages(
    client: httpx.AsyncClient, make_user: UserMaker, served: str
) -> None:
    _, h = make_user()
    course = str(uuid.uuid4())
    base = f"/api/courses/{course}"
    done = await run_stage(client, h, course, "stage1", "analyze-repository",
                           {"repo_url": served + "pydocs"})  # fmt: skip
    assert done["status"] == "SUCCESS", done
    assert done["progress"] == 100 and done["error_message"] is None

    found = (await client.get(f"{base}/repository-files", headers=h)).json()
    assert {"docs", "docs/tutorial", "docs/howto", "docs/faq", "."} <= set(found["folders"])
    assert found["overview_candidates"][0] == "README.md"
    assert "docs/index.rst" in found["overview_candidates"]
    files = {f["file_path"]: f for f in found["files"]}
    assert files["docs/tutorial/errors.rst"]["is_documentation"]
    assert not files["src/sample/__init__.py"]["is_documentation"]

    # Stage 2 before the choices is refused; choices naming other folders are refused.
    early = await client.post(f"{base}/analyze-documents", headers=h, json={})
    assert early.status_code == 409 and early.json()["code"] == "STAGE_NOT_READY"
    wrong = await client.post(f"{base}/stage1-selections", headers=h,
                              json={"selected_folders": ["docs/nowhere"]})  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["code"] == "INVALID_SELECTION"
    chosen = await client.post(
        f"{base}/stage1-selections",
        headers=h,
        json={
            "selected_folders": ["docs/tutorial", "docs/howto"],
            "overview_document": "README.md",
        },
    )
    assert chosen.json() == {"message": "Selections saved", "next_stage": "stage2"}

    done = await run_stage(client, h, course, "stage2", "analyze-documents",
                           {"complexity_level": "beginner",
                            "additional_info": "Focus on practical examples"})  # fmt: skip
    assert done["status"] == "SUCCESS", done
    analysed = (await client.get(f"{base}/analyzed-documents", headers=h)).json()
    paths = {d["file_path"] for d in analysed["documents"]}
    # Only the chosen folders (and the overview document): not the FAQ, not docs/index.rst.
    assert paths == {"README.md", "docs/howto/sorting.rst",
                     *(f"docs/tutorial/{n}.rst" for n in TUTORIAL)}  # fmt: skip
    errors_doc = next(d for d in analysed["documents"] if d["file_path"].endswith("errors.rst"))
    assert errors_doc["title"] == "Errors and Exceptions"
    assert errors_doc["word_count"] > 1000 and errors_doc["key_concepts"]

    done = await run_stage(client, h, course, "stage3", "generate-pathways",
                           {"additional_info": "hands-on"})  # fmt: skip
    assert done["status"] == "SUCCESS", done
    offered = (await client.get(f"{base}/pathways", headers=h)).json()
    pathways = offered["pathways"]
    assert len(pathways) >= 3
    sequences = {tuple(tuple(d["id"] for d in m["documents"]) for m in p["modules"])
                 for p in pathways}  # fmt: skip
    assert len(sequences) == len(pathways)  # no two pathways have the same module sequence
    for p in pathways:
        assert [m["sequence_order"] for m in p["modules"]] == list(range(1, len(p["modules"]) + 1))
        used = {d["file_path"] for m in p["modules"] for d in m["documents"]}
        assert used <= paths

    bad = await client.post(f"{base}/stage3-selections", headers=h,
                            json={"selected_pathway_id": str(uuid.uuid4())})  # fmt: skip
    assert bad.status_code == 422
    pick = pathways[0]
    ok = await client.post(f"{base}/stage3-selections", headers=h,
                           json={"selected_pathway_id": pick["id"]})  # fmt: skip
    assert ok.json()["next_stage"] == "stage4"

    done = await run_stage(client, h, course, "stage4", "generate-course")
    assert done["status"] == "SUCCESS", done
    made = (await client.get(f"{base}/generated-course", headers=h)).json()
    assert len(made["modules"]) == len(pick["modules"])
    for module in made["modules"]:
        assert module["main_content"] and module["sources"]
        for source in module["sources"]:
            assert source["path"] in used_paths(pick)
    # One course model: it is in the list, reads as lessons, and exports.
    listed = (await client.get("/api/courses", headers=h)).json()
    assert course in {c["id"] for c in listed["items"]}
    full = (await client.get(base, headers=h)).json()
    assert full["kind"] == "repository" and full["repo_status"] == "stage4_complete"
    assert full["status"] == "READY" and len(full["lessons"]) == len(pick["modules"])
    md = await client.get(f"{base}/export", headers=h, params={"format": "md"})
    assert md.status_code == 200 and "```" in md.text
    archive = await client.get(f"{base}/export", headers=h, params={"format": "zip"})
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert {"course.json", "course.md", "course.html"} <= set(names)
    document = json.loads(zipfile.ZipFile(io.BytesIO(archive.content)).read("course.json"))
    assert document["metadata"]["total_lessons"] == len(pick["modules"])
    # Modules are rewritten by stage 4, not one lesson at a time.
    again = await client.post(f"{base}/lessons/1/regenerate", headers=h, json={})
    assert again.status_code == 409 and again.json()["code"] == "REPOSITORY_COURSE"
    # Choosing another pathway clears the course it had: it is no longer READY.
    other = await client.post(f"{base}/stage3-selections", headers=h,
                              json={"selected_pathway_id": pathways[1]["id"]})  # fmt: skip
    assert other.status_code == 200
    full = (await client.get(base, headers=h)).json()
    assert (full["repo_status"], full["status"], full["lessons"]) == ("stage3_complete",
                                                                      "QUEUED", [])  # fmt: skip
    assert (await client.get(f"{base}/generated-course", headers=h)).status_code == 409


def used_paths(pathway: dict[str, Any]) -> set[str]:
    return {d["file_path"] for m in pathway["modules"] for d in m["documents"]}


TUTORIAL = ["index", "appetite", "interpreter", "introduction", "controlflow",
            "datastructures", "modules", "errors", "classes"]  # fmt: skip


async def test_another_user_gets_404_on_every_stage_endpoint(
    client: httpx.AsyncClient, make_user: UserMaker, served: str
) -> None:
    _, mine = make_user()
    _, theirs = make_user()
    course = str(uuid.uuid4())
    done = await run_stage(client, mine, course, "stage1", "analyze-repository",
                           {"repo_url": served + "tiny"})  # fmt: skip
    assert done["status"] == "SUCCESS"
    base = f"/api/courses/{course}"
    reads = ["stage1/status", "stage2/status", "stage3/status", "stage4/status",
             "repository-files", "analyzed-documents", "pathways", "generated-course"]  # fmt: skip
    for path in reads:
        resp = await client.get(f"{base}/{path}", headers=theirs)
        assert resp.status_code == 404, path
    writes = {"analyze-repository": {"repo_url": served + "tiny"},
              "stage1-selections": {"selected_folders": ["."]},
              "analyze-documents": {}, "generate-pathways": {},
              "stage3-selections": {"selected_pathway_id": str(uuid.uuid4())},
              "generate-course": {}}  # fmt: skip
    for path, body in writes.items():
        resp = await client.post(f"{base}/{path}", headers=theirs, json=body)
        assert resp.status_code == 404, path
        assert resp.json()["code"] == "COURSE_NOT_FOUND"
    assert (await client.get(f"{base}/stage1/status", headers=mine)).json()["status"] == "SUCCESS"


@pytest.mark.parametrize("url, message", [
    ("https://10.1.2.3/org/repo.git", "private"),
    ("ftp://example.com/repo.git", "https://"),
    ("SERVED:missing", "not found"),
    ("SERVED:escaping", "points outside it"),
    ("SERVED:pydocs", "larger than"),
])  # fmt: skip
async def test_unusable_repositories_end_in_a_clear_failure(
    client: httpx.AsyncClient,
    make_user: UserMaker,
    served: str,
    url: str,
    message: str,
    settings: Any,
) -> None:
    settings.repo_allow_local = url.startswith("SERVED")  # the private address is refused
    settings.repo_max_bytes = 200_000 if url.endswith("pydocs") else 10_000_000  # 0.5 MB of docs
    _, h = make_user()
    course = str(uuid.uuid4())
    repo_url = served + url.removeprefix("SERVED:") if url.startswith("SERVED") else url
    done = await run_stage(client, h, course, "stage1", "analyze-repository",
                           {"repo_url": repo_url})  # fmt: skip
    assert done["status"] == "FAILURE"
    assert message in done["error_message"].lower() or message in done["error_message"]
    full = (await client.get(f"/api/courses/{course}", headers=h)).json()
    assert full["repo_status"] == "stage1_failed" and full["status"] == "FAILED"
    # Starting over with a good URL works on the same course.
    settings.repo_allow_local = True
    again = await run_stage(client, h, course, "stage1", "analyze-repository",
                            {"repo_url": served + "tiny"})  # fmt: skip
    assert again["status"] == "SUCCESS"
