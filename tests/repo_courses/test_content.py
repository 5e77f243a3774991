"""Stage 4's offline module text (`repo_courses.content`) on small documents of each kind: a
Markdown tutorial with steps and code, a reST page with sections (and a `click:example` the
reader flattens into prose), a notebook, and a page of code only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studyforge.ai.offline.terms import strip_numbering
from studyforge.courses.render import Numbering, fence, lesson_lines
from studyforge.repo_courses.analysis import analyze_offline
from studyforge.repo_courses.content import (
    PROSE_WORDS,
    ModuleText,
    collapse,
    document_text,
    write_module,
)
from studyforge.repo_courses.scan import notebook_text
from studyforge.repo_courses.structure import DocStructure, parse

TUTORIAL = """\
[![Build](https://img.shields.io/badge/build-passing-green.svg)](https://ci.example.org)

# Building a task tracker

This tutorial builds a small task tracker with the `tasks` library. A task tracker keeps a
list of tasks and marks them done when they are finished.

## Contents

- [Install](#step-1-install-the-library)
- [First steps](#step-2-create-a-task-list)

## Step 1: Install the library

The library is published on the package index. Install it with pip:

```bash
pip install tasks
```

A virtual environment keeps the library apart from the other projects on your system.

## Step 2: Create a task list

A task list is an ordered collection of tasks. Each task has a title and a done flag. Create
one and add two tasks:

```python
from tasks import TaskList

todo = TaskList()
todo.add("Write the report")
todo.add("Send the invoice")
```

The `add` method appends a task to the end of the list. New tasks always start as not done.

## Step 3: Mark tasks as done

Marking a task as done keeps it in the list but changes its flag. The `done` method takes
the position of the task:

```python
todo.done(0)
print(todo.pending())
```

The `pending` method returns only the tasks that are not done yet. Finished tasks stay in the
history until the list is cleared.

| Method | What it does |
|---|---|
| `add` | appends a task |
| `done` | marks a task as done |

See the [API reference](api.md) for every method.

Continue with [saving tasks](saving.md).
"""

GUIDE = """\
Configuration
=============

.. contents::

The configuration file controls how the server starts. The server reads the file once at
startup, so a change to the file needs a restart of the server.

.. versionadded:: 2.0
   The ``reload`` option.

Loading a file
--------------

A configuration file is a plain text file of keys and values. The loader reads the whole
file with ``load_config`` and returns a dictionary:

.. code-block:: python

   from server import load_config

   config = load_config("server.toml")
   print(config["port"])

Unknown keys are ignored by the loader. Missing keys take their default values from the
server's built-in settings.

.. note::

   The configuration file must be encoded as UTF-8.

Environment variables
---------------------

Environment variables override the values of the configuration file. Each variable name
starts with the prefix ``SERVER_`` followed by the key in capitals.

* ``SERVER_PORT`` sets the port the server listens on.
* ``SERVER_HOST`` sets the host name of the server.

.. click:example::

    @click.command()
    def hello():
        click.echo('Hello World!')

And what it looks like:

.. click:run::

    invoke(hello, args=[])

Changelog
---------

Version 2.0 added the reload option to the configuration file.
"""

NOTEBOOK = json.dumps(
    {
        "metadata": {"language_info": {"name": "python"}},
        "cells": [
            {
                "cell_type": "markdown",
                "source": [
                    "# Plotting data\n",
                    "\n",
                    "A line chart shows how a value changes over "
                    "time. The chart library draws one from two "
                    "lists of numbers.",
                ],
            },
            {
                "cell_type": "code",
                "source": ["import chart\n", "chart.line([1, 2, 3], [4, 5, 6])"],
                "outputs": [{"text": "<Figure>"}],
            },
            {
                "cell_type": "markdown",
                "source": [
                    "## Labels\n",
                    "\n",
                    "Axis labels tell the reader what each axis "
                    "measures. A chart without labels is hard to "
                    "read for anyone who did not draw it.",
                ],
            },
            {"cell_type": "code", "source": ['chart.labels(x="time", y="value")']},
        ],
    }
)

SNIPPETS = """\
# Snippets

## Reading a file

```python
with open("data.txt") as f:
    print(f.read())
```

## Writing a file

```python
with open("out.txt", "w") as f:
    f.write("hello")
```
"""

MODULE = {
    "title": "Getting started with tasks and configuration",
    "description": "The configuration file controls how the server starts.",
    "sequence_order": 1,
    "learning_objectives": ["Create a task list", "Understand configuration files"],
    "estimated_time": "25 minutes",
}


def docs() -> list[DocStructure]:
    return [
        parse("docs/tutorial.md", TUTORIAL, "markdown"),
        parse("docs/guide.rst", GUIDE, "rst"),
        parse("notebooks/plotting.ipynb", notebook_text(NOTEBOOK), "notebook"),
    ]


def build(level: str = "beginner", note: str | None = None) -> ModuleText:
    """The module the tests read (also run in a subprocess by the determinism test)."""
    found = docs()
    analyses = [analyze_offline(d.path, d, level, note).as_dict() for d in found]
    return write_module(MODULE, found, analyses, complexity_level=level, additional_info=note)


@pytest.fixture(scope="module")
def module() -> ModuleText:
    return build()


TEXT_FIELDS = ("introduction", "main_content", "conclusion", "assessment", "summary")
TEMPLATED_HEADINGS = {"Introduction", "Key takeaways", "What comes next"}


def _without_code(markdown: str) -> str:
    return re.sub(r"`[^`\n]*`", "", re.sub(r"(?ms)^(`{3,}).*?^\1\s*$", "", markdown))


def _fences(markdown: str) -> list[str]:
    return re.findall(r"(?ms)^`{3,}[^\n]*\n.*?\n`{3,}$", markdown)


def _code_lines(structures: list[DocStructure]) -> set[str]:
    lines = {x.strip() for d in structures for b in d.code_blocks for x in b.text.split("\n")}
    return {x for x in lines if len(x) >= 8}


def test_every_citation_resolves_to_a_source(module: ModuleText) -> None:
    numbers = [s["index"] for s in module.sources]
    assert numbers == list(range(1, len(numbers) + 1))
    for name in TEXT_FIELDS:
        for n in re.findall(r"\[(\d+)\]", _without_code(getattr(module, name))):
            assert int(n) in numbers, (name, n)
    for section in module.sections:
        for paragraph in section["paragraphs"]:
            assert all(c in numbers for c in paragraph["citations"])
    for check in module.checks:
        assert check["source"]["index"] in numbers
    cited = {
        int(n)
        for name in TEXT_FIELDS
        for n in re.findall(r"\[(\d+)\]", _without_code(getattr(module, name)))
    }
    assert cited == set(numbers)  # no source is listed without being cited


def test_quotes_are_text_of_their_documents(module: ModuleText) -> None:
    texts = {d.path: document_text(d) for d in docs()}
    for source in module.sources:
        text = texts[source["path"]]
        assert 0 < len(source["quote"]) <= 300
        assert source["quote"] in collapse(text)
        assert collapse(text[source["start"] : source["end"]]).startswith(source["quote"])
        if source["heading"] is not None:
            assert source["heading"].split(" > ")[0] in {d.title for d in docs()} | {
                s.heading.split(" > ")[0] for d in docs() for s in d.sections
            }


def test_prose_paragraphs_quote_exactly_what_they_cite(module: ModuleText) -> None:
    by_index = {s["index"]: s for s in module.sources}
    for section in module.sections:
        for paragraph in section["paragraphs"]:
            if paragraph["kind"] == "prose" and paragraph["citations"]:
                quoted = " ".join(by_index[c]["quote"] for c in paragraph["citations"])
                assert collapse(paragraph["text"]) == quoted


def test_code_is_fenced_with_its_language_and_never_prose(module: ModuleText) -> None:
    code = [p for s in module.sections for p in s["paragraphs"] if p["kind"] == "code"]
    assert {p["lang"] for p in code} >= {"python", "bash"}
    for p in code:
        assert "\n".join(fence(p["text"], p["lang"])) in module.main_content
    source_lines = _code_lines(docs())
    prose = [p["text"] for s in module.sections for p in s["paragraphs"] if p["kind"] != "code"]
    words = [
        *prose,
        *(s["heading"] for s in module.sections),
        module.summary,
        *(c["question"] for c in module.checks),
        *(c["answer"] for c in module.checks),
    ]
    for text in words:
        assert not any(line in text for line in source_lines), text
    # the reST reader flattens `click:example` into paragraphs: none of them is shown as prose
    everything = " ".join(getattr(module, f) for f in TEXT_FIELDS)
    assert "click.echo" not in everything and "invoke(hello" not in everything
    assert "def hello" not in everything


def test_headings_are_the_sources_own(module: ModuleText) -> None:
    found = docs()
    own = {strip_numbering(s.title) for d in found for s in d.sections if s.title}
    own |= {d.title for d in found} | {MODULE["title"]}
    headings = [s["heading"] for s in module.sections if s["heading"]]
    assert set(headings) - TEMPLATED_HEADINGS <= own
    assert {"Step 1: Install the library", "Loading a file", "Labels"} <= set(headings)
    markdown = re.findall(r"(?m)^#{2,6} (.+)$", module.main_content)
    assert set(markdown) <= own
    assert headings[0] == "Introduction" and "Key takeaways" in headings


def test_page_furniture_is_left_out(module: ModuleText) -> None:
    everything = " ".join(getattr(module, f) for f in TEXT_FIELDS)
    headings = {s["heading"] for s in module.sections}
    assert "Contents" not in headings and "Changelog" not in headings
    for furniture in (
        "shields.io",
        "New in version",
        "See the API reference",
        "Version 2.0",
        "And what it looks like",
        "Continue with saving tasks.",
    ):
        assert furniture not in everything, furniture
    assert "Note: The configuration file must be encoded as UTF-8." in everything


def test_sections_hold_the_module_text_and_render_as_a_lesson(module: ModuleText) -> None:
    lesson = {
        "number": 1,
        "title": MODULE["title"],
        "sections": module.sections,
        "summary": module.summary,
    }
    rendered = "\n".join(lesson_lines(lesson, Numbering(module.sources)))
    parts = "\n".join([module.introduction, module.main_content, module.conclusion])
    assert _fences(rendered) == _fences(parts) and _fences(parts)
    for section in module.sections:
        for paragraph in section["paragraphs"]:
            if paragraph["kind"] == "prose":
                assert paragraph["text"] in parts
    # the same citation numbers in both renderings (sources are numbered 1..n)
    assert re.findall(r"\[\d+\]", _without_code(parts)) == re.findall(
        r"\[\d+\]", _without_code(rendered.split("## Summary")[0])
    )


def test_tables_are_shown_as_tables(module: ModuleText) -> None:
    tables = [p for s in module.sections for p in s["paragraphs"] if p["kind"] == "table"]
    assert [t["text"] for t in tables] == [
        "Method | What it does\n`add` | appends a task\n`done` | marks a task as done"
    ]
    assert "| Method | What it does |\n| --- | --- |\n| `add` | appends a task |" in (
        module.main_content
    )


def test_introduction_conclusion_and_summary(module: ModuleText) -> None:
    assert module.introduction.startswith(f"## Introduction\n\n{MODULE['description']} [1]")
    assert module.sources[0]["path"] == "docs/guide.rst"
    assert module.introduction.count("The configuration file controls") == 1
    assert "In this module you will:\n\n- Create a task list" in module.introduction
    assert "This tutorial builds a small task tracker" in module.introduction
    assert "Continue with saving tasks (`docs/saving.md`)." in module.conclusion
    sentences = re.findall(r"[^\[\]]+?[.!?] \[\d+\]", module.summary)
    assert 2 <= len(sentences) <= 3
    assert set(module.templated) >= {"introduction", "conclusion", "assessment"}


def test_main_content_keeps_the_sources_order(module: ModuleText) -> None:
    text = module.main_content
    order = [
        "## Building a task tracker",
        "### Step 1: Install the library",
        "### Step 2: Create a task list",
        "### Step 3: Mark tasks as done",
        "## Configuration",
        "### Loading a file",
        "### Environment variables",
        "## Plotting data",
        "### Labels",
    ]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)
    # the sentence that introduces an example stands right above it
    assert "Install it with pip: [" in text.split("```bash")[0].rsplit("\n\n", 2)[-2]


def test_checks_are_asked_from_their_cited_sentences(module: ModuleText) -> None:
    by_index = {s["index"]: s for s in module.sources}
    assert 3 <= len(module.checks) <= 5
    assert {c["kind"] for c in module.checks} >= {"multiple_choice", "true_false"}
    for check in module.checks:
        quote = by_index[check["source"]["index"]]["quote"]
        if check["kind"] == "multiple_choice":
            assert len(check["options"]) == 4 and check["answer"] in check["options"]
            assert check["answer"].lower() in quote.lower()
        elif check["kind"] == "true_false":
            said = check["question"].removeprefix("True or false: ")
            assert (said in quote) == (check["answer"] == "True")
            assert check["explanation"].split("\u201c")[1].rstrip("\u201d") in quote
        assert check["question"] in module.assessment
    assert "### Answers" in module.assessment


def test_the_same_input_gives_the_same_module() -> None:
    first = build().as_dict()
    assert build().as_dict() == first
    root = Path(__file__).resolve().parents[2]
    script = (
        "import json; from tests.repo_courses.test_content import build; "
        "print(json.dumps(build().as_dict(), sort_keys=True))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            check=True,
            text=True,
            capture_output=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {json.dumps(first, sort_keys=True) + "\n"}


def test_a_module_of_code_and_headings_only() -> None:
    snippets = parse("examples/snippets.md", SNIPPETS, "markdown")
    m = write_module(
        {"title": "Snippets", "description": ""},
        [snippets],
        None,
        complexity_level="intermediate",
        additional_info=None,
    )
    assert "### Reading a file" in m.main_content and "### Writing a file" in m.main_content
    assert len(_fences(m.main_content)) == 2
    assert '```python\nwith open("data.txt") as f:' in m.main_content
    assert [c["kind"] for c in m.checks] == ["short_answer", "short_answer"]
    assert "the first example under \u201cReading a file\u201d" in m.checks[0]["question"]
    assert not any("open(" in c["question"] for c in m.checks)
    assert m.summary == "" and "Key takeaways" not in m.conclusion
    json.dumps(m.as_dict())


def test_a_description_not_in_the_documents_is_left_out() -> None:
    found = docs()
    wording = {**MODULE, "description": "Reading: Building a task tracker; Configuration."}
    m = write_module(wording, found, None, complexity_level="beginner", additional_info=None)
    assert "Reading:" not in m.introduction
    assert m.introduction.startswith("## Introduction\n\nThis tutorial builds a small task")


def test_no_documents_is_an_empty_module() -> None:
    m = write_module(
        {"title": "Nothing"}, [], None, complexity_level="beginner", additional_info=None
    )
    assert m.main_content == "" and m.sources == [] and m.checks == []


def _long_doc(sections: int, sentences: int) -> DocStructure:
    nouns = ["cache", "queue", "router", "parser", "index", "ledger", "buffer", "scheduler"]
    lines = ["Reference", "=========", ""]
    for s in range(sections):
        title = f"The {nouns[s % 8]} part {s}"
        lines += [title, "-" * len(title), ""]
        for k in range(sentences):
            lines.append(
                f"The {nouns[(s + k) % 8]} number {s}-{k} keeps {k + 2} records of "
                f"the {nouns[(s * 3 + k) % 8]} in a table for each request."
            )
        lines.append("")
    return parse("docs/reference.rst", "\n".join(lines), "rst")


def _main_words(m: ModuleText) -> int:
    main = [s for s in m.sections if s["heading"] not in TEMPLATED_HEADINGS]
    return sum(
        len(p["text"].split())
        for s in main
        for p in s["paragraphs"]
        if p["kind"] != "code" and p["citations"]
    )


@pytest.mark.parametrize("level", ["beginner", "advanced"])
def test_length_is_bounded(level: str) -> None:
    m = write_module(
        {"title": "Reference"},
        [_long_doc(40, 12)],
        None,
        complexity_level=level,
        additional_info=None,
    )
    assert 0.5 * PROSE_WORDS[level] <= _main_words(m) <= PROSE_WORDS[level]
    assert (
        "Not covered here" in m.main_content or len(re.findall("^### ", m.main_content, re.M)) == 40
    )


def test_a_practical_note_prefers_examples_and_its_words() -> None:
    plain = build("intermediate")
    practical = build("intermediate", "Focus on practical examples")
    assert len(_fences(practical.main_content)) >= len(_fences(plain.main_content))
    assert _main_words(practical) <= _main_words(plain)
