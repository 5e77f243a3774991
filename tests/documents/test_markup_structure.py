"""Markdown, RST, HTML, DOCX and PPTX extraction keeps the author's structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyforge.documents import markup, office
from tests.documents import markup_samples

DOCS = Path("/usr/share/doc/python3.11/html")
ERRORS_SECTIONS = [
    "Syntax Errors", "Exceptions", "Handling Exceptions", "Raising Exceptions",
    "Exception Chaining", "User-defined Exceptions", "Defining Clean-up Actions",
    "Predefined Clean-up Actions", "Raising and Handling Multiple Unrelated Exceptions",
    "Enriching Exceptions with Notes",
]  # fmt: skip
needs_docs = pytest.mark.skipif(not DOCS.is_dir(), reason="Python 3.11 docs are not installed")


def _errors(kind: str) -> list[markup.Block]:
    if kind == "rst":
        return markup.rst_blocks((DOCS / "_sources/tutorial/errors.rst.txt").read_text())
    return markup.html_blocks((DOCS / "tutorial/errors.html").read_text())


@needs_docs
@pytest.mark.parametrize("kind", ["rst", "html"])
def test_python_tutorial_chapter_keeps_sections_and_code(kind):
    blocks = _errors(kind)
    headings = [b for b in blocks if b.kind == "heading"]
    assert headings[0].text == headings[0].heading == "Errors and Exceptions"
    assert [h.text for h in headings[1:]] == ERRORS_SECTIONS
    for h in headings[1:]:
        assert h.heading == f"Errors and Exceptions > {h.text}"
    loop = [b for b in blocks if b.kind == "code" and b.text.startswith(">>> while True:")]
    assert len(loop) == 1 and loop[0].lang == "pycon"
    assert loop[0].heading == "Errors and Exceptions > Handling Exceptions"
    assert "...     try:\n...         x = int(input(" in loop[0].text
    assert (
        '...         print("Oops!  That was no valid number.  Try again...")\n...' in loop[0].text
    )
    classes = next(b for b in blocks if b.kind == "code" and b.text.startswith("class B("))
    assert "for cls in [B, C, D]:\n    try:\n        raise cls()" in classes.text
    prose = [b.text for b in blocks if b.kind == "prose"]
    for bad in (">>>", ".. code-block", ":exc:", ":keyword:", "``", "::", "\u00b6", "*except"):
        assert not [p for p in prose if bad in p], bad
    items = next(b for b in blocks if b.kind == "list")
    assert items.text.startswith("- First, the try clause (the statement(s) between the `try`")
    assert items.text.count("\n- ") == 3
    assert any("the `KeyboardInterrupt` exception" in p for p in prose)
    assert sum(b.kind == "code" for b in blocks) >= 25


@needs_docs
def test_json_reference_code_and_directives():
    blocks = markup.rst_blocks((DOCS / "_sources/library/json.rst.txt").read_text())
    code = [b for b in blocks if b.kind == "code"]
    assert any(b.lang == "pycon" and "json.dumps(['foo'" in b.text for b in code)
    shell = next(b for b in code if "python -m json.tool" in b.text)
    assert shell.lang == "console" and shell.text.startswith("$ echo")
    assert any(b.text.startswith("dump(obj, fp, *, skipkeys=False") for b in code)
    prose = [b.text for b in blocks if b.kind == "prose"]
    text = "\n".join(prose)
    for bad in (".. ", ":mod:", ":func:", ":class:", ":ref:", "`_", "``", "**", "versionchanged"):
        assert bad not in text, bad
    assert "Warning: Be cautious when parsing JSON data" in text
    assert "Changed in version 3.2: Allow strings for indent in addition to integers." in text
    assert "JSON (JavaScript Object Notation), specified by RFC 7159" in text
    assert "See Command Line Interface for detailed documentation." in text
    tables = [b for b in blocks if b.kind == "table"]
    assert any(t.text.startswith("JSON | Python\nobject | dict") for t in tables)
    assert blocks[0].kind == "heading" and blocks[0].text == "json \u2014 JSON encoder and decoder"


def _kinds(blocks):
    return [(b.kind, b.heading, b.text, b.lang) for b in blocks]


def test_markdown_structure():
    text = (
        "---\ntitle: x\n---\n# Guide\n\nIntro with `code`, **bold**, *it* and a [link](http://x).\n"
        "![badge](http://img)\n\nSetup\n-----\n\n- one\n- two\n  wrapped\n  - nested\n\n"
        "1. first\n2. second\n\n```python\ndef f():\n    return 1\n```\n\n~~~\nplain\n~~~\n\n"
        "    indented = True\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n> quoted *words*\n\n"
        "### Deep ###\n\nEnd.\n"
    )
    assert _kinds(markup.markdown_blocks(text)) == [
        ("heading", "Guide", "Guide", None),
        ("prose", "Guide", "Intro with `code`, bold, it and a link.", None),
        ("heading", "Guide > Setup", "Setup", None),
        ("list", "Guide > Setup", "- one\n- two wrapped\n  - nested", None),
        ("list", "Guide > Setup", "1. first\n2. second", None),
        ("code", "Guide > Setup", "def f():\n    return 1", "python"),
        ("code", "Guide > Setup", "plain", None),
        ("code", "Guide > Setup", "indented = True", None),
        ("table", "Guide > Setup", "a | b\n1 | 2", None),
        ("prose", "Guide > Setup", "quoted words", None),
        ("heading", "Guide > Setup > Deep", "Deep", None),
        ("prose", "Guide > Setup > Deep", "End.", None),
    ]


def test_rst_constructs():
    text = """
