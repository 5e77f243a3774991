"""A documentation repository made of real material (Python's own tutorial and HOWTOs, from
Debian's python3-doc, as reStructuredText), committed to Git and served by `git daemon` on
127.0.0.1; and the settings that let the pipeline clone from loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studyforge.config import Settings
from tests.conftest import make_settings
from tests.support.gitserve import git_daemon, make_repo

SOURCES = Path("/usr/share/doc/python3.11/html/_sources")
TUTORIAL = ["index", "appetite", "interpreter", "introduction", "controlflow",
            "datastructures", "modules", "errors", "classes"]  # fmt: skip
README = b"""# Python tutorial sample

A sample of Python's documentation, kept as a Git repository to build courses from.

Start with [the tutorial](docs/tutorial/index.rst); the [sorting HOWTO](docs/howto/sorting.rst)
shows one task in depth.

```python
print("Hello, world!")
```
"""
INDEX = b"""Python documentation sample
===========================

.. toctree::
   :maxdepth: 2

   tutorial/index
   howto/sorting
"""


def docs_files() -> dict[str, bytes]:
    """The repository's files: README, docs/ (tutorial, howto, faq), and some code."""
    if not SOURCES.is_dir():
        pytest.skip(f"{SOURCES} is missing: `make test` installs python3-doc")
    files = {"README.md": README, "docs/index.rst": INDEX,
             "src/sample/__init__.py": b'"""Not documentation."""\n'}  # fmt: skip
    for name in TUTORIAL:
        files[f"docs/tutorial/{name}.rst"] = (SOURCES / f"tutorial/{name}.rst.txt").read_bytes()
    files["docs/howto/sorting.rst"] = (SOURCES / "howto/sorting.rst.txt").read_bytes()
    files["docs/faq/general.rst"] = (SOURCES / "faq/general.rst.txt").read_bytes()
    return files


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`git://127.0.0.1:PORT/`, serving `pydocs` (the sample) and `tiny` (two pages)."""
    base = tmp_path_factory.mktemp("repos")
    make_repo(base / "pydocs", docs_files())
    make_repo(base / "tiny", {"README.md": b"# Tiny\n\nA tiny project with one guide.\n",
                              "docs/guide.md": b"# Guide\n\nUse the tool well.\n"})  # fmt: skip
    make_repo(base / "escaping", {"README.md": b"# Escaping\n"},
              links={"docs/secrets.md": "../../../etc/passwd"})  # fmt: skip
    with git_daemon(base) as port:
        yield f"git://127.0.0.1:{port}/"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Embedded-mode settings that may clone from 127.0.0.1."""
    return make_settings(tmp_path / "home", db_url, repo_allow_local=True)
