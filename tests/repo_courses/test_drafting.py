"""Stage 2 on a drafting model (the `local` provider's way, with scripted drafts so each rule
shows): the engine analyses the document, then one call per document words its objectives and
summary; drafts that pass the checks replace the engine's text (and its "templated" marks),
the rest keep it. The real model runs in `bench repo_courses --provider local`."""

from __future__ import annotations

from typing import Any

from studyforge.ai.llm import Generation, Task, Usage
from studyforge.ai.offline.llm import OfflineLLM
from studyforge.ai.registry import AIProviders
from studyforge.repo_courses.analysis import analyze_offline
from studyforge.repo_courses.drafting import anchor, measurable
from studyforge.repo_courses.prompts import PHRASE, analyse
from studyforge.repo_courses.structure import parse
from tests.courses.test_drafting import Scripted
from tests.repo_courses.conftest import SOURCES

LEVEL = "beginner"


class Recording(Scripted):
    """A scripted drafter that also keeps the context each draft was asked with."""

    def __init__(self, answers: list[dict[str, Any] | None]) -> None:
        super().__init__(answers)
        self.contexts: list[str] = []

    def json(self, instruction: str, context: str, schema: dict[str, Any],
             max_tokens: int = 200) -> dict[str, Any] | None:  # fmt: skip
        self.contexts.append(context)
        return super().json(instruction, context, schema, max_tokens)


class DraftingLLM:
    """An LLM that drafts over the engine, as `LocalLLM.complete_json` does, from a script."""

    name, model = "scripted", "scripted"

    def __init__(self, answers: list[dict[str, Any] | None]) -> None:
        self.drafter = Recording(answers)
        self.tasks: list[str] = []

    def complete(self, system: str, prompt: str) -> tuple[str, Usage]:
        raise AssertionError("not used")

    def complete_json(self, task: Task[Any], inputs: Any) -> Generation[Any]:
        self.tasks.append(task.name)
        output = task.schema.model_validate(task.offline(inputs))
        if task.draft is None:
            return Generation(output, self.name, self.model, extractive=True)
        drafted = task.schema.model_validate(task.draft(inputs, output, self.drafter))
        return Generation(drafted, self.name, self.model, Usage(calls=1, drafted=1))


def _errors() -> Any:
    text = (SOURCES / "tutorial/errors.rst.txt").read_text()
    return parse("docs/tutorial/errors.rst", text, "rst")


def _ai(llm: Any) -> AIProviders:
    return AIProviders(llm=llm, embedder=None, ocr=None)  # type: ignore[arg-type]


def test_drafts_that_pass_replace_the_engines_objectives_and_summary() -> None:
    structure = _errors()
    engine = analyze_offline("docs/tutorial/errors.rst", structure, LEVEL, None)
    good = {
        "objectives": ["Explain the difference between syntax errors and exceptions",
                       "Describe how a try statement handles exceptions"],
        "summary": "There are two kinds of errors: syntax errors and exceptions. Syntax errors "
                   "are the most common kind of complaint while learning Python.",
        "quote": "There are (at least) two distinguishable kinds of errors: syntax errors and "
                 "exceptions.",
    }  # fmt: skip
    llm = DraftingLLM([good])
    usage = Usage()
    # Long enough to be split: the parts stay the engine's, and the document is drafted once.
    analysis = analyse(_ai(llm), "docs/tutorial/errors.rst", structure, LEVEL, None, 400, usage)
    assert llm.tasks.count(PHRASE.name) == 1 and len(llm.tasks) > 2
    assert analysis.learning_objectives == good["objectives"]
    assert analysis.summary == good["summary"], llm.drafter.fallbacks
    assert analysis.summary != engine.summary
    assert not [t for t in analysis.templated if t.startswith("learning_objectives")]
    assert analysis.key_concepts and analysis.word_count == engine.word_count
    assert usage.drafted == 1 and llm.drafter.accepted == ["learning_objectives", "summary"]
    # The model saw the start of the page's prose, within the fixed budget.
    assert len(llm.drafter.contexts) == 1 and len(llm.drafter.contexts[0]) <= 2400
    assert llm.drafter.contexts[0].startswith("Until now error messages")


def test_drafts_that_fail_keep_the_engines_text() -> None:
    structure = _errors()
    engine = analyze_offline("docs/tutorial/errors.rst", structure, LEVEL, None)
    bad = {
        "objectives": ["Understand quantum chromodynamics", "Explain gluon confinement fields"],
        "summary": "Errors are handled by the garbage collector in a separate thread pool.",
        "quote": "Errors are handled by the garbage collector.",
    }  # fmt: skip
    llm = DraftingLLM([bad])
    analysis = analyse(_ai(llm), "docs/tutorial/errors.rst", structure, LEVEL, None, 5000,
                       Usage())  # fmt: skip
    assert analysis.learning_objectives == engine.learning_objectives
    assert analysis.summary == engine.summary and analysis.templated == engine.templated
    reasons = dict(llm.drafter.fallbacks)
    assert reasons["learning_objectives"] == "0 of 2 objectives passed"
    assert reasons["summary"] == "the quote is not in the sources word for word"
    # No JSON at all: both fall back.
    llm = DraftingLLM([None])
    analyse(_ai(llm), "docs/tutorial/errors.rst", structure, LEVEL, None, 5000, Usage())
    assert llm.drafter.fallbacks == [("learning_objectives", "no valid JSON"),
                                     ("summary", "no valid JSON")]  # fmt: skip


def test_the_offline_engine_is_not_asked_to_draft() -> None:
    structure = _errors()
    engine = analyze_offline("docs/tutorial/errors.rst", structure, LEVEL, None)
    usage = Usage()
    analysis = analyse(_ai(OfflineLLM()), "docs/tutorial/errors.rst", structure, LEVEL, None,
                       5000, usage)  # fmt: skip
    assert analysis == engine and usage.drafted == 0


def test_a_small_models_vague_verbs_and_slipped_quotes_are_mended_not_trusted() -> None:
    assert measurable("Understand the try statement") == "Explain the try statement"
    assert measurable("Learn how to raise an exception") == "Raise an exception"
    assert measurable("Explore exception groups") == "Describe exception groups"
    assert measurable("Handle exceptions") == "Handle exceptions"
    said = "can save you considerable time during program development because no compilation"
    text = f"Python is an interpreted language, which {said} or linking is necessary. Ask again."
    slipped = f"Python is an interpreted language that {said} and linking is necessary."
    assert anchor(slipped, text) == text.split(" Ask")[0]
    invented = "Python's simplicity and ease of use make it an excellent choice for beginners."
    assert anchor(invented, text) == invented
