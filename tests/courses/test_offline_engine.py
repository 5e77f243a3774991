"""The offline course engine: lessons follow the sources' sections, keep code, and teach terms."""

from __future__ import annotations

import pytest

from studyforge.ai.offline.terms import code_like, defined_terms, key_terms, strip_numbering
from studyforge.ai.offline.text import STOPWORDS, split_sentences
from studyforge.courses import offline, offline_lesson

CHAPTER = "8. Errors and Exceptions"
SECTIONS = {
    "8.1. Syntax Errors": [
        ("prose", "Syntax errors, also known as parsing errors, are perhaps the most common "
                  "kind of complaint you get while you are still learning Python. The parser "
                  "repeats the offending line and displays little arrows pointing at the place "
                  "where the error was detected:"),
        ("code", ">>> while True print('Hello world')\n  File \"<stdin>\", line 1\n"
                 "    while True print('Hello world')\n               ^^^^^\n"
                 "SyntaxError: invalid syntax"),
        ("prose", "The error is caused by the token preceding the arrow. File name and line "
                  "number are printed so you know where to look in case the input came from a "
                  "script."),
    ],
    "8.2. Exceptions": [
        ("prose", "Even if a statement or expression is syntactically correct, it may cause an "
                  "error when an attempt is made to execute it. Errors detected during "
                  "execution are called exceptions and are not unconditionally fatal. Most "
                  "exceptions are not handled by programs, however, and result in error "
                  "messages as shown here:"),
        ("code", ">>> 10 * (1/0)\nTraceback (most recent call last):\n  File \"<stdin>\", "
                 "line 1, in <module>\nZeroDivisionError: division by zero"),
        ("prose", "The last line of the error message indicates what happened. Exceptions come "
                  "in different types, and the type is printed as part of the message. The "
                  "string printed as the exception type is the name of the built-in exception "
                  "that occurred. Standard exception names are built-in identifiers, not "
                  "reserved keywords."),
    ],
    "8.3. Handling Exceptions": [
        ("prose", "It is possible to write programs that handle selected exceptions. Look at "
                  "the following example, which asks the user for input until a valid integer "
                  "has been entered:"),
        ("code", "while True:\n    try:\n        x = int(input(\"Please enter a number: \"))\n"
                 "        break\n    except ValueError:\n        print(\"Oops! Try again...\")"),
        ("prose", "The try statement works as follows. First, the try clause is executed. If "
                  "no exception occurs, the except clause is skipped and execution of the try "
                  "statement is finished. If an exception occurs during execution of the try "
                  "clause, the rest of the clause is skipped. A try statement may have more "
                  "than one except clause, to specify handlers for different exceptions."),
    ],
    "8.4. Raising Exceptions": [
        ("prose", "The raise statement allows the programmer to force a specified exception to "
                  "occur. The sole argument to raise indicates the exception to be raised. It "
                  "must be either an exception instance or an exception class. An exception "
                  "class is a class that derives from BaseException."),
        ("code", ">>> raise NameError('HiThere')\nTraceback (most recent call last):\n"
                 "NameError: HiThere"),
    ],
}  # fmt: skip


def chapter_sources() -> list[dict]:
    """Sources as `courses.sources` gives them: whole sections, in order, with kinds."""
    out: list[dict] = []
    for heading, parts in SECTIONS.items():
        for kind, text in parts:
            out.append({
                "index": len(out), "document_id": "d1", "path": "python/errors.pdf",
                "page": 1 + len(out) // 4, "heading": f"{CHAPTER} > {heading}", "kind": kind,
                "lang": "pycon" if text.startswith(">>>") else None, "text": text,
            })  # fmt: skip
    return out


def plan(num_lessons: int) -> dict:
    return offline.outline(
        {"topic": "Errors", "num_lessons": num_lessons, "sources": chapter_sources()}
    )


def test_lesson_titles_are_the_section_headings_in_order():
    lessons = plan(4)["lessons"]
    assert [x["title"] for x in lessons] == [strip_numbering(h) for h in SECTIONS]
    for lesson, heading in zip(lessons, SECTIONS, strict=True):
        sources = chapter_sources()
        assert all(sources[i]["heading"].endswith(heading) for i in lesson["sources"])


