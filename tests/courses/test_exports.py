"""Exports and the lesson page: one source numbering per lesson (1..n) shared by the text marks
and the source list, links to `#l<lesson>-s<n>` entries, code kept as code, removed sources
marked, everything escaped. Stored lessons are built here; a generated course is checked for
structure only (the offline engine's wording is not pinned)."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest

from studyforge.courses.export import course_document
from studyforge.courses.models import Course, CourseStatus, Lesson, LessonBody, LessonCheck
from studyforge.courses.prompts import LessonContent, LessonPlan
from studyforge.courses.render import course_html, course_markdown, lesson_markdown
from tests.courses.conftest import wait_course, with_sources
from tests.documents.conftest import ingest

pytestmark = pytest.mark.anyio

KEPT, GONE = str(uuid.uuid4()), str(uuid.uuid4())
HOSTILE = "<script>alert('x')</script>"
CODE = 'def area(r):\n    """Circle."""\n    return 3.14 * r * r'


def _source(index: int, doc: str, page: int | None, name: str) -> dict[str, Any]:
    return {
        "index": index, "document_id": doc, "path": f"bio/{name}", "filename": name,
        "page": page, "heading": f"Heading {index}", "text": "passage", "start": 10 * index,
        "end": 10 * index + 5,
    }  # fmt: skip


SOURCES = {
    3: _source(3, KEPT, 2, "cells.md"),
    7: _source(7, GONE, None, "gone.md"),
    9: _source(9, KEPT, 4, "cells.md"),
}


def _lesson(number: int, order: list[int], sections: list[dict[str, Any]]) -> Lesson:
    lesson = Lesson(
        lesson_number=number,
        title=f"Lesson title {number} {HOSTILE}",
        description=f"What lesson {number} covers & why",
        key_concepts=["cell membrane", "osmosis"],
        learning_objectives=["Describe the cell membrane", "Explain osmosis"],
        sources=[dict(SOURCES[i]) for i in order],
    )
    lesson.body = LessonBody(
        content_md="stale", content_json={"sections": sections, "summary": f"Summary {number}."}
    )
    lesson.checks = [
        LessonCheck(
            position=0, kind="multiple_choice", question=f"Which one? {HOSTILE}",
            options=["Osmosis", "Diffusion <b>", "Mitosis"], answer="Osmosis",
            explanation="Water moves across the membrane.", source=dict(SOURCES[7]),
        )
    ]  # fmt: skip
    return lesson


def stored_course() -> Course:
    """Two lessons citing the course-wide sources 3, 7 and 9 in different orders."""
    first = [
        {"heading": "", "paragraphs": [{"text": "Cells & more.", "citations": [9, 3, 9]}]},
        {
            "heading": "Computing <areas>",
            "paragraphs": [
                {"text": CODE, "citations": [7], "kind": "code", "lang": "Python"},
                {"text": "Unknown citations are dropped.", "citations": [42], "kind": "prose"},
            ],
        },
    ]
    second = [{"heading": "Osmosis", "paragraphs": [{"text": "Water moves.", "citations": [3, 7]}]}]
    return Course(
        id=uuid.uuid4(), user_id=uuid.uuid4(), request_id="r", topic="Cells",
        grade_level="Grade 9", title=f"Cells {HOSTILE}", slug="cells",
        description="A course & its description.", status=CourseStatus.READY,
        sources=[dict(source) for source in SOURCES.values()],
        lessons=[_lesson(1, [3, 7, 9], first), _lesson(2, [7, 3], second)],
    )  # fmt: skip


class Tree(HTMLParser):
    """The tags, ids, links and text of an HTML page (enough to check its structure)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.pre: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        self.stack.append(tag)
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a":
            self.hrefs.append(values.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "pre" in self.stack:
            self.pre.append(data)

    def count(self, tag: str, **attrs: str) -> int:
        return sum(
            1 for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        )


def parse(html: str) -> Tree:
    tree = Tree()
    tree.feed(html)
    return tree


def test_markdown_numbers_sources_per_lesson() -> None:
    md = course_markdown(stored_course(), removed={GONE})
    first, second = md.split("## Lesson 2:")
    # Lesson 1 lists 3, 7, 9 as 1, 2, 3; its marks use those numbers.
    assert "Cells & more. [1][3]\n" in first
    assert "\n1. bio/cells.md, p. 2, Heading 3\n" in first
    assert "\n2. bio/gone.md, Heading 7 — *removed from the library*\n" in first
    assert "\n3. bio/cells.md, p. 4, Heading 9\n" in first
    assert "Unknown citations are dropped.\n" in first and "[42]" not in md and "[43]" not in md
    # Lesson 2 numbers its own list: 7 is 1 there, 3 is 2.
    assert "Water moves. [1][2]\n" in second
    assert "\n1. bio/gone.md, Heading 7 — *removed from the library*\n" in second
    assert "\n2. bio/cells.md, p. 2, Heading 3\n" in second
    assert "*Source:* [2]" in first and "*Source:* [1]" in second  # the check cites source 7
    assert "   - *Why:* Water moves across the membrane." in md
    assert first.index("### Check your understanding") < first.index("### Sources")


def test_markdown_fences_code_and_skips_empty_headings() -> None:
    md = course_markdown(stored_course())
    assert f"```python\n{CODE}\n```\n[2]\n" in md
    assert not re.search(r"^#+ *$", md, re.M)  # no empty heading line
    assert "### Computing <areas>" in md and "### Summary" in md
    assert "removed from the library" not in md  # nothing removed unless told


def test_lesson_markdown_of_a_new_lesson() -> None:
    plan = LessonPlan(
        title="Areas", description="Computing areas.", key_concepts=["area"],
        learning_objectives=["Compute an area"], sources=[5, 2],
    )  # fmt: skip
    content = LessonContent.model_validate(
        {
            "sections": [
                {"heading": "", "paragraphs": [{"text": "Areas add up.", "citations": [2]}]},
                {
                    "heading": "Code",
                    "paragraphs": [{"text": "x = ```\ny = 2", "citations": [5], "kind": "code"}],
                },
            ],
            "summary": "Done.",
        }
    )
    sources = {5: _source(5, KEPT, 1, "a.md"), 2: _source(2, KEPT, 3, "b.md")}
    md = lesson_markdown(1, plan, content, sources)
    assert md.startswith("# Lesson 1: Areas\n\nComputing areas.\n")
    assert "Areas add up. [2]\n" in md  # index 2 is the lesson's second source
    assert "\n````\nx = ```\ny = 2\n````\n[1]\n" in md  # the fence outgrows the code's ticks
    assert "\n1. bio/a.md, p. 1, Heading 5\n2. bio/b.md, p. 3, Heading 2\n" in md
    assert not re.search(r"^#+ *$", md, re.M)


def test_html_export_is_complete_linked_and_escaped() -> None:
    html = course_html(stored_course(), removed={GONE})
    assert "<script>" not in html and "&lt;script&gt;" in html
    tree = parse(html)
    text = "".join(tree.text)
    for piece in (
        "A course & its description.", "What lesson 1 covers & why", "Describe the cell membrane",
        "osmosis", "Summary 1.", "Which one? <script>", "Diffusion <b>", "Osmosis",
        "Water moves across the membrane.", "Learning objectives", "Key concepts",
    ):  # fmt: skip
        assert piece in text, piece
    assert tree.count("style") == 1
    style = html[html.index("<style>") : html.index("</style>")]
    assert "max-width" in style and "@media print" in style and "overflow-x: auto" in style
    assert tree.count("meta", name="viewport") == 1
    # Source lists: l<lesson>-s<n>, 1..n per lesson, the removed one marked.
    assert {i for i in tree.ids if re.fullmatch(r"l\d+-s\d+", i)} == {
        "l1-s1",
        "l1-s2",
        "l1-s3",
        "l2-s1",
        "l2-s2",
    }
    assert tree.count("li", id="l1-s2", value="2", **{"class": "source-removed"}) == 1
    assert tree.count("li", id="l2-s1", value="1", **{"class": "source-removed"}) == 1
    assert tree.count("li", id="l1-s1", value="1") == 1
    # Every citation link resolves to an entry of its own lesson's list.
    cites = [h for h in tree.hrefs if re.fullmatch(r"#l\d+-s\d+", h)]
    assert cites and all(h[1:] in tree.ids for h in tree.hrefs if h.startswith("#"))
    assert cites[:3] == ["#l1-s1", "#l1-s3", "#l1-s2"]  # paragraph [9, 3], code [7]
    assert "#l2-s2" in cites and "#l2-s1" in cites
    # Code keeps its lines; the empty heading gets no element; section headings are escaped.
    assert tree.count("code", **{"class": "language-python"}) == 1
    assert CODE in "".join(tree.pre)
    assert "<h3></h3>" not in html and "<h3>Computing &lt;areas&gt;</h3>" in html
    assert tree.count("h2") == 2


def test_json_export_numbers_and_flags() -> None:
    document = course_document(stored_course(), removed={GONE})
    json.dumps(document, default=str)
    first, second = document["lessons"]
    assert [(s["index"], s["number"], s["removed"]) for s in first["sources"]] == [
        (3, 1, False), (7, 2, True), (9, 3, False),
    ]  # fmt: skip
    assert [(s["index"], s["number"]) for s in second["sources"]] == [(7, 1), (3, 2)]
    assert "Cells & more. [1][3]" in first["content"]  # rendered now, not the stored text
    assert [s["removed"] for s in document["all_sources"]] == [False, True, False]


async def _sign_in(client, username: str, password: str) -> None:
    form = {"username": username, "password": password, "next": "/studio"}
    response = await client.post("/login", data=form)
    assert response.status_code == 303, response.text


async def test_lesson_page_shows_code_numbers_and_removed_sources(client, make_user, platform):
    username, password = f"u{uuid.uuid4().hex[:8]}", "correct horse battery"
    user_id, headers = make_user(username, password)
    doc = await ingest(client, headers, "cells.md", b"# Cells\n\nCells are alive.")
    doc_id = doc["document_id"]
    course = stored_course()
    for lesson in course.lessons:  # the stored sources cite this real document (and a gone one)
        lesson.sources = [
            {**s, "document_id": doc_id if s["document_id"] == KEPT else s["document_id"]}
            for s in lesson.sources
        ]
    course.user_id = user_id
    with platform.sessions.begin() as session:
        session.add(course)
    await _sign_in(client, username, password)
    page = await client.get(f"/studio/{course.id}/lessons/1")
    assert page.status_code == 200, page.text
    tree = parse(page.text)
    assert "<script>alert" not in page.text
    assert tree.count("code", **{"class": "language-python"}) == 1 and CODE in "".join(tree.pre)
    assert "<h2></h2>" not in page.text and "<h2>Computing &lt;areas&gt;</h2>" in page.text
    listed = [a for t, a in tree.tags if t == "li" and a.get("id", "").startswith("source-")]
    assert [(a["id"], a["value"]) for a in listed] == [
        ("source-1", "1"), ("source-2", "2"), ("source-3", "3"),
    ]  # fmt: skip
    assert listed[1].get("data-removed") == "true" and "data-removed" not in listed[0]
    assert "removed from your documents" in "".join(tree.text)
    cites = [a.get("href", "") for t, a in tree.tags if t == "a" and "cite" in a.get("class", "")]
    assert f"/library/{doc_id}#page-4" in cites and f"/library/{doc_id}#page-2" in cites
    assert "#source-2" in cites  # the removed source links to its entry, not to a 404
    assert all(GONE not in href for href in cites)


async def test_generated_course_numbers_sources_consistently(client, make_user):
    _, headers = make_user()
    await with_sources(client, headers)
    queued = await client.post(
        "/api/courses", headers=headers, json={"topic": "Volcanoes", "num_lessons": 1}
    )
    course = await wait_course(client, headers, queued.json()["course_id"])
    assert course["status"] == "READY", course["error_message"]
    cid = course["id"]
    md = (await client.get(f"/api/courses/{cid}/export?format=md", headers=headers)).text
    html = (await client.get(f"/api/courses/{cid}/export?format=html", headers=headers)).text
    document = (await client.get(f"/api/courses/{cid}/export?format=json", headers=headers)).json()
    tree = parse(html)
    for lesson, chunk in zip(document["lessons"], md.split("\n## Lesson ")[1:], strict=True):
        number, n = lesson["lesson_info"]["lesson_number"], len(lesson["sources"])
        assert [s["number"] for s in lesson["sources"]] == list(range(1, n + 1))
        listed = re.findall(r"^(\d+)\. ", chunk.split("### Sources", 1)[1], re.M)
        assert listed[:n] == [str(i) for i in range(1, n + 1)]
        marks = {int(m) for m in re.findall(r"\[(\d+)\]", chunk.split("### Sources", 1)[0])}
        assert marks and marks <= set(range(1, n + 1))
        ids = {i for i in tree.ids if i.startswith(f"l{number}-s")}
        assert ids == {f"l{number}-s{i}" for i in range(1, n + 1)}
        links = {h for h in tree.hrefs if h.startswith(f"#l{number}-s")}
        assert links and {h[1:] for h in links} <= ids
