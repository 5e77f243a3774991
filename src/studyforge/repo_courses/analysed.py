"""One analysed document as stage 3 reads it: the stage-2 analysis dict, normalised.

`read_doc` turns a row of `analyzed_documents` (a plain dict) into a `Doc`; titles that are
code or paths fall back to a prose heading or the file name. `Doc.minutes` is the reading time
at the stated rates.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studyforge.ai.offline.terms import code_like, strip_numbering
from studyforge.repo_courses.doctype import LEVELS
from studyforge.repo_courses.structure import name_title

LEFT_OUT = ("changelog", "license", "contributing")  # history and terms: not lessons
LEADERS = ("tutorial", "howto")
LOOKUP = ("api", "reference")
WORDS_PER_MINUTE = 200  # reading prose
MINUTES_PER_EXAMPLE = 2  # reading and trying one code example (when `code_count` is known)
HANDS_ONEXTRA = 0.5  # tutorials/how-tos without a code count: +50% for doing the steps
EXT = re.compile(r"\.(?:rst|md|markdown|mdx|txt|adoc|asciidoc|ipynb|html?)$", re.I)


def _strings(value: object) -> list[str]:
    """A list of non-empty, whitespace-normalised strings from whatever the analysis held."""
    if not isinstance(value, list | tuple):
        return []
    return [" ".join(str(v).split()) for v in value if str(v).strip()]


def codeish(text: str) -> bool:
    """`code_like`, with version numbers ("Python 3.10") read as prose."""
    return code_like(re.sub(r"\b\d+(?:\.\d+)+\b", "1", text))


def _title(raw: object, headings: list[str], path: str) -> str:
    """The analysed title unless it is empty, code or a path; else the first heading that is
    prose; else the file name's words ("urllib3.request.rst" -> "Urllib3 request")."""
    for text in [str(raw or ""), *(h.split(" > ")[-1] for h in headings)]:
        title = strip_numbering(" ".join(text.split()))
        if title and not codeish(title) and "/" not in title and not EXT.search(title):
            return title
    return " ".join(re.sub(r"[._]+", " ", name_title(path)).split())


@dataclass(eq=False)
class Doc:
    """One analysed document, normalised (see `read_doc`)."""

    id: str
    path: str
    title: str
    doc_type: str
    level: int  # index into LEVELS
    concepts: list[str]
    objectives: list[str]
    summary: str
    prerequisites: list[str]
    words: int
    code_count: int | None
    links: list[str]
    toctree: list[str]
    stem: str = field(init=False)  # the path without its extension
    folder: str = field(init=False)
    index_page: bool = field(init=False)  # an index.* or README.* page
    ideas: frozenset[str] = field(init=False)  # key concepts, case-folded

    def __post_init__(self) -> None:
        self.stem = EXT.sub("", self.path)
        self.folder = posixpath.dirname(self.path)
        self.index_page = posixpath.basename(self.stem).lower() in ("index", "readme")
        self.ideas = frozenset(c.casefold() for c in self.concepts)

    @property
    def lookup(self) -> bool:
        return self.doc_type in LOOKUP

    @property
    def minutes(self) -> float:
        """Reading time at the module's stated rates."""
        reading = self.words / WORDS_PER_MINUTE
        if self.code_count is not None:
            return reading + self.code_count * MINUTES_PER_EXAMPLE
        return reading * (1 + HANDS_ONEXTRA) if self.doc_type in LEADERS else reading


def read_doc(raw: Mapping[str, Any], default_level: str) -> Doc:
    """A stage-2 analysis dict as a `Doc`; missing lists are empty, an unknown level is
    `default_level`, an unknown type "other". An optional int `code_count` sharpens the time."""
    path = str(raw.get("file_path") or "").strip().removeprefix("./")
    level = str(raw.get("complexity_level") or "").lower()
    code = raw.get("code_count")
    return Doc(
        id=str(raw["id"]),
        path=path,
        title=_title(raw.get("title"), _strings(raw.get("headings")), path),
        doc_type=str(raw.get("doc_type") or "other").lower(),
        level=LEVELS.index(level if level in LEVELS else default_level),
        concepts=[c for c in _strings(raw.get("key_concepts")) if not codeish(c)],
        objectives=[o for o in _strings(raw.get("learning_objectives")) if not codeish(o)],
        summary=" ".join(str(raw.get("summary") or "").split()),
        prerequisites=_strings(raw.get("prerequisites")),
        words=max(0, int(raw.get("word_count") or 0)),
        code_count=code if isinstance(code, int) and not isinstance(code, bool) else None,
        links=_strings(raw.get("links")),
        toctree=_strings(raw.get("toctree")),
    )