def test_fewer_lessons_merge_neighbours_and_more_split_in_parts():
    two = [x["title"] for x in plan(2)["lessons"]]
    assert len(two) == 2 and all(" and " in t or t in ("Exceptions",) or t for t in two)
    assert all(t.split(" and ")[0] in [strip_numbering(h) for h in SECTIONS] for t in two)
    five = [x["title"] for x in plan(5)["lessons"]]
    assert len(five) == 5 and sum("(part " in t for t in five) == 2
    with pytest.raises(offline.NotEnoughSources, match="too few for 30 lessons; ask for at most"):
        plan(30)


def test_no_code_in_titles_descriptions_concepts_or_objectives():
    outline = plan(4)
    assert not code_like(outline["description"])
    for lesson in outline["lessons"]:
        fields = [lesson["title"], lesson["description"], *lesson["key_concepts"],
                  *lesson["learning_objectives"]]  # fmt: skip
        for value in fields:
            assert not code_like(value), value
            assert "Traceback" not in value and ">>>" not in value
        assert not lesson["description"].endswith(":")
        for concept in lesson["key_concepts"]:
            assert concept.lower() not in STOPWORDS and concept.lower() not in ("called", "large")
    handling = outline["lessons"][2]
    assert {"try statement", "except clause"} & {c.lower() for c in handling["key_concepts"]}
    assert handling["learning_objectives"][0] == "Practise handling exceptions"


def test_lessons_keep_order_and_put_code_under_its_introduction():
    outline = plan(4)
    sources = chapter_sources()
    lesson = outline["lessons"][2]
    own = [s for s in sources if s["index"] in lesson["sources"]]
    content = offline_lesson.lesson({"lesson": lesson, "sources": own})
    paragraphs = [p for section in content["sections"] for p in section["paragraphs"]]
    kinds = [p.get("kind", "prose") for p in paragraphs]
    code = paragraphs[kinds.index("code")]
    assert code["text"].count("\n") >= 5 and "    try:" in code["text"]  # indentation kept
    before = paragraphs[kinds.index("code") - 1]
    assert before["text"].endswith("has been entered:")  # the sentence that introduces it
    cited = [p["citations"][0] for p in paragraphs if p.get("kind", "prose") == "code" or
             p["citations"][0] in lesson["sources"]]  # fmt: skip
    assert cited[: kinds.index("code") + 1] == sorted(cited[: kinds.index("code") + 1])
    body = " ".join(s["text"] for s in own)
    for p in paragraphs:
        if p.get("kind", "prose") == "prose" and not p["text"].startswith(tuple(
                lesson["key_concepts"])):  # fmt: skip
            for sentence in split_sentences(p["text"]):
                assert sentence.text in body
    headings = [section["heading"] for section in content["sections"]]
    assert len(headings) == len(set(headings)) and lesson["title"] not in headings
    assert content["summary"] and content["summary"] != lesson["description"]


def test_checks_ask_about_terms_never_stopwords():
    outline = plan(4)
    sources = chapter_sources()
    concepts = [c for x in outline["lessons"] for c in x["key_concepts"]]
    kinds = set()
    for lesson in outline["lessons"]:
        own = [s for s in sources if s["index"] in lesson["sources"]]
        checks = offline_lesson.checks(
            {"lesson": lesson, "sources": own, "other_concepts": concepts}
        )["checks"]
        assert checks
        for check in checks:
            kinds.add(check["kind"])
            assert check["answer"] in check["options"]
            assert ">>>" not in check["question"] and "Traceback" not in check["question"]
            if check["kind"] == "multiple_choice":
                assert check["answer"].lower() not in STOPWORDS
                assert len(set(o.lower() for o in check["options"])) == len(check["options"])
                assert check["explanation"].replace(check["answer"], "_____", 1) in (
                    check["question"].removeprefix("Fill in the blank: ")
                )
    assert "multiple_choice" in kinds


def test_key_terms_are_defined_or_stressed_phrases():
    text = (
        "Errors detected during execution are called exceptions. The try statement has a try "
        "clause and an except clause. Large programs often use the try statement. An except "
        "clause may name several exceptions. The value increases when called again."
    )
    assert defined_terms(split_sentences(text)[i].text for i in range(2)) == ["exceptions"]
    terms = [t.lower() for t in key_terms(text, ["Handling Exceptions"], 6)]
    assert "try statement" in terms and "except clause" in terms and "exceptions" in terms
    for junk in ("large", "called", "increases", "value increases"):
        assert junk not in terms
    assert code_like("x = int(input())") and code_like(">>> 10 * (1/0)")
    assert not code_like("The try statement works as follows.")


