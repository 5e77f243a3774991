"""The offline course strategies: lessons follow the sources' sections and quote them."""

from __future__ import annotations

import pytest

from studyforge.ai.offline.text import split_sentences
from studyforge.courses import offline
from studyforge.documents.chunking import assemble
from studyforge.documents.extract import PDF, extract
from tests.documents import samples


@pytest.fixture(scope="module")
def sources() -> list[dict]:
    _, chunks = assemble(extract(samples.text_pdf(), PDF, 100).blocks)
    return [
        {
            "index": i,
            "text": c.text,
            "path": "s/a.pdf",
            "page": c.page,
            "heading": c.heading,
            "start": c.start,
        }
        for i, c in enumerate(chunks)
    ]


def test_one_lesson_per_section_with_matching_descriptions(sources):
    plan = offline.outline({"topic": "Science", "num_lessons": 6, "sources": sources})
    titles = [lesson["title"] for lesson in plan["lessons"]]
    assert titles == list(samples.TOPICS)
    for lesson in plan["lessons"]:
        body = samples.TOPICS[lesson["title"]]
        assert lesson["description"] in " ".join(body.split())  # quoted from its own section
        assert all(sources[i]["heading"] == lesson["title"] for i in lesson["sources"])
    assert "learning_objectives" in plan["templated"]


def test_fewer_or_more_lessons_than_sections(sources):
    two = offline.outline({"topic": "Science", "num_lessons": 2, "sources": sources})
    assert [lesson["title"] for lesson in two["lessons"]] == [
        "Photosynthesis, Volcanoes and The immune system",
        "Roman aqueducts, The French Revolution and TCP",
    ]
    eight = offline.outline({"topic": "Science", "num_lessons": 8, "sources": sources})
    assert len(eight["lessons"]) == 8 and len({x["title"] for x in eight["lessons"]}) == 8
    one_sentence = [{**sources[0], "text": "One sentence only."}]
    with pytest.raises(offline.NotEnoughSources):
        offline.outline({"topic": "Science", "num_lessons": 3, "sources": one_sentence})


def test_lessons_and_checks_quote_their_sources(sources):
    plan = offline.outline({"topic": "Science", "num_lessons": 6, "sources": sources})["lessons"][1]
    own = [s for s in sources if s["index"] in plan["sources"]]
    content = offline.lesson({"lesson": plan, "sources": own})
    source_text = " ".join(" ".join(s["text"].split()) for s in own)
    for section in content["sections"]:
        for paragraph in section["paragraphs"]:
            assert paragraph["citations"] and set(paragraph["citations"]) <= set(plan["sources"])
    for sentence in content["sections"][0]["paragraphs"][0]["text"].split(". "):
        assert sentence.rstrip(".") in source_text
    checks = offline.checks({"lesson": plan, "sources": own, "other_concepts": ["glucose", "SYN"]})
    for check in checks["checks"]:
        assert check["answer"] in check["options"] and check["explanation"] in source_text


def test_heading_lines_are_their_own_sentences():
    text = "Volcanoes\nA volcano is an opening in the crust. White blood\ncells fight."
    assert [s.text for s in split_sentences(text)] == [
        "Volcanoes",
        "A volcano is an opening in the crust.",
        "White blood cells fight.",
    ]
