"""The `local` provider for real: Qwen2.5-Coder-0.5B (the `local-small` extra) on llama.cpp.

The 1.5B model of the default configuration is measured by `python -m bench quality --llm
local`; the tests run the 0.5B one, which has the same tokenizer and chat template, to stay
within the suite's time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studyforge.ai.errors import ModelFileMismatch
from studyforge.ai.local import gguf
from studyforge.ai.local.llm import LocalLLM
from studyforge.ai.offline.terms import code_like
from studyforge.courses.drafting import VERBS
from studyforge.courses.prompts import CHECKS, LESSON, OUTLINE
from tests.courses.test_offline_engine import chapter_sources

SMALL = gguf.MODELS["qwen2.5-coder-0.5b"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-home")


@pytest.fixture(scope="module")
def llm(home: Path) -> LocalLLM:
    return LocalLLM(SMALL, home, threads=2, context=2048)


def test_the_model_is_joined_from_its_packages_and_checked(home, tmp_path):
    path = gguf.model_path(SMALL, home)
    assert path.stat().st_size == SMALL.size and path.parent == home / "models"
    assert gguf.model_path(SMALL, home) == path  # verified once per process
    tampered = tmp_path / "models" / f"{SMALL.name}.gguf"
    tampered.parent.mkdir()
    shutil.copyfile(path, tampered)
    with tampered.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(ModelFileMismatch, match="does not match the recorded sha256"):
        gguf.model_path(SMALL, tmp_path)
    missing = gguf.LocalModel("nope", "no_such_package_part", 2, "0" * 64, 10, 512, "make x")
    with pytest.raises(gguf.ModelNotInstalled, match="run make x"):
        gguf.model_path(missing, tmp_path)


def test_a_course_drafted_by_the_local_model_is_valid_and_accounted(llm):
    sources = chapter_sources()
    outline = llm.complete_json(
        OUTLINE, {"topic": "Errors", "grade_level": "Grade 9", "num_lessons": 2, "sources": sources}
    )
    usage = outline.usage
    assert outline.provider == "local" and usage.calls == 2 and usage.seconds > 0
    assert usage.drafted + usage.fallbacks == 2  # one objectives draft per lesson
    for plan in outline.output.lessons:
        assert plan.learning_objectives
        for goal in plan.learning_objectives:
            assert goal.split()[0].lower() in VERBS and not code_like(goal)
    plan = outline.output.lessons[1]
    own = [s for s in sources if s["index"] in plan.sources]
    inputs = {"topic": "Errors", "grade_level": "Grade 9", "lesson_number": 2,
              "lesson": plan.model_dump(), "sources": own}  # fmt: skip
    lesson = llm.complete_json(LESSON, inputs)
    paragraphs = [p for s in lesson.output.sections for p in s.paragraphs]
    assert lesson.usage.drafted + lesson.usage.fallbacks == 2  # summary + one explanation
    for k, paragraph in enumerate(paragraphs):
        if paragraph.drafted:  # an explanation sits right under its code example
            assert paragraphs[k - 1].kind == "code" and paragraph.citations
    assert lesson.output.summary
    others = ["syntax errors", "base class"]
    content = lesson.output.model_dump()
    checks = llm.complete_json(CHECKS, {**inputs, "content": content, "other_concepts": others})
    for check in checks.output.checks:
        assert check.answer in check.options
        assert len({o.lower() for o in check.options}) == len(check.options)


def test_prompts_are_packed_into_the_context(llm):
    text, usage = llm.complete("You answer briefly.", "Say hello. " + "filler words " * 6000)
    assert usage.prompt_tokens <= llm.context and usage.calls == 1
    assert isinstance(text, str)