.. _top:

=====
Guide
=====

Intro ``literal``, *emphasis*, **strong**, `Python <https://python.org>`_ and
:ref:`the setup <setup>` with :func:`len` and :meth:`~a.b.Thing.go`.

.. toctree::
   :maxdepth: 2

   install
   usage

.. index:: single: guide

.. |name| replace:: Studyforge

..
   A comment that is dropped.

Setup
-----

Run |name|::

    pip install studyforge
    studyforge run

::

    bare = "literal"

.. code-block:: python
   :linenos:

   if x:
       y()

.. highlight:: bash

Shell text:

.. code:: sh

   ls -l

>>> 1 + 1
2

* first item
  wrapped
* second

  1. nested

#. one
#. two

.. note::
   Mind the *gap*.

:Author: Ann

term
   Its definition.

=====  =====
Name   Value
=====  =====
a      1
b      2
=====  =====

+------+-------+
| Cell | Other |
+======+=======+
| x    | y     |
+------+-------+
"""
    assert _kinds(markup.rst_blocks(text)) == [
        ("heading", "Guide", "Guide", None),
        (
            "prose",
            "Guide",
            "Intro `literal`, emphasis, strong, Python and the setup with `len()` and `go()`.",
            None,
        ),
        ("heading", "Guide > Setup", "Setup", None),
        ("prose", "Guide > Setup", "Run Studyforge:", None),
        ("code", "Guide > Setup", "pip install studyforge\nstudyforge run", None),
        ("code", "Guide > Setup", 'bare = "literal"', None),
        ("code", "Guide > Setup", "if x:\n    y()", "python"),
        ("prose", "Guide > Setup", "Shell text:", None),
        ("code", "Guide > Setup", "ls -l", "bash"),
        ("code", "Guide > Setup", ">>> 1 + 1\n2", "pycon"),
        ("list", "Guide > Setup", "- first item wrapped\n- second\n  1. nested", None),
        ("list", "Guide > Setup", "1. one\n2. two", None),
        ("prose", "Guide > Setup", "Note: Mind the gap.", None),
        ("prose", "Guide > Setup", "Author: Ann", None),
        ("prose", "Guide > Setup", "term: Its definition.", None),
        ("table", "Guide > Setup", "Name | Value\na | 1\nb | 2", None),
        ("table", "Guide > Setup", "Cell | Other\nx | y", None),
    ]


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>T</title><body><p>Lenses bend light.",
        "<!doctype html><html><head><meta charset=utf-8><title>T</title><p>Lenses bend light.",
        "<html><body><svg><circle r=1><p>Lenses bend light.</p></body></html>",
        "<p>Intro</p><math><mi>x</mi><div>Lenses bend light.</div>",
        "<html><head><script>var a = '<p>';</script><style>p{}</style></head>"
        "<body><template><p>hidden</p></template><noscript>enable js</noscript>"
        "<p>Lenses bend light.</p>",
    ],
)
def test_broken_html_still_gives_its_text(page):
    texts = [b.text for b in markup.html_blocks(page)]
    assert "Lenses bend light." in texts
    assert not [t for t in texts if t in ("T", "hidden", "enable js") or "var a" in t]


def test_html_structure_and_chrome():
    page = (
        "<html><body><header><a href='/'>Site</a></header><nav><ul><li>Home</li></ul></nav>"
        "<div class='sphinxsidebar'>Quick search</div><div role='navigation'>Next</div>"
        "<main><h1>Guide<a class='headerlink' href='#'>\u00b6</a></h1><p>Use <code>len</code>"
        " <em>now</em>.</p><h2>Loops</h2><ul><li><p>one</p></li><li>two<ol><li>sub</li></ol>"
        "</li></ul><div class='highlight-python3'><pre><span>for</span> i in x:\n    "
        "print(i)\n</pre></div><pre><code class='language-js'>let a = 1;</code></pre>"
        "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td><p>2</p></td></tr></table>"
        "</main><footer>Copyright</footer></body></html>"
    )
    assert _kinds(markup.html_blocks(page)) == [
        ("heading", "Guide", "Guide", None),
        ("prose", "Guide", "Use `len` now.", None),
        ("heading", "Guide > Loops", "Loops", None),
        ("list", "Guide > Loops", "- one\n- two\n  1. sub", None),
        ("code", "Guide > Loops", "for i in x:\n    print(i)", "python"),
        ("code", "Guide > Loops", "let a = 1;", "js"),
        ("table", "Guide > Loops", "a | b\n1 | 2", None),
    ]


def test_docx_structure():
    blocks = office.extract_docx(markup_samples.structured_docx()).blocks
    assert _kinds(blocks) == [
        ("heading", "Python basics", "Python basics", None),
        ("heading", "Python basics > Functions", "Functions", None),
        ("prose", "Python basics > Functions", "Call `greet()` with a name.", None),
        ("list", "Python basics > Functions", "- Define it with def\n- Return a value", None),
        ("list", "Python basics > Functions", "1. Write the test\n2. Run it", None),
        ("code", "Python basics > Functions", markup_samples.CODE, None),
        ("heading", "Python basics > Loops", "Loops", None),
        ("code", "Python basics > Loops", "for i in range(3):\n    print(i)", None),
        ("prose", "Python basics > Loops", "A loop repeats its body.", None),
        ("table", "Python basics > Loops", "Keyword | Meaning\nbreak | leave the loop", None),
    ]
    assert all(b.page is None for b in blocks)


def test_pptx_structure():
    result = office.extract_pptx(markup_samples.structured_pptx(), max_pages=10)
    assert result.page_count == 2
    assert [(b.page, *k) for b, k in zip(result.blocks, _kinds(result.blocks), strict=True)] == [
        (1, "heading", "Plate tectonics", "Plate tectonics", None),
        (1, "list", "Plate tectonics",
         "- Plates move\n  - a few centimetres a year\n- Boundaries cause earthquakes", None),
        (1, "prose", "Plate tectonics", "Continents drift on mantle convection.", None),
        (1, "table", "Plate tectonics", "Plate | Speed\nPacific | 10 cm", None),
        (1, "prose", "Plate tectonics", "Ask who felt an earthquake.", None),
        (2, "heading", "Steps", "Steps", None),
        (2, "list", "Steps", "1. Measure\n2. Compare", None),
    ]  # fmt: skip
