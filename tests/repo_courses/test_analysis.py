"""`repo_courses.analysis`: the offline stage-2 analysis of one document, on small documents
shaped like real ones, plus a run over Python's own documentation when it is installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studyforge.ai.offline.terms import code_like
from studyforge.repo_courses import doctype
from studyforge.repo_courses.analysis import DocAnalysis, analyze_offline, chunk, merge
from studyforge.repo_courses.doctype import DOC_TYPES, complexity, complexity_score, doc_type
from studyforge.repo_courses.structure import parse
from studyforge.repo_courses.wording import word_count

SPHINX_INDEX = """\
Welcome to Widgetry
===================

Widgetry is a lightweight toolkit for building web widgets. Get started with
:doc:`installation` and then get an overview with the :doc:`quickstart`. The rest of
the docs describe each component of Widgetry in detail.

.. toctree::
   :maxdepth: 2

   installation
   quickstart
   api
"""

README = """\
# Widgetry

Widgetry is a library for building reusable widgets. A widget is a small component that
renders one part of a page. Widgetry requires Python 3.9 or newer.

## Installing Widgetry

```bash
pip install widgetry
```

## Frobnicating Widgets

Frobnication makes a widget spin. See below.

```python
widget.frobnicate(speed=3)  # Frobnication is a spin.
```

## Widget Lifecycle

Every widget goes through a widget lifecycle: it is created, rendered and destroyed. The
widget lifecycle is managed by the page.
"""

TUTORIAL = """\
# Build a Blog

This tutorial walks you through building a small blog with Widgetry. It assumes you are
familiar with Python. Before you begin, read the [installation guide](install.md) first.
If you have experience with Django you will find the ideas familiar.

## Step 1: Create the project

Make a folder for the project and a virtual environment inside it.

```bash
mkdir blog && cd blog
python -m venv .venv
```

## Step 2: Define the models

A model is a class that describes the rows of one database table. The blog has two
models, posts and comments.

```python
class Post(Model):
    title = Text()
```

## Step 3: Write the views

A view is a function that answers one request.

```python
@app.route("/")
def index():
    return render("index.html", posts=Post.all())
```

## Step 4: Run the server

```bash
widgetry run --debug
```

The development server reloads the code when a file changes.
"""

API_PAGE = """\
API
===

.. module:: widgetry

This part of the documentation covers all the public interfaces of Widgetry.

Application Object
------------------

.. autoclass:: Widgetry
   :members:

Helpers
-------

.. autofunction:: render

``json.dumps()``
----------------

.. function:: dumps(obj, *, indent=None)

   Serialize ``obj`` to a JSON formatted string.
"""

CHANGES = """\
Version 2.1.0
-------------

Released 2024-05-01

-   Fix bug in the widget renderer.
-   Add support for dark mode.

Version 2.0.0
-------------

Released 2024-01-10

