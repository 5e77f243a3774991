"""`repo_courses.structure.parse`: titles, sections, code, and links resolved to repository
paths, on small documents shaped like real ones (Sphinx, GitHub README, AsciiDoc, MyST)."""

from __future__ import annotations

import pytest

from studyforge.repo_courses.structure import doc_root, name_title, parse, resolve

SPHINX_INDEX = """\
.. _welcome:

Welcome to Widgetry
===================

Widgetry is a toolkit for building widgets. Get started with :doc:`installation`
and then get an overview with the :doc:`/quickstart`. There is also a more detailed
:doc:`tutorial/index` that shows how to build a small application. See
:ref:`widget-lifecycle` and :ref:`the welcome page <welcome>` for more.

.. include:: ../CHANGES.rst

User's Guide
------------

.. toctree::
   :maxdepth: 2
   :caption: Contents:

   self
   installation
   Quickstart guide <quickstart>
   tutorial/index
   api/*
   /changes
   https://example.org/external

.. toctree::
   :hidden:

   license
"""

README = """\
<p align="center"><img src="docs/logo.png" alt=""></p>

# Widgetry

Widgetry is a library for building [WSGI] widgets. Read the
[installation guide](docs/install.md#pip) and the [tutorial](./docs/tutorial/index.md)
before you start. A [parent link](../outside.md) leaves the repository, and an
[upstream page](https://example.org/x.md) is not part of it. See the ![logo](docs/logo.png).

## Installing Widgetry

```bash
pip install widgetry
```

Code `[not a link](code.md)` stays code, and so does this example:

```python
# [fake](fake.md)
import widgetry
```

More in the <a href="docs/faq.md">FAQ</a> and the [changelog][log].

[WSGI]: https://wsgi.readthedocs.io/
[log]: CHANGES.md
"""

ADOC = """\
= Getting Started with Widgetry
Jane Doe <jane@example.org>
:toc:
:product: Widgetry

Welcome to {product}. See xref:install.adoc[Installation] and
<<concepts.adoc#widgets,the concepts>>; <<first-steps>> is a section of this page.

== Installing {product}

[source,bash]
----
pip install widgetry
# xref:not-a-link.adoc[no]
----

NOTE: You need Python 3.9 or newer.

. Create a project
. Add a widget
.. Pick a colour

== Configuration

include::partials/config.adoc[]

|===
|Option |Default
|colour |blue
|===
"""

MYST = """\
# Guide

```{toctree}
:maxdepth: 2

install
usage/index
```

```{note}
Widgets are cheap to create.
```

See {doc}`usage/index` and {ref}`widget-types`.
"""


def test_sphinx_index_title_sections_and_toctree() -> None:
    s = parse("docs/index.rst", SPHINX_INDEX, "rst")
    assert s.title == "Welcome to Widgetry"
    assert [(x.title, x.level) for x in s.sections] == [
        ("Welcome to Widgetry", 1),
        ("User's Guide", 2),
    ]
    # options and `self` skipped, "Title <path>" read, the glob kept, "/x" from the docs root,
    # URLs dropped, both toctrees, no extensions
    assert s.toctree == [
        "docs/installation",
        "docs/quickstart",
        "docs/tutorial/index",
        "docs/api/*",
        "docs/changes",
        "docs/license",
    ]
    assert s.directives["toctree"] == 2


def test_sphinx_doc_and_ref_roles() -> None:
    s = parse("docs/index.rst", SPHINX_INDEX, "rst")
    assert s.links == [
        "docs/installation",
        "docs/quickstart",
        "docs/tutorial/index",
        "CHANGES.rst",  # `.. include:: ../CHANGES.rst` from docs/
    ]
    assert s.refs == ["widget-lifecycle"]  # `welcome` is this document's own label
    assert "Get started with" in s.link_context["docs/installation"]
    prose = " ".join(b.text for b in s.blocks if b.kind == "prose")
    # untitled :doc: targets read as words, not as "tutorial/index"
    assert "a more detailed tutorial that shows" in prose
    assert "tutorial/index" not in prose and "/quickstart" not in prose


def test_markdown_readme_links_code_and_title() -> None:
    s = parse("README.md", README, "markdown")
    assert s.title == "Widgetry"
    assert s.links == ["docs/install.md", "docs/tutorial/index.md", "docs/faq.md", "CHANGES.md"]
    assert s.link_text["docs/install.md"] == "installation guide"
    assert "before you start" in s.link_context["docs/tutorial/index.md"]
    assert [(b.lang, b.text.split("\n")[0]) for b in s.code_blocks] == [
        ("bash", "pip install widgetry"),
        ("python", "# [fake](fake.md)"),
    ]
    assert s.code_count == 2
    prose = [b.text for b in s.blocks if b.kind == "prose"]
    # a shortcut reference link reads as its words, not "[WSGI]"
    assert prose[0].startswith("Widgetry is a library for building WSGI widgets.")