def test_sources_without_headings_are_cut_by_topic_and_named_by_their_terms():
    topics = {
        "tides": "Ocean tides rise and fall twice a day. The tidal range depends on the Moon. "
        "Spring tides come when the Sun and Moon align. Neap tides come at quarter moons.",
        "glaciers": "A glacier is a persistent body of dense ice. Glacier ice flows slowly "
        "downhill under its own weight. Glacier retreat follows warmer summers. Valley "
        "glaciers carve U-shaped valleys.",
    }
    sources = [
        {"index": i, "document_id": "d", "path": "notes.txt", "page": None, "heading": None,
         "kind": "prose", "text": text}
        for i, text in enumerate([topics["tides"]] * 2 + [topics["glaciers"]] * 2)
    ]  # fmt: skip
    lessons = offline.outline({"topic": "Earth", "num_lessons": 2, "sources": sources})["lessons"]
    assert [x["sources"] for x in lessons] == [[0, 1], [2, 3]]  # cut where the subject changes
    for lesson, words in zip(lessons, (topics["tides"], topics["glaciers"]), strict=True):
        assert lesson["title"].lower() in words.lower() and not code_like(lesson["title"])


def test_signatures_do_not_crowd_out_the_examples_and_no_lead_dangles() -> None:
    heading = "Data Structures > More on Lists"
    parts: list[tuple[str, str]] = []
    for name in ("append", "extend", "insert", "remove", "pop", "clear", "index", "count",
                 "sort", "reverse", "copy"):  # fmt: skip
        parts += [("code", f"list.{name}(x)"), ("prose", f"The {name} method changes the list.")]
    parts.append(("prose", "An example that uses most of the list methods:"))
    parts.append(("code", ">>> fruits = ['orange', 'apple']\n>>> fruits.count('apple')\n1"))
    parts.append(("prose", "List comprehensions can contain complex expressions:"))  # the end
    sources = [
        {"index": i, "document_id": "d1", "path": "tutorial/datastructures.html", "page": None,
         "heading": heading, "kind": kind, "lang": None, "text": text}
        for i, (kind, text) in enumerate(parts)
    ]  # fmt: skip
    lesson = {"title": "More on Lists", "key_concepts": [], "description": "Lists."}
    content = offline_lesson.lesson({"lesson": lesson, "sources": sources})
    paragraphs = [p for section in content["sections"] for p in section["paragraphs"]]
    code = [p["text"] for p in paragraphs if p.get("kind") == "code"]
    assert len(code) == offline_lesson.MAX_CODE_BLOCKS and code[-1] == parts[-2][1]
    assert all(not p["text"].endswith("complex expressions:") for p in paragraphs)
    example = next(i for i, p in enumerate(paragraphs) if p["text"] == code[-1])
    assert paragraphs[example - 1]["text"].endswith("uses most of the list methods:")
    shown = {p["citations"][0] for p in paragraphs}
    for p in paragraphs:  # a sentence ending in ":" is followed by what it introduces
        if p["text"].endswith(":"):
            assert p["citations"][0] + 1 in shown


def test_a_long_section_with_its_subsections_names_the_lesson() -> None:
    def source(i: int, heading: str, words: int) -> dict:
        text = " ".join(["Lists keep their items in order and can change."] * (words // 9))
        return {"index": i, "document_id": "d1", "path": "datastructures.html", "page": None,
                "heading": f"Data Structures > {heading}", "kind": "prose", "lang": None,
                "text": text}  # fmt: skip

    sources = [
        source(0, "More on Lists", 600),
        source(1, "More on Lists > Using Lists as Stacks", 100),
        source(2, "More on Lists > List Comprehensions", 300),
        source(3, "Tuples and Sequences", 900),
    ]
    outline = offline.outline({"topic": "Lists", "num_lessons": 2, "sources": sources})
    assert [lesson["title"] for lesson in outline["lessons"]] == [
        "More on Lists",
        "Tuples and Sequences",
    ]
    assert outline["lessons"][0]["learning_objectives"][0] == "Explain lists"  # not "more on"
    assert offline.objectives("An Introduction to Sets (part 2)", [], False) == ["Explain sets"]
