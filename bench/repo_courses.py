"""Repository → course, all four stages over HTTP, on a real project's documentation: wall time
per stage and in total, and the LLM calls and tokens each stage used.

The project is click's source distribution from the package registry (`pip download`), whose
files the bench commits into a local Git repository; the pipeline clones it (`file://`, with
`STUDYFORGE_REPO_ALLOW_LOCAL`). The user's choices: the `docs` folder, the first overview
candidate (the README) and the first pathway offered. The app runs in-process on SQLite with
inline jobs and the offline engine (`--provider local`: the local llama.cpp model).

`--repo pydocs` takes the pipeline test's repository instead (Python's tutorial and sorting
HOWTO from python3-doc, `docs/tutorial` and `docs/howto` chosen); `--runs N` runs it N times,
for the local models' acceptance (`STUDYFORGE_LOCAL_MODEL`, `STUDYFORGE_LOCAL_CONTEXT`, 8192
by default here): every run must finish all four stages, and the longest prompt must fit.

`python -m bench repo_courses [--provider local] [--repo pydocs] [--runs N] [--show]` (`--show`
prints the pathways and the first module).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from tests.conftest import make_settings
from tests.support.gitserve import git

from studyforge.app import create_app
from studyforge.auth.service import create_user, issue_token
from studyforge.jobs.models import Job
from studyforge.migrate import upgrade
from studyforge.platform import build_platform

PROJECT = "click==8.1.7"
CACHE = Path(os.environ.get("STUDYFORGE_BENCH_CACHE", Path.home() / ".cache" / "studyforge-bench"))
PROVIDER = sys.argv[sys.argv.index("--provider") + 1] if "--provider" in sys.argv else "offline"
REPO = sys.argv[sys.argv.index("--repo") + 1] if "--repo" in sys.argv else "click"
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 1
LOCAL_MODEL = os.environ.get("STUDYFORGE_LOCAL_MODEL", "qwen2.5-coder-1.5b")
LOCAL_CONTEXT = int(os.environ.get("STUDYFORGE_LOCAL_CONTEXT", 8192))
STAGES = [
    ("stage1", "analyze-repository"),
    ("stage2", "analyze-documents"),
    ("stage3", "generate-pathways"),
    ("stage4", "generate-course"),
]


def project_repo(root: Path) -> Path:
    """click's sdist, downloaded once into the cache, committed as a Git repository."""
    CACHE.mkdir(parents=True, exist_ok=True)
    sdists = sorted(CACHE.glob("click-8.1.7.tar.gz"))
    if not sdists:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", PROJECT, "-d", str(CACHE)],
                       check=True, timeout=300)  # fmt: skip
        sdists = sorted(CACHE.glob("click-8.1.7.tar.gz"))
    with tarfile.open(sdists[0]) as archive:
        archive.extractall(root, filter="data")
    repo = root / "click-8.1.7"
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "click 8.1.7 from its sdist")
    return repo


def pydocs_repo(root: Path) -> Path:
    """The pipeline test's repository: Python's tutorial and a HOWTO (python3-doc)."""
    from tests.repo_courses.conftest import docs_files
    from tests.support.gitserve import make_repo

    return make_repo(root / "pydocs", docs_files())


def wait(client: TestClient, h: dict[str, str], course: str, stage: str) -> dict[str, Any]:
    deadline = time.monotonic() + float(os.environ.get("STUDYFORGE_BENCH_STAGE_SECONDS", 1800))
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/courses/{course}/{stage}/status", headers=h).json()
        if body["status"] in ("SUCCESS", "FAILURE"):
            return dict(body)
        time.sleep(0.1)
    raise RuntimeError(f"{stage} did not finish: {body}")


def run(root: Path) -> list[dict[str, Any]]:
    """The four stages on the project; one row per stage."""
    repo = pydocs_repo(root / "src") if REPO == "pydocs" else project_repo(root / "src")
    db = f"sqlite:///{root / 'bench.db'}"
    upgrade(db)
    # A local model's file is joined once, into the cache, not once per run.
    (root / "home").mkdir()
    (CACHE / "models").mkdir(parents=True, exist_ok=True)
    (root / "home" / "models").symlink_to(CACHE / "models")
    settings = make_settings(root / "home", db, repo_allow_local=True, llm_provider=PROVIDER,
                             local_model=LOCAL_MODEL, local_context=LOCAL_CONTEXT,
                             max_body_bytes=50 * 1024 * 1024)  # fmt: skip
    platform = build_platform(settings)
    rows: list[dict[str, Any]] = []
    try:
        with platform.sessions.begin() as s:
            token = issue_token(create_user(s, "bench", "bench-pass-1"), settings.secret_key(), 600)
        h = {"Authorization": f"Bearer {token}"}
        client = TestClient(create_app(platform=platform))
        course = str(uuid.uuid4())
        base = f"/api/courses/{course}"
        bodies: dict[str, dict[str, Any]] = {
            "stage1": {"repo_url": repo.as_uri()}, "stage2": {"complexity_level": "beginner"},
            "stage3": {"additional_info": "hands-on"}, "stage4": {},
        }  # fmt: skip
        for stage, path in STAGES:
            if stage == "stage2":
                found = client.get(f"{base}/repository-files", headers=h).json()
                folders = ["docs/tutorial", "docs/howto"] if REPO == "pydocs" else ["docs"]
                chosen = {"selected_folders": folders,
                          "overview_document": found["overview_candidates"][0]}  # fmt: skip
                client.post(f"{base}/stage1-selections", headers=h, json=chosen).raise_for_status()
            if stage == "stage4":
                first = client.get(f"{base}/pathways", headers=h).json()["pathways"][0]
                client.post(f"{base}/stage3-selections", headers=h,
                            json={"selected_pathway_id": first["id"]})  # fmt: skip
            started = time.perf_counter()
            resp = client.post(f"{base}/{path}", headers=h, json=bodies[stage])
            task = resp.raise_for_status().json()
            status = wait(client, h, course, stage)
            seconds = time.perf_counter() - started
            with platform.sessions() as s:
                usage = s.get_one(Job, uuid.UUID(task["task_id"])).usage or {}
            rows.append({"stage": stage, "seconds": seconds, "status": status["status"],
                         "error": status["error_message"], **usage,
                         "what": _what(client, h, base, stage)})  # fmt: skip
        if "--show" in sys.argv:
            _show(client, h, base)
    finally:
        platform.close()
    return rows


