"""Documentation scanning of a checkout, and reading one scanned document safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from studyforge.repo_courses.scan import (
    MAX_OVERVIEW_CANDIDATES,
    RepoDocumentError,
    ScannedFile,
    notebook_text,
    read_text,
    scan,
)

MAX_DOC = 50_000

NOTEBOOK = {
    "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
    "nbformat": 4,
    "cells": [
        {"cell_type": "markdown", "source": ["# Tutorial\n", "\n", "Load the data."]},
        {
            "cell_type": "code",
            "source": ["import json\n", "print(json.dumps({}))"],
            "outputs": [{"output_type": "stream", "text": ["OUTPUT-SHOULD-VANISH\n"]}],
        },
        {"cell_type": "raw", "source": "RAW-SHOULD-VANISH"},
        {"cell_type": "code", "source": "s = '''\n```\n'''", "outputs": []},
        {"cell_type": "code", "source": "   ", "outputs": []},
    ],
}


def _write(root: Path, files: dict[str, bytes | str]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    _write(
        root,
        {
            "README.md": "# Project\n",
            "LICENSE": "MIT License\n",
            "CONTRIBUTING": "Send patches.\n",
            "requirements.txt": "httpx\n",
            "notes.txt": "Plain notes.\n",
            "setup.py": "print('x')\n",
            "binary.md": b"# looks like markdown\0\0\x01\x02",
            "huge.md": "# big\n" + "x" * MAX_DOC,
            "docs/conf.py": "project = 'p'\n",
            "docs/index.rst": "Docs\n====\n",
            "docs/topics/intro.txt": "Intro\n=====\n",
            "docs/quickstart.md": "# Quickstart\n",
            "docs/api/README.md": "# API\n",
            "docs/templates/page.html": "<html>{{ body }}</html>",
            "docs/_build/html/index.html": "<html>built</html>",
            "docs/guide.adoc": "= Guide\n",
            "site/about.html": "<html><body>About</body></html>",
            "guide/tutorial.ipynb": json.dumps(NOTEBOOK),
            "guide/broken.ipynb": "{not json",
            "src/module.py": "x = 1\n",
            "src/deep/a/b/README.md": "# Deep\n",
            "node_modules/pkg/README.md": "# vendored\n",
            ".git/HEAD": "ref: refs/heads/main\n",
            ".github/CONTRIBUTING.md": "# hidden\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/README.md": "# a virtualenv\n",
            "assets/img/logo.png": b"\x89PNG\r\n\x1a\n\0\0",
        },
    )
    os.symlink("/etc/passwd", root / "docs/passwd.md")
    os.symlink("docs", root / "linkdir")
    (root / "empty").mkdir()
    return root


def _by_path(files: list[ScannedFile]) -> dict[str, ScannedFile]:
    return {f.path: f for f in files}


def test_scan_lists_folders_holding_documentation(tree: Path) -> None:
    result = scan(tree, max_doc_bytes=MAX_DOC)
    assert result.folders == [
        ".", "docs", "docs/api", "docs/topics", "guide", "site", "src", "src/deep",
        "src/deep/a", "src/deep/a/b",
    ]  # fmt: skip


def test_scan_skips_vendored_hidden_virtualenv_and_symlinks(tree: Path) -> None:
    paths = set(_by_path(scan(tree, max_doc_bytes=MAX_DOC).files))
    for skipped in ("node_modules", ".git", ".github", "env", "docs/_build", "linkdir"):
        assert not any(p == skipped or p.startswith(skipped + "/") for p in paths), skipped
    assert "docs/passwd.md" not in paths
    assert {"empty", "assets", "assets/img", "assets/img/logo.png", "src/module.py"} <= paths


def test_scan_flags_formats(tree: Path) -> None:
    files = _by_path(scan(tree, max_doc_bytes=MAX_DOC).files)
    expected = {
        "README.md": "markdown",
        "LICENSE": "text",
        "CONTRIBUTING": "text",
        "notes.txt": "text",
        "docs/index.rst": "rst",
        "docs/topics/intro.txt": "rst",  # .txt inside a Sphinx source folder
        "docs/guide.adoc": "asciidoc",
        "site/about.html": "html",
        "guide/tutorial.ipynb": "notebook",
    }
    for path, fmt in expected.items():
        assert files[path].is_documentation and files[path].doc_format == fmt, path
        assert files[path].file_type == "file"
    for path in (
        "requirements.txt", "setup.py", "binary.md", "huge.md", "docs/templates/page.html",
        "guide/broken.ipynb", "assets/img/logo.png",
    ):  # fmt: skip
        assert not files[path].is_documentation and files[path].doc_format is None, path
    assert files["huge.md"].file_size == len("# big\n") + MAX_DOC
    assert files["docs"] == ScannedFile("docs", "folder")
    assert files["docs"].file_size is None


def test_overview_candidates_in_order(tree: Path) -> None:
    result = scan(tree, max_doc_bytes=MAX_DOC)
    assert result.overview_candidates == [
        "README.md",
        "docs/index.rst",
        "docs/api/README.md",
        "src/deep/a/b/README.md",
        "docs/quickstart.md",
        "guide/tutorial.ipynb",
        "docs/topics/intro.txt",
    ]
    flagged = [f.path for f in result.files if f.is_overview_candidate]
    assert sorted(flagged) == sorted(result.overview_candidates)
    assert not _by_path(result.files)["LICENSE"].is_overview_candidate


def test_root_readme_prefers_markdown_and_licenses_never_qualify(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "README.rst": "R\n=\n", "README.md": "# R\n", "README": "r\n",
            "LICENSE.md": "# MIT\n", "docs/index.md": "# I\n", "docs/overview.md": "# O\n",
            "docs/a/b/c/intro.md": "# too deep for a guide\n",
        },
    )  # fmt: skip
    result = scan(tmp_path, max_doc_bytes=MAX_DOC)
    assert result.overview_candidates == [
        "README.md", "README.rst", "README", "docs/index.md", "docs/overview.md",
    ]  # fmt: skip
    assert _by_path(result.files)["LICENSE.md"].is_documentation


def test_overview_candidates_are_capped(tmp_path: Path) -> None:
    _write(tmp_path, {f"packages/p{i:02}/README.md": "# p\n" for i in range(30)})
    result = scan(tmp_path, max_doc_bytes=MAX_DOC)
    assert len(result.overview_candidates) == MAX_OVERVIEW_CANDIDATES
    assert sum(f.is_overview_candidate for f in result.files) == MAX_OVERVIEW_CANDIDATES
    assert result.overview_candidates[0] == "packages/p00/README.md"


def test_read_text_decodes_safely(tree: Path) -> None:
    _write(tree, {"docs/latin1.md": b"\xef\xbb\xbfcaf\xe9 ok\n"})
    assert read_text(tree, "README.md", MAX_DOC) == "# Project\n"
    assert read_text(tree, "docs/latin1.md", MAX_DOC) == "caf\ufffd ok\n"


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        ("../outside.md", "REPO_UNSAFE_PATH"),
        ("/etc/passwd", "REPO_UNSAFE_PATH"),
        ("docs/../../x", "REPO_UNSAFE_PATH"),
        ("docs/passwd.md", "REPO_UNSAFE_PATH"),  # a symlink
        ("linkdir/index.rst", "REPO_UNSAFE_PATH"),  # through a symlinked folder
        ("missing.md", "REPO_DOC_NOT_FOUND"),
        ("README.md/x", "REPO_DOC_NOT_FOUND"),
        ("docs", "REPO_UNSAFE_PATH"),  # a folder
        ("huge.md", "REPO_DOC_TOO_LARGE"),
        ("", "REPO_UNSAFE_PATH"),
    ],
)
def test_read_text_refuses(tree: Path, rel: str, code: str) -> None:
    (tree.parent / "outside.md").write_text("secret")
    with pytest.raises(RepoDocumentError) as info:
        read_text(tree, rel, MAX_DOC)
    assert info.value.code == code


def test_notebook_to_text(tree: Path) -> None:
    text = read_text(tree, "guide/tutorial.ipynb", MAX_DOC)
    assert text == (
        "# Tutorial\n\nLoad the data.\n\n"
        "```python\nimport json\nprint(json.dumps({}))\n```\n\n"
        "````python\ns = '''\n```\n'''\n````\n"
    )
    assert "OUTPUT-SHOULD-VANISH" not in text and "RAW-SHOULD-VANISH" not in text


def test_notebook_language_and_old_format() -> None:
    julia = {"metadata": {"language_info": {"name": "Julia"}}, "cells": [
        {"cell_type": "code", "source": "println(1)"}]}  # fmt: skip
    assert notebook_text(json.dumps(julia)) == "```julia\nprintln(1)\n```\n"
    v3 = {"worksheets": [{"cells": [{"cell_type": "code", "input": ["x = 1"]}]}]}
    assert notebook_text(json.dumps(v3)) == "```python\nx = 1\n```\n"


@pytest.mark.parametrize("data", ["{not json", "[]", '{"cells": 3}', '"text"'])
def test_invalid_notebook_is_a_clear_error(tmp_path: Path, data: str) -> None:
    (tmp_path / "bad.ipynb").write_text(data)
    with pytest.raises(RepoDocumentError, match=r"bad\.ipynb is not a valid notebook") as info:
        read_text(tmp_path, "bad.ipynb", MAX_DOC)
    assert info.value.code == "REPO_NOTEBOOK_INVALID"


def test_a_nul_byte_past_the_sniffed_start_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_bytes(b"# Guide\n\n" + b"x" * 9000 + b"\0tail\n")
    found = scan(tmp_path, max_doc_bytes=100_000)
    assert [f.path for f in found.files if f.is_documentation] == ["guide.md"]
    text = read_text(tmp_path, "guide.md", 100_000)
    assert "\0" not in text and text.endswith("xtail\n")
