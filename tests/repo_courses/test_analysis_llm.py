"""Stage 2 on an OpenAI-compatible model (only its HTTP edge is faked): answers are validated,
what the page does not support is dropped, long pages go a part per call, and a page whose
answer stays invalid is recorded as failed while the stage goes on."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from studyforge.ai.errors import InvalidOutput
from studyforge.ai.llm import Usage
from studyforge.ai.openai_compat import OpenAICompatLLM
from studyforge.ai.registry import AIProviders
from studyforge.repo_courses.analysis import analyze_offline
from studyforge.repo_courses.prompts import TEXT_CHARS, analyse
from studyforge.repo_courses.structure import parse
from tests.conftest import UserMaker
from tests.repo_courses.conftest import SOURCES
from tests.repo_courses.test_pipeline_api import run_stage

GOOD = {
    "doc_type": "tutorial", "complexity_level": "beginner",
    "key_concepts": ["exception handling", "quantum flux capacitor"],
    "learning_objectives": ["Handle an exception with try and except"],
    "summary": "The page shows how errors are reported and handled.",
    "prerequisites": ["time travel"], "related_topics": [],
}  # fmt: skip


def _completion(content: str) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 80, "total_tokens": 980},
    })  # fmt: skip


class FakeModel:
    """Records each last message and answers with `reply(the page's prompt)`."""

    def __init__(self, reply) -> None:  # type: ignore[no-untyped-def]
        self.reply, self.prompts = reply, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        messages = json.loads(request.content)["messages"]
        self.prompts.append(messages[-1]["content"])
        return _completion(self.reply(messages[1]["content"]))  # the page's prompt

    def llm(self) -> OpenAICompatLLM:
        return OpenAICompatLLM(api_key="k", base_url="http://llm.invalid/v1", model="m",
                               timeout=5, max_retries=0, http_client=httpx.Client(
                                   transport=httpx.MockTransport(self)))  # fmt: skip


def _errors_page() -> str:
    path = SOURCES / "tutorial/errors.rst.txt"
    if not path.exists():
        pytest.skip("python3-doc is missing")
    return path.read_text()


def _ai(platform_ai: AIProviders, model: FakeModel) -> AIProviders:
    platform_ai.llm = model.llm()
    return platform_ai


def test_the_models_analysis_is_kept_where_the_page_supports_it(platform) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel(lambda prompt: json.dumps(GOOD))
    structure = parse("docs/errors.rst", _errors_page(), "rst")
    usage = Usage()
    result = analyse(_ai(platform.ai, model), "docs/errors.rst", structure, "beginner", None,
                     100_000, usage)  # fmt: skip
    assert len(model.prompts) == 1 and usage.prompt_tokens == 900
    assert result.doc_type == "tutorial" and result.complexity_level == "beginner"
    assert result.key_concepts == ["exception handling"]  # the invented one is dropped
    assert result.prerequisites != ["time travel"]
    assert result.learning_objectives == ["Handle an exception with try and except"]
    assert "learning_objectives" not in result.templated
    assert result.title == "Errors and Exceptions" and result.word_count > 1000


def test_a_long_page_is_analysed_a_part_per_call_and_merged(platform) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel(lambda prompt: json.dumps(GOOD))
    structure = parse("docs/errors.rst", _errors_page(), "rst")
    result = analyse(_ai(platform.ai, model), "docs/errors.rst", structure, "beginner", None,
                     400, Usage())  # fmt: skip
    assert len(model.prompts) >= 4
    assert all(len(p) < TEXT_CHARS + 3000 for p in model.prompts)
    assert all(f"of {len(model.prompts)})" in p for p in model.prompts)
    assert result.title == "Errors and Exceptions"
    whole = analyze_offline("docs/errors.rst", structure, "beginner", None)
    assert result.word_count == whole.word_count  # measured by the engine, not the model
    assert result.headings == whole.headings


def test_an_answer_that_stays_invalid_raises(platform) -> None:  # type: ignore[no-untyped-def]
    model = FakeModel(lambda prompt: '{"doc_type": "poem"}')
    structure = parse("docs/errors.rst", _errors_page(), "rst")
    with pytest.raises(InvalidOutput):
        analyse(_ai(platform.ai, model), "docs/errors.rst", structure, "beginner", None,
                100_000, Usage())  # fmt: skip
    assert len(model.prompts) == 2  # asked once more, with the validation error


@pytest.mark.anyio
async def test_a_page_the_model_fails_on_is_recorded_and_the_stage_goes_on(
    client: httpx.AsyncClient,
    make_user: UserMaker,
    served: str,
    platform,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    model = FakeModel(lambda p: "not json" if "docs/guide.md" in p else json.dumps(GOOD))
    platform.ai.llm = model.llm()
    _, h = make_user()
    course = str(uuid.uuid4())
    done = await run_stage(client, h, course, "stage1", "analyze-repository",
                           {"repo_url": served + "tiny"})  # fmt: skip
    assert done["status"] == "SUCCESS"
    await client.post(f"/api/courses/{course}/stage1-selections", headers=h,
                      json={"selected_folders": ["."]})  # fmt: skip
    done = await run_stage(client, h, course, "stage2", "analyze-documents", {})
    assert done["status"] == "SUCCESS", done
    body = (await client.get(f"/api/courses/{course}/analyzed-documents", headers=h)).json()
    assert (body["analyzed"], body["failed"]) == (1, 1)
    failed = next(d for d in body["documents"] if d["status"] == "failed")
    assert failed["file_path"] == "docs/guide.md" and "model" in failed["error_message"]


def test_offline_a_page_with_many_related_topics_is_analysed_whole(platform) -> None:  # type: ignore[no-untyped-def]
    links = "\n".join(f"- [Topic number {i}](page{i}.md)" for i in range(30))
    structure = parse("docs/index.md", f"# Index\n\nThe pages of this project.\n\n{links}\n",
                      "markdown")  # fmt: skip
    whole = analyze_offline("docs/index.md", structure, "beginner", None)
    assert len(whole.related_topics) > 8  # more than the model may list
    result = analyse(_offline(platform), "docs/index.md", structure, "beginner", None,
                     100_000, Usage())  # fmt: skip
    assert result == whole


def _offline(platform) -> AIProviders:  # type: ignore[no-untyped-def]
    from studyforge.ai.offline.llm import OfflineLLM

    platform.ai.llm = OfflineLLM()
    return platform.ai