-   Drop support for Python 3.7.
"""


def analyse(path: str, text: str, fmt: str, level: str = "intermediate",
            note: str | None = None) -> DocAnalysis:  # fmt: skip
    return analyze_offline(path, parse(path, text, fmt), level, note)


def prose_of(path: str, text: str, fmt: str) -> str:
    return " ".join(b.text for b in parse(path, text, fmt).blocks if b.kind in ("prose", "list"))


@pytest.mark.parametrize(
    ("path", "text", "fmt", "expected"),
    [
        ("docs/index.rst", SPHINX_INDEX, "rst", "overview"),
        ("README.md", README, "markdown", "overview"),
        ("docs/blog.md", TUTORIAL, "markdown", "tutorial"),  # by its numbered steps and code
        ("docs/widgets.rst", API_PAGE, "rst", "api"),  # by its autodoc directives
        ("docs/reference/widgets.rst", API_PAGE, "rst", "reference"),
        ("CHANGES.rst", CHANGES, "rst", "changelog"),
        ("docs/releases.md", "# Releases\n\n## 1.0.1\n\nx\n\n## 1.0.0\n\ny\n\n## 0.9\n\nz\n\n"
         "## 0.8.1\n\nw\n", "markdown", "changelog"),
        ("docs/howto/caching.md", "# Caching\n\nCache pages to serve them faster.\n", "markdown",
         "howto"),
        ("CONTRIBUTING.md", "# Contributing\n\nOpen a pull request.\n", "markdown",
         "contributing"),
        ("LICENSE.rst", "MIT License\n===========\n\nPermission is granted.\n", "rst", "license"),
        ("docs/faq.rst", "FAQ\n===\n\nQuestions.\n", "rst", "faq"),
    ],
)  # fmt: skip
def test_doc_type(path: str, text: str, fmt: str, expected: str) -> None:
    found = doc_type(path, parse(path, text, fmt))
    assert found == expected and found in DOC_TYPES


def test_concept_and_guide_by_the_share_of_code() -> None:
    prose = "# Widgets\n\n" + "Widgets hold state and render markup for pages. " * 8
    code = prose + "\n\n```python\n" + "render(widget, page, state, markup)\n" * 20 + "```\n"
    assert doc_type("docs/widgets.md", parse("docs/widgets.md", prose, "markdown")) == "concept"
    assert doc_type("docs/widgets.md", parse("docs/widgets.md", code, "markdown")) == "guide"


def test_readme_analysis_reads_like_a_teacher_chose_it() -> None:
    a = analyse("README.md", README, "markdown")
    assert a.title == "Widgetry"
    assert "widget lifecycle" in [c.lower() for c in a.key_concepts]
    assert a.learning_objectives[0] == "Install Widgetry"  # gerund heading, safe rewrite
    # no known verb behind "Frobnicating": no rewrite, a templated objective instead
    assert "Understand frobnicating widgets" in a.learning_objectives
    assert a.summary.startswith("Widgetry is a library for building reusable widgets.")
    assert "See below" not in a.summary
    assert a.prerequisites == ["Python 3.9 or newer"]
    assert a.word_count == word_count(parse("README.md", README, "markdown"))


def test_code_never_becomes_a_concept_objective_or_summary() -> None:
    for path, text, fmt in [("README.md", README, "markdown"), ("docs/api.rst", API_PAGE, "rst"),
                            ("docs/blog.md", TUTORIAL, "markdown")]:  # fmt: skip
        a = analyse(path, text, fmt)
        structure = parse(path, text, fmt)
        code = " ".join(b.text for b in structure.code_blocks)
        for item in [*a.key_concepts, *a.learning_objectives]:
            assert not code_like(item), (path, item)
            assert "`" not in item and "json.dumps" not in item
        assert "frobnicate(" not in a.summary and "pip install" not in a.summary
        for sentence in re.split(r"(?<=\.) ", a.summary):
            assert not sentence or sentence in prose_of(path, text, fmt)  # copied, never made
            assert sentence not in code


def test_templated_objectives_are_marked_one_by_one() -> None:
    a = analyse("README.md", README, "markdown")
    marked = {
        int(m[1]) for t in a.templated if (m := re.fullmatch(r"learning_objectives\[(\d+)\]", t))
    }
    for i, objective in enumerate(a.learning_objectives):
        assert (i in marked) == objective.startswith("Understand "), objective
    assert marked  # this README has both kinds
    tutorial = analyse("docs/blog.md", TUTORIAL, "markdown")
    assert tutorial.learning_objectives == [
        "Create the project", "Define the models", "Write the views", "Run the server",
    ]  # fmt: skip
    assert tutorial.templated == []


def test_tutorial_prerequisites_and_summary() -> None:
    a = analyse("docs/blog.md", TUTORIAL, "markdown")
    assert a.prerequisites == ["Python", "docs/install.md"]  # "If you have experience..." is not
    assert a.summary.startswith("This tutorial walks you through building a small blog")
    assert "read the installation guide" not in a.summary  # an instruction, not a summary
    assert "installation guide" in a.related_topics
    assert a.complexity_level == "beginner"


def test_overview_links_read_first_are_prerequisites() -> None:
    a = analyse("docs/index.rst", SPHINX_INDEX, "rst")
    assert a.toctree == ["docs/installation", "docs/quickstart", "docs/api"]
    assert a.links == ["docs/installation", "docs/quickstart"]
    assert "docs/installation" in a.prerequisites  # "Get started with installation"
    assert a.headings == ["Welcome to Widgetry"]


def test_nothing_is_invented_for_thin_documents() -> None:
    a = analyse("CHANGES.rst", CHANGES, "rst")
    assert (a.key_concepts, a.learning_objectives, a.summary, a.prerequisites) == ([], [], "", [])
    bare = analyse("docs/notes.md", "# Notes\n\nShort text here.\n", "markdown")
    assert bare.prerequisites == [] and bare.key_concepts == [] and bare.learning_objectives == []


def test_additional_info_only_reorders_concepts() -> None:
    plain = analyse("README.md", README, "markdown")
    focused = analyse("README.md", README, "markdown", note="Focus on the lifecycle of things")
    assert focused.key_concepts[0].lower() == "widget lifecycle"
    assert plain.key_concepts[0].lower() != "widget lifecycle"
    assert sorted(focused.key_concepts) == sorted(plain.key_concepts)
    assert focused.learning_objectives == plain.learning_objectives


def test_complexity_is_measured_not_requested() -> None:
    easy = parse("docs/intro.md", "# Introduction\n\n" + "This basic introduction helps "
                 "beginners learn the first simple steps. " * 6, "markdown")  # fmt: skip
    hard = parse("docs/internals.md", "# Internals\n\n" + "The metaclass overrides descriptor "
                 "dispatch and coroutine scheduling across threads. " * 6, "markdown")  # fmt: skip
    for level in ("beginner", "intermediate", "advanced"):
        assert complexity(easy, "concept", level) == "beginner"
        assert complexity(hard, "concept", level) == "advanced"
    assert complexity_score(hard, "concept") > complexity_score(hard, "tutorial")  # the prior


@pytest.mark.parametrize(
    ("score", "by_request"),
    [
        (0.0, ["beginner", "beginner", "beginner"]),
        (0.11, ["beginner", "intermediate", "intermediate"]),  # a tie at the lower threshold
        (0.2, ["intermediate", "intermediate", "intermediate"]),
        (0.29, ["intermediate", "intermediate", "advanced"]),  # a tie at the upper one
        (0.5, ["advanced", "advanced", "advanced"]),
    ],
)
def test_the_requested_level_only_breaks_ties(
    monkeypatch: pytest.MonkeyPatch, score: float, by_request: list[str]
) -> None:
    monkeypatch.setattr(doctype, "complexity_score", lambda structure, kind: score)
    structure = parse("docs/x.md", "# X\n\nText.\n", "markdown")
    found = [complexity(structure, "concept", r) for r in ("beginner", "intermediate", "advanced")]
    assert found == by_request


def test_as_dict_round_trip() -> None:
    a = analyse("README.md", README, "markdown")
    data = a.as_dict()
    assert set(data) == {"title", "doc_type", "complexity_level", "key_concepts",
                         "learning_objectives", "summary", "prerequisites", "related_topics",
                         "word_count", "code_count", "headings", "links", "toctree",
                         "templated"}  # fmt: skip
    assert DocAnalysis.from_dict({**data, "unknown": 1}) == a
    assert DocAnalysis.from_dict({"title": "X"}).doc_type == "other"


def test_chunk_cuts_at_section_boundaries() -> None:
    structure = parse("docs/blog.md", TUTORIAL, "markdown")
    parts = chunk(structure, max_words=45)
    assert len(parts) > 1
    assert [b for p in parts for b in p.blocks] == structure.blocks  # nothing lost or reordered
    for part in parts:
        assert part.title == structure.title and part.links == structure.links
        assert part.blocks[0].kind == "heading"  # every section here fits: cut between them
        assert sum(len(b.text.split()) for b in part.blocks) <= 45
    long = parse("docs/long.md", "# Long\n\n" + "\n\n".join(["word " * 30] * 4), "markdown")
    pieces = chunk(long, max_words=70)
    assert [len(p.blocks) for p in pieces] == [3, 2]  # one section longer than 70: cut inside
    assert pieces[1].blocks[0].heading == "Long"  # its blocks keep their heading path


def test_merge_of_chunks_matches_the_whole() -> None:
    structure = parse("README.md", README, "markdown")
    whole = analyze_offline("README.md", structure, "intermediate", None)
    parts = [analyze_offline("README.md", p, "intermediate", None) for p in chunk(structure, 40)]
    assert len(parts) > 1
    merged = merge(parts)
    assert merged.title == whole.title and merged.doc_type == whole.doc_type
    assert merged.word_count == whole.word_count
    assert merged.headings == whole.headings
    assert set(merged.learning_objectives) <= {o for p in parts for o in p.learning_objectives}
    assert len({c.lower() for c in merged.key_concepts}) == len(merged.key_concepts)
    for t in merged.templated:  # marks follow their objectives to their new places
        index = int(t.removeprefix("learning_objectives[").rstrip("]"))
        assert merged.learning_objectives[index].startswith("Understand ")
    assert merged.summary.split(". ")[0] == parts[0].summary.split(". ")[0]
    with pytest.raises(ValueError):
        merge([])


SOURCES = Path("/usr/share/doc/python3.11/html/_sources")


@pytest.mark.skipif(not SOURCES.is_dir(), reason="Python's documentation sources (python3-doc)")
def test_pythons_own_documentation() -> None:
    """Real material nobody wrote for this test: the tutorial reads as beginner tutorials,
    the C API as advanced API pages, and no analysis holds code where words belong."""

    def run(folder: str) -> list[DocAnalysis]:
        out = []
        for file in sorted((SOURCES / folder).glob("*.rst.txt"))[:20]:
            path = f"Doc/{folder}/{file.name.removesuffix('.txt')}"
            out.append(analyze_offline(path, parse(path, file.read_text(), "rst"), "intermediate",
                                       None))  # fmt: skip
        return out

    tutorial, capi = run("tutorial"), run("c-api")
    assert all(a.doc_type == "tutorial" for a in tutorial)
    assert sum(a.complexity_level == "beginner" for a in tutorial) >= 0.7 * len(tutorial)
    assert sum(a.doc_type == "api" for a in capi) >= 0.7 * len(capi)
    assert sum(a.complexity_level == "advanced" for a in capi) >= 0.6 * len(capi)
    for a in tutorial + capi:
        assert not any(code_like(x) for x in a.key_concepts + a.learning_objectives), a.title
        assert len(a.key_concepts) <= 8 and len(a.learning_objectives) <= 6
    errors = next(a for a in tutorial if a.title == "Errors and Exceptions")
    assert "Handle exceptions" in errors.learning_objectives
    assert "exceptions" in errors.key_concepts
    index = next(a for a in tutorial if a.headings and a.title == "The Python Tutorial")
    assert "Doc/tutorial/appetite" in index.toctree
