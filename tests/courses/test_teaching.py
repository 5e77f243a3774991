"""Courses a teacher could use, from real material: Python's own documentation.

The Python 3.11 docs come from Debian's python3-doc (installed by `make test`); the tutorial's
chapter on errors is printed to PDF by headless Chromium, as a user would upload it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studyforge.ai.offline.terms import code_like, strip_numbering
from tests.courses.conftest import wait_course
from tests.documents import pdf_samples, samples
from tests.documents.conftest import ingest

pytestmark = pytest.mark.anyio
DOCS = Path("/usr/share/doc/python3.11/html")
NUMBERED = re.compile(r"^8\.\d+\. ")


@pytest.fixture(scope="module")
def errors_pdf(tmp_path_factory) -> bytes:
    data = pdf_samples.chromium_pdf(pdf_samples.ERRORS_HTML, tmp_path_factory.mktemp("p") / "e.pdf")
    if data is None:
        pytest.skip("needs chromium and python3-doc (scripts/system-deps.sh installs both)")
    return data


def _source(name: str) -> bytes:
    path = DOCS / "_sources" / name
    if not path.exists():
        pytest.skip("needs python3-doc (scripts/system-deps.sh installs it)")
    return path.read_bytes()


async def _course(client, headers, **body) -> dict:
    response = await client.post("/api/courses", headers=headers, json=body)
    assert response.status_code == 202, response.text
    return await wait_course(client, headers, response.json()["course_id"], timeout=180)


async def test_a_numbered_pdf_gives_one_lesson_per_section(client, make_user, errors_pdf):
    _, headers = make_user()
    doc = await ingest(client, headers, "errors.pdf", errors_pdf, path="python/errors.pdf")
    assert doc["status"] == "completed", doc
    headings = [
        line.strip() for line in doc["extracted_text"].split("\n") if NUMBERED.match(line.strip())
    ]
    assert len(headings) == 10, headings
    course = await _course(client, headers, topic="Errors and exceptions in Python",
                           num_lessons=len(headings))  # fmt: skip
    assert course["status"] == "READY", course["error_message"]
    titles = [lesson["title"] for lesson in course["lessons"]]
    wanted = [strip_numbering(h) for h in headings]
    assert sum(t in wanted for t in titles) >= len(wanted) - 1, titles
    assert not code_like(course["description"]) and "Traceback" not in course["description"]
    fenced = 0
    for lesson in course["lessons"]:
        for value in [lesson["title"], lesson["description"], *lesson["key_concepts"],
                      *lesson["learning_objectives"]]:  # fmt: skip
            assert not code_like(value) and "Traceback" not in value, value
        for section in lesson["content_json"]["sections"]:
            for paragraph in section["paragraphs"]:
                if paragraph["kind"] == "code":
                    fenced += paragraph["text"].count("\n") >= 2  # multi-line examples
                else:
                    assert ">>>" not in paragraph["text"]
        fenced_md = re.findall(r"^```[a-z]*\n.*?\n```$", lesson["content_md"], re.S | re.M)
        assert len(fenced_md) == sum(
            p["kind"] == "code" for s in lesson["content_json"]["sections"] for p in s["paragraphs"]
        )
    assert fenced >= 6
    query = {"query": "how do I handle an exception", "k": 3}
    hits = (await client.post("/api/search", headers=headers, json=query)).json()
    assert all(hit["heading"] and hit["heading"].startswith("8. Errors") for hit in hits["results"])


async def test_a_mixed_library_refuses_what_it_does_not_cover(client, make_user, errors_pdf):
    _, headers = make_user()
    library = {
        "science/six-topics.pdf": samples.text_pdf(),
        "python/errors.pdf": errors_pdf,
        "python/sorting.rst": _source("howto/sorting.rst.txt"),
        "python/json.rst": _source("library/json.rst.txt"),
        "python/floatingpoint.rst": _source("tutorial/floatingpoint.rst.txt"),
    }
    ids = {}
    for path, data in library.items():
        doc = await ingest(client, headers, path.rsplit("/", 1)[1], data, path=path)
        assert doc["status"] == "completed", doc
        ids[doc["document_id"]] = path
    refused = await _course(client, headers, topic="Baking sourdough bread", num_lessons=3)
    assert refused["status"] == "FAILED"
    assert "don't cover 'Baking sourdough bread'" in refused["error_message"]
    for topic, path in [("Sorting lists in Python", "python/sorting.rst"),
                        ("Floating point arithmetic", "python/floatingpoint.rst")]:  # fmt: skip
        course = await _course(client, headers, topic=topic, num_lessons=3)
        assert course["status"] == "READY", course["error_message"]
        used = [s for lesson in course["lessons"] for s in lesson["sources"]]
        share = sum(ids[s["document_id"]] == path for s in used) / len(used)
        assert share >= 0.8, (topic, share)
        for lesson in course["lessons"]:  # one subject: one document's neighbouring sections
            assert len({s["document_id"] for s in lesson["sources"]}) == 1