def test_markdown_level_one_heading_wins_over_an_earlier_smaller_one() -> None:
    s = parse(
        "docs/guide.md", "## Overview\n\ntext\n\nReal Title\n==========\n\nmore\n", "markdown"
    )
    assert s.title == "Real Title"
    notebook = parse("notebooks/demo.ipynb", "# Demo\n\n```python\nx = 1\n```\n", "notebook")
    assert notebook.title == "Demo" and notebook.code_blocks[0].lang == "python"


def test_asciidoc_page() -> None:
    s = parse("docs/guide/start.adoc", ADOC, "asciidoc")
    assert s.title == "Getting Started with Widgetry"
    prose = [b.text for b in s.blocks if b.kind == "prose"]
    assert prose[0] == (
        "Welcome to Widgetry. See Installation and the concepts; first steps is a section"
        " of this page."
    )
    assert "Jane Doe" not in " ".join(prose)  # the header's author line is not prose
    assert "Note: You need Python 3.9 or newer." in prose
    assert [x.title for x in s.sections] == [
        "Getting Started with Widgetry",
        "Installing Widgetry",
        "Configuration",
    ]
    assert [(b.lang, b.text.split("\n")[0]) for b in s.code_blocks] == [
        ("bash", "pip install widgetry")
    ]
    lists = [b.text for b in s.blocks if b.kind == "list"]
    assert lists == ["1. Create a project\n2. Add a widget\n  1. Pick a colour"]
    assert [b.text for b in s.blocks if b.kind == "table"] == ["Option | Default\ncolour | blue"]
    assert s.links == [
        "docs/guide/install.adoc",
        "docs/guide/concepts.adoc",
        "docs/guide/partials/config.adoc",
    ]
    assert s.link_text["docs/guide/concepts.adoc"] == "the concepts"


def test_myst_toctree_is_read_and_not_shown_as_code() -> None:
    s = parse("docs/guide.md", MYST, "markdown")
    assert s.toctree == ["docs/install", "docs/usage/index"]
    assert s.code_blocks == []
    assert next(b.text for b in s.blocks if b.kind == "prose") == "Widgets are cheap to create."
    assert s.links == ["docs/usage/index"]
    assert s.refs == ["widget-types"]


def test_titles_from_file_names() -> None:
    assert parse("docs/getting-started.md", "Just text.\n", "markdown").title == "Getting started"
    assert parse("docs/tutorial/index.rst", "Some words.\n", "rst").title == "Tutorial"
    assert parse("notes/03_first_steps.txt", "Plain text.\n", "text").title == "First steps"
    # a level-1 heading that reads as code gives way to the file name
    code_title = "\\$ widget\\_\n==========\n\nWidgets for all.\n"
    assert parse("README.rst", code_title, "rst").title == "README"
    assert name_title("docs/api_reference.rst") == "Api reference"


def test_resolve_and_doc_root() -> None:
    assert resolve("docs/guide/a.md", "../b.md#part") == "docs/b.md"
    assert resolve("docs/guide/a.md", "/README.md") == "README.md"  # GitHub: repository root
    assert resolve("docs/source/guide/a.rst", "/api", sphinx=True) == "docs/source/api"
    assert resolve("a.md", "../../etc/passwd") is None
    assert resolve("a.md", "mailto:x@example.org") is None
    assert resolve("a.md", "#section") is None
    assert resolve("docs/a%20b.md", "c%20d.md") == "docs/c d.md"
    assert doc_root("project/doc/sub/page.rst") == "project/doc"
    assert doc_root("guide/page.rst") == ""


def test_html_and_plain_text() -> None:
    html = '<h1>Guide</h1><p>Read the <a href="setup.html#x">setup</a> page.</p><pre>x = 1</pre>'
    s = parse("site/guide.html", html, "html")
    assert s.title == "Guide" and s.links == ["site/setup.html"] and s.code_count == 1
    text = parse("NOTES.txt", "First paragraph\nwraps here.\n\nSecond one.\n", "text")
    assert [b.text for b in text.blocks] == ["First paragraph wraps here.", "Second one."]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown document format"):
        parse("a.doc", "x", "word")
