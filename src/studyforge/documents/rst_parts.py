"""Pieces of reStructuredText read apart from the body: the directive names by kind, a
directive's arguments split from its content, and tables (grid, simple, list, CSV) as rows."""

from __future__ import annotations

import csv
import itertools
import re

CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "doctest", "testcode", "testoutput",
                   "productionlist", "parsed-literal", "prompt"}  # fmt: skip
LABELS = {"note": "Note:", "warning": "Warning:", "tip": "Tip:", "hint": "Hint:",
          "important": "Important:", "caution": "Caution:", "attention": "Attention:",
          "danger": "Danger:", "error": "Error:", "seealso": "See also:", "todo": "To do:",
          "impl-detail": "CPython implementation detail:"}  # fmt: skip
VERSIONS = {"versionadded": "New in version", "versionchanged": "Changed in version",
            "deprecated": "Deprecated since version",
            "deprecated-removed": "Deprecated since version"}  # fmt: skip
DROP = {"toctree", "index", "module", "currentmodule", "moduleauthor", "sectionauthor",
        "codeauthor", "image", "raw", "include", "literalinclude", "contents", "sectnum",
        "tabularcolumns", "meta", "default-role", "role", "testsetup", "testcleanup", "program",
        "autosummary", "automodule", "autoclass", "autofunction", "automethod", "audit-event",
        "opcode", "highlight", "target-notes", "header", "footer", "title", "unicode",
        "replace", "date", "spelling"}  # fmt: skip
TITLED_DIRECTIVES = {"topic", "sidebar", "admonition", "rubric", "table", "csv-table",
                     "list-table", "figure", "centered"}  # fmt: skip
API = {"function", "class", "method", "attribute", "data", "exception", "decorator",
       "classmethod", "staticmethod", "coroutinefunction", "coroutinemethod", "abstractmethod",
       "property", "decoratormethod", "describe", "object", "option", "cmdoption", "envvar",
       "macro", "member", "type", "var", "struct", "enum", "enumerator", "pdbcommand",
       "event", "fixer", "2to3fixer", "monitoring-event"}  # fmt: skip
NOT_PYTHON = {"option", "cmdoption", "envvar", "describe", "object", "pdbcommand", "event",
              "fixer", "2to3fixer", "monitoring-event"}  # fmt: skip

_OPTION = re.compile(r"^:[\w-]+:(?:\s|$)")
_GRID = re.compile(r"^\+[-=+]+\+\s*$")
_SIMPLE = re.compile(r"^=+(?: +=+)+\s*$")

Rows = list[list[str]]


def dedent(lines: list[str]) -> list[str]:
    """The lines with the indent they all share (blank lines aside) removed."""
    depth = min((len(x) - len(x.lstrip(" ")) for x in lines if x.strip()), default=0)
    return [x[depth:] for x in lines]


def split_directive(arg: str, body: list[str], mode: str) -> tuple[str, list[str]]:
    """A directive's arguments (for "lines", continued lines too; "content": none) and its
    content, options dropped."""
    args, k = [arg] if mode != "content" else [], 0
    content = [arg] if mode == "content" else []
    while mode == "lines" and k < len(body) and body[k].strip() and not _OPTION.match(body[k]):
        if args and args[-1].endswith("\\"):
            args[-1] = args[-1][:-1].rstrip() + " " + body[k].strip()
        else:
            args.append(body[k].strip())
        k += 1
    while k < len(body) and (_OPTION.match(body[k]) or (k and body[k].startswith(" "))):
        k += 1
    joined = "\n".join(a.rstrip("\\").strip() for a in args if a.strip())
    return joined, dedent(content + body[k:])


def grid_table(lines: list[str], i: int) -> tuple[Rows, int] | None:
    """The rows of a grid table starting at line `i` and the line after it; None if none."""
    if not _GRID.match(lines[i]):
        return None
    cuts = [k for k, ch in enumerate(lines[i].rstrip()) if ch == "+"]
    rows: Rows = []
    cells: Rows = [[] for _ in cuts[1:]]
    j = i + 1
    while j < len(lines) and lines[j][:1] in ("+", "|"):
        if _GRID.match(lines[j]):
            rows.append([" ".join(c) for c in cells])
            cells = [[] for _ in cuts[1:]]
        else:
            for k, (a, b) in enumerate(itertools.pairwise(cuts)):
                cells[k].append(lines[j][a + 1 : b].strip(" |"))
        j += 1
    return rows, j


def simple_table(lines: list[str], i: int) -> tuple[Rows, int] | None:
    """The rows of a simple table starting at line `i` and the line after it; None if none."""
    if not _SIMPLE.match(lines[i]):
        return None
    starts = [m.start() for m in re.finditer(r"=+", lines[i])]
    rows: Rows = []
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if _SIMPLE.match(line) or re.fullmatch(r"=+\s*", line):
            j += 1
            if j >= len(lines) or not lines[j].strip():
                break
            continue
        if line.strip() and not re.fullmatch(r"[-\s]+", line):
            cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
            if rows and not cells[0]:
                rows[-1] = [f"{x} {y}".strip() for x, y in zip(rows[-1], cells, strict=False)]
            else:
                rows.append(cells)
        j += 1
    return rows, j


def list_table(content: list[str]) -> Rows:
    """The rows of a `list-table` directive's content."""
    rows: Rows = []
    for line in content:
        stripped = line.strip()
        if line.startswith("* "):
            rows.append([])
            stripped = stripped[2:].strip()
        if stripped.startswith("- ") and rows:
            rows[-1].append(stripped[2:])
        elif stripped and rows and rows[-1]:
            rows[-1][-1] += " " + stripped
    return rows


def csv_table(content: list[str]) -> Rows:
    """The rows of a `csv-table` directive's content."""
    rows = csv.reader([x.strip() for x in content if x.strip()], skipinitialspace=True)
    return [list(r) for r in rows]
