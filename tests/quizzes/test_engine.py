"""The offline engine's questions, read straight from real passages (no HTTP)."""

from __future__ import annotations

import pytest

from studyforge.quizzes.checking import problem
from studyforge.quizzes.facts import Material
from studyforge.quizzes.plan import NotEnoughMaterial, plan_questions, truths
from studyforge.quizzes.prompts import DraftQuestion
from studyforge.quizzes.words import contains, noun_phrases
from tests.documents.samples import TOPICS


def _sources(pages: dict[str, str] = TOPICS) -> list[dict]:
    sources, offset = [], 0
    for page, (title, text) in enumerate(pages.items(), start=1):
        sources.append({"index": page - 1, "passage_id": page, "document_id": "d",
                        "filename": "s.pdf", "page": page, "heading": title, "kind": "prose",
                        "text": text, "start": offset, "end": offset + len(text),
                        "vector": None})  # fmt: skip
        offset += len(text) + 2
    sources.append({"index": len(sources), "passage_id": 99, "document_id": "d", "page": 7,
                    "heading": "Code", "kind": "code", "start": offset, "end": offset + 40,
                    "text": "def volcano():\n    return magma_chamber.erupt()"})  # fmt: skip
    return sources


@pytest.fixture(scope="module")
def material() -> Material:
    return Material(_sources())


def _items(m: Material, drafts: list[dict]) -> list[dict]:
    return [{"fact": d["fact"], "type": d["type"],
             "passage": m.sources[m.facts[d["fact"]].source]["text"],
             "truth": d["answer"] == "True" if d["type"] == "true_false" else None}
            for d in drafts]  # fmt: skip


@pytest.mark.parametrize("quiz_type", ["multiple_choice", "true_false", "short_answer", "mixed"])
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_every_question_stands_on_its_cited_passage(material, quiz_type, difficulty) -> None:
    drafts = plan_questions(material, 10, difficulty, quiz_type)
    assert len(drafts) == 10 and len({d["fact"] for d in drafts}) == 10
    for draft, item in zip(drafts, _items(material, drafts), strict=True):
        assert problem(DraftQuestion.model_validate(draft), item) is None, draft
        source = material.sources[material.facts[draft["fact"]].source]
        assert source["kind"] == "prose"  # never the code passage
        if draft["type"] == "multiple_choice":
            wrong = [o for o in draft["options"] if o != draft["answer"]]
            assert not any(contains(source["text"], o) for o in wrong)  # no second right answer
    answers = [d["answer"] for d in drafts if d["type"] == "multiple_choice"]
    assert len(answers) == len({a.lower() for a in answers})  # no right answer asked twice


def test_difficulty_changes_the_questions(material) -> None:
    easy = {d["question"] for d in plan_questions(material, 8, "easy", "multiple_choice")}
    hard = {d["question"] for d in plan_questions(material, 8, "hard", "multiple_choice")}
    assert len(easy & hard) <= 4, easy & hard


def test_true_false_is_balanced() -> None:
    for n in range(1, 12):
        flags = truths(n, "seed")
        assert abs(flags.count(True) - flags.count(False)) <= 1


def test_too_few_facts_says_how_many_there_are(material) -> None:
    with pytest.raises(NotEnoughMaterial, match="ask for at most"):
        plan_questions(material, 50, "medium", "multiple_choice")
    with pytest.raises(NotEnoughMaterial, match="no facts"):
        plan_questions(Material(_sources({"Lenses": "A convex lens converges light."})), 1,
                       "easy", "true_false")  # fmt: skip


def test_noun_phrases_are_not_verb_phrases() -> None:
    found = noun_phrases("Chlorophyll in the chloroplasts absorbs sunlight.")
    assert {"chloroplasts", "sunlight"} <= set(found)
    assert "chloroplasts absorbs sunlight" not in found
    assert "light reactions" in noun_phrases("The light reactions split water and release oxygen.")
    assert "Flow control" in noun_phrases("Flow control uses a sliding receive window.")