def _show(client: TestClient, h: dict[str, str], base: str) -> None:
    """Print the pathways offered and the first module, to read as a teacher would."""
    for p in client.get(f"{base}/pathways", headers=h).json()["pathways"]:
        print(f"\n{p['title']} ({p['estimated_duration']}): {p['description']}")
        for m in p["modules"]:
            docs = ", ".join(d["file_path"] for d in m["documents"])
            print(f"  {m['sequence_order']}. {m['title']} [{docs}]")
    first = client.get(f"{base}/generated-course", headers=h).json()["modules"][0]
    for part in ("introduction", "main_content", "conclusion", "assessment", "summary"):
        print(f"\n----- {part}\n{first[part]}")


def _what(client: TestClient, h: dict[str, str], base: str, stage: str) -> str:
    if stage == "stage1":
        found = client.get(f"{base}/repository-files", headers=h).json()
        docs = sum(f["is_documentation"] for f in found["files"])
        return f"{len(found['files'])} files, {docs} documentation"
    if stage == "stage2":
        body = client.get(f"{base}/analyzed-documents", headers=h).json()
        return f"{body['analyzed']} analysed, {body['failed']} failed"
    if stage == "stage3":
        paths = client.get(f"{base}/pathways", headers=h).json()["pathways"]
        return f"{len(paths)} pathways: " + ", ".join(str(len(p["modules"])) for p in paths)
    made = client.get(f"{base}/generated-course", headers=h).json()
    words = sum(len((m["main_content"] or "").split()) for m in made["modules"])
    return f"{len(made['modules'])} modules, {words:,} words of main content"


def main() -> None:
    """Print the table of each run, and for several runs how many finished."""
    finished, tokens, largest = 0, [], 0
    for number in range(1, RUNS + 1):
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        with tempfile.TemporaryDirectory() as tmp:
            rows = run(Path(tmp))
        _table(rows, load, number)
        finished += all(r["status"] == "SUCCESS" for r in rows) and len(rows) == len(STAGES)
        tokens.append(sum(r.get("prompt_tokens", 0) for r in rows))
        largest = max([largest, *(r.get("largest_prompt", 0) for r in rows)])
    if RUNS > 1 or PROVIDER == "local":
        model = f"{LOCAL_MODEL}, context {LOCAL_CONTEXT}" if PROVIDER == "local" else PROVIDER
        print(f"\n{finished} of {RUNS} runs finished all four stages ({model}); prompt tokens "
              f"per course: {', '.join(f'{t:,}' for t in tokens)}; longest prompt "
              f"{largest:,} tokens")  # fmt: skip


def _table(rows: list[dict[str, Any]], load: str, number: int) -> None:
    what = f"{PROJECT} docs" if REPO == "click" else "Python tutorial + sorting HOWTO"
    print(
        f"\nRepository → course, run {number} ({what}, provider {PROVIDER}), in-process app on "
        f"SQLite, inline jobs; {os.cpu_count()} CPUs, load average {load} at the start"
    )
    print("| stage | status | wall s | result | LLM calls | prompt tokens | completion tokens "
          "| drafted / fell back |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['stage']} | {r['status']} | {r['seconds']:.1f} | {r['what']} | "
              f"{r.get('calls', 0)} | {r.get('prompt_tokens', 0)} | "
              f"{r.get('completion_tokens', 0)} | {r.get('drafted', 0)} / "
              f"{r.get('fallbacks', 0)} |")  # fmt: skip
    total = sum(r["seconds"] for r in rows)
    tokens = sum(r.get("prompt_tokens", 0) for r in rows)
    print(f"| total | | {total:.1f} | | {sum(r.get('calls', 0) for r in rows)} | {tokens} | "
          f"{sum(r.get('completion_tokens', 0) for r in rows)} | |")  # fmt: skip
    for r in rows:
        if r["error"]:
            print(f"{r['stage']} failed: {r['error']}")


if __name__ == "__main__":
    main()
