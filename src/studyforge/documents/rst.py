"""reStructuredText with its structure: sections, paragraphs, lists, code, tables, directives."""

from __future__ import annotations

import re
from collections.abc import Callable

from studyforge.documents.blocks import Block, HeadingPath, ListItems, clean, clean_code
from studyforge.documents.rst_parts import (
    API,
    CODE_DIRECTIVES,
    DROP,
    LABELS,
    NOT_PYTHON,
    TITLED_DIRECTIVES,
    VERSIONS,
    csv_table,
    dedent,
    grid_table,
    list_table,
    simple_table,
    split_directive,
)

_ADORN = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^\.\.\s+(?:\|[^|]+\|\s+)?([\w:.+-]+)\s?::(?:\s+(.*))?$")
_BULLET = re.compile(r"^([-*+\u2022\u2023\u2043])(?:\s+|$)")
_ENUM = re.compile(r"^\(?(\d+|#|[a-zA-Z])[.)]\s+")
_FIELD = re.compile(r"^:([^:`\s][^:`]*):(?:\s+(.*))?$")
_ROLE = re.compile(r":([\w.+-]+(?::[\w.+-]+)?):`([^`]+)`")
_TITLED = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
# A reference to another file's section: Sphinx would show that section's title, which this
# file does not hold. "(see typesmapping)" is dropped; elsewhere the label stays as a word.
UNRESOLVED = "\x01"
_SEE_UNRESOLVED = re.compile(r"\s*\((?:see(?: also)?|cf\.)\s+\x01[^()]*\)", re.I)
# Cross-reference roles that Sphinx shows as code.
_CODE_ROLES = {"func", "meth", "class", "exc", "mod", "attr", "data", "const", "obj", "type",
               "member", "macro", "var", "option", "keyword", "samp", "file", "envvar",
               "program", "command", "makevar", "token", "any", "code", "literal", "cfunc",
               "cmacro", "ctype", "cdata", "func-meth", "enum", "struct", "expr"}  # fmt: skip
_LANGS = {"python3": "python", "py": "python", "py3": "python", "ipython": "python",
          "default": None, "none": None, "text": None, "guess": None, "": None,
          "shell-session": "console", "sh": "bash", "shell": "bash"}  # fmt: skip


def code_lang(lang: str | None, code: str) -> str | None:
    """A normalised language name ("python3" → "python"), "pycon" for `>>>` sessions."""
    name = (lang or "").strip().lower().split(" ")[0]
    found = _LANGS.get(name, name)
    if found in (None, "python") and code.lstrip().startswith(">>>"):
        return "pycon"
    return found


def _indented_end(lines: list[str], i: int) -> int:
    """The end of the indented block starting at `i` (trailing blank lines excluded)."""
    j = end = i
    while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" ")):
        j += 1
        if lines[j - 1].strip():
            end = j
    return end


def _role(name: str, body: str, labels: dict[str, str]) -> str:
    name = name.split(":")[-1]
    titled = _TITLED.match(body)
    title, target = (titled.group(1), titled.group(2)) if titled else (None, body)
    if name in ("rfc", "pep"):
        return title or f"{name.upper()} {target.split('#')[0]}"
    if name in ("ref", "doc", "numref") and not title:
        return labels.get(target.lower(), UNRESOLVED + target)
    if name not in _CODE_ROLES:
        return (title or target).replace("&", "").replace("-->", "\u2192")
    if title is None:
        target = target.lstrip("!")
        if target.startswith("~"):
            target = target[1:].rsplit(".", 1)[-1]
        if name in ("func", "meth") and not target.endswith(")"):
            target += "()"
    return f"`{title or target}`"


def inline(text: str, labels: dict[str, str], subs: dict[str, str]) -> str:
    """RST inline markup as plain text: literals in `backticks`, roles and links as words."""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"\|([^|\s][^|]*?)\|(?:__?)?", lambda m: subs.get(m.group(1), m.group(1)), text)
    text = re.sub(r"``(.+?)``", lambda m: keep(f"`{m.group(1)}`"), " ".join(clean(text).split()))
    text = _ROLE.sub(lambda m: keep(_role(m.group(1), m.group(2), labels)), text)
    text = re.sub(r"`([^`<]*?)\s*<[^`>]+>`__?", lambda m: keep(m.group(1)), text)
    text = re.sub(r"`([^`]+)`(?:__?)?", lambda m: keep(m.group(1)), text)
    text = re.sub(r"\s?\[(?:#[\w-]*|\d+|\*|[\w.-]+)\]_", "", text)
    text = re.sub(r"(?<![\w*\\])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w`])([A-Za-z0-9][\w-]*?)__?(?![\w])", r"\1", text)
    text = text.replace("\\ ", "").replace(" --- ", " \u2014 ").replace("---", "\u2014")
    text = re.sub(r"\\(.)", r"\1", text.replace(" -- ", " \u2013 "))
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return _SEE_UNRESOLVED.sub("", text).replace(UNRESOLVED, "").strip()


def _prescan(lines: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Section titles of `.. _label:` targets, and `|name| replace::` substitutions."""
    labels: dict[str, str] = {}
    subs: dict[str, str] = {}
    for i, line in enumerate(lines):
        sub = re.match(r"^\.\.\s+\|([^|]+)\|\s+replace::\s+(.*)$", line)
        if sub:
            subs[sub.group(1)] = sub.group(2).strip()
        target = re.match(r"^\.\.\s+_([^:`]+):\s*$", line)
        if not target:
            continue
        rest = [x for x in lines[i + 1 : i + 8] if x.strip() and not x.startswith(".. ")]
        if len(rest) > 1 and _ADORN.match(rest[0]) and not _ADORN.match(rest[1]):
            rest = rest[1:]
        if len(rest) > 1 and _ADORN.match(rest[1]) and not _ADORN.match(rest[0]):
            labels[target.group(1).strip().lower()] = rest[0].strip()
    for label, title in labels.items():
        labels[label] = inline(title, {}, subs).replace("`", "")
    return labels, subs


class _Rst(ListItems):
    def __init__(self, lines: list[str]) -> None:
        self.blocks: list[Block] = []
        self.headings = HeadingPath()
        self.styles: list[tuple[str, bool]] = []
        self.lang: str | None = None
        self.depth = 0
        self.labels, self.subs = _prescan(lines)

    def emit(self, kind: str, text: str, lang: str | None = None) -> None:
        if kind == "code":
            text = clean_code(text)
            lang = code_lang(lang, text)
        elif kind == "prose":
            text = self.inline(text)
        if text.strip():
            self.blocks.append(Block(text, None, self.headings.path(), kind, lang))

    def path(self) -> str | None:
        return self.headings.path()

    def inline(self, text: str) -> str:
        return inline(text, self.labels, self.subs)

    def parse(self, lines: list[str], top: bool = False) -> list[Block]:
        """Parse a body of (dedented) lines into blocks; returns the blocks it added."""
        start, i = len(self.blocks), 0
        handlers: list[Callable[[list[str], int], int | None]] = [
            self._explicit, self._table, self._list, self._field,
            self._doctest, self._paragraph,
        ]  # fmt: skip
        if top:
            handlers.insert(0, self._section)
        self.depth += 1
        if self.depth > 40:  # deeper nesting is read as one paragraph
            self.emit("prose", " ".join(lines))
            lines = []
        while i < len(lines):
            if not lines[i].strip():
                i += 1
            elif lines[i].startswith(" "):  # a block quote
                end = _indented_end(lines, i)
                self.parse(dedent(lines[i:end]))
                i = end
            else:
                i = next(j for j in (h(lines, i) for h in handlers) if j is not None)
        self.depth -= 1
        return self.blocks[start:]

    def _section(self, lines: list[str], i: int) -> int | None:
        line, n = lines[i], len(lines)
        over = _ADORN.match(line) and i + 2 < n and lines[i + 1].strip()
        if over and lines[i + 2].strip()[:1] == line.strip()[0] and _ADORN.match(lines[i + 2]):
            return self._title(lines[i + 1], (line.strip()[0], True), i + 3)
        if _ADORN.match(line) and len(line.strip()) >= 4 and (i + 1 >= n or not lines[i + 1]):
            return i + 1  # a transition
        under = i + 1 < n and not _ADORN.match(line) and _ADORN.match(lines[i + 1])
        if under and len(lines[i + 1].strip()) >= min(len(line.strip()), 4):
            return self._title(line, (lines[i + 1].strip()[0], False), i + 2)
        return None

    def _title(self, title: str, style: tuple[str, bool], after: int) -> int:
        if style not in self.styles:
            self.styles.append(style)
        text = self.inline(title).replace("`", "")
        self.headings.push(self.styles.index(style) + 1, text)
        self.blocks.append(Block(text, None, self.headings.path(), "heading"))
        return after

    def _explicit(self, lines: list[str], i: int) -> int | None:
        line = lines[i]
        if not re.match(r"^\.\.(\s|$)", line):
            return None
        end = _indented_end(lines, i + 1)
        body = dedent(lines[i + 1 : end])
        directive = _DIRECTIVE.match(line)
        footnote = re.match(r"^\.\.\s+\[[^\]]+\]\s+(.*)$", line)
        if directive and not re.match(r"^\.\.\s+\|", line):
            self._directive(directive.group(1), directive.group(2) or "", body)
        elif footnote:
            self.emit("prose", " ".join([footnote.group(1), *body]))
        return end  # targets, substitutions and comments are dropped

    def _directive(self, full: str, arg: str, body: list[str]) -> None:
        full = full.lower()
        name = full.split(":")[-1]
        many = name in API or name in VERSIONS
        mode = "content" if name in LABELS else "lines" if many else "line"
        args, content = split_directive(arg, body, mode)
        if name in CODE_DIRECTIVES:
            lang = "pycon" if name == "doctest" else args.split(" ")[0] or self.lang
            self.emit("code", "\n".join(content), lang)
        elif name == "highlight":
            self.lang = args.split(" ")[0] or None
        elif name in LABELS or name in VERSIONS:
            self._admonition(name, args, content)
        elif name in API:
            python = (":" not in full or full.startswith("py:")) and name not in NOT_PYTHON
            self.emit("code", args, "python" if python else None)
            self.parse(content)
        elif name in TITLED_DIRECTIVES:
            self._titled(name, args, content)
        elif name not in DROP:
            self.parse(content)

    def _admonition(self, name: str, args: str, content: list[str]) -> None:
        if name in VERSIONS:
            version, _, rest = args.replace("\n", " ").partition(" ")
            label = f"{VERSIONS[name]} {version}:"
            content = [rest, "", *content] if rest.strip() else content
        else:
            label = LABELS[name]
        added = self.parse(content)
        if added and added[0].kind == "prose":
            added[0].text = f"{label} {added[0].text}"
        else:
            where = len(self.blocks) - len(added)
            self.blocks.insert(where, Block(label[:-1] + ".", None, self.path()))

    def _titled(self, name: str, args: str, content: list[str]) -> None:
        if args.strip() and name != "figure":
            self.emit("prose", args.replace("\n", " "))
        if name == "list-table":
            self._table_rows(list_table(content))
        elif name == "csv-table":
            self._table_rows(csv_table(content))
        else:
            self.parse(content)

    def _table_rows(self, rows: list[list[str]]) -> None:
        lines = [" | ".join(c for c in (self.inline(x) for x in row) if c) for row in rows]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(Block(text, None, self.headings.path(), "table"))

    def _table(self, lines: list[str], i: int) -> int | None:
        found = grid_table(lines, i) or simple_table(lines, i)
        if found is None:
            return None
        self._table_rows(found[0])
        return found[1]

    def _list(self, lines: list[str], i: int) -> int | None:
        first = _BULLET.match(lines[i]) or _ENUM.match(lines[i])
        if not first:
            return None
        pattern = _BULLET if first.re is _BULLET else _ENUM
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if after.strip() and not after.startswith(" ") and not pattern.match(after):
            return None
        items: list[str] = []
        count = 0
        while i < len(lines) and (match := pattern.match(lines[i])):
            count += 1
            end = _indented_end(lines, i + 1)
            body = [lines[i][match.end() :], *dedent(lines[i + 1 : end])]
            number = match.group(1)
            marker = "- " if pattern is _BULLET else f"{number if number != '#' else count}. "
            items = self._item(marker, body, items)
            i = end
            while i < len(lines) and not lines[i].strip():
                i += 1
        self._flush_list(items)
        return i

    def _field(self, lines: list[str], i: int) -> int | None:
        match = _FIELD.match(lines[i])
        if not match:
            return None
        end = _indented_end(lines, i + 1)
        body = " ".join([match.group(2) or "", *[x.strip() for x in lines[i + 1 : end]]])
        self.emit("prose", f"{match.group(1)}: {body}")
        return end

    def _doctest(self, lines: list[str], i: int) -> int | None:
        if not lines[i].startswith(">>>"):
            return None
        end = i
        while end < len(lines) and lines[end].strip():
            end += 1
        self.emit("code", "\n".join(lines[i:end]), "pycon")
        return end

    def _paragraph(self, lines: list[str], i: int) -> int:
        end = i
        while end < len(lines) and lines[end].strip() and not lines[end].startswith(" "):
            end += 1
        if end == i + 1 < len(lines) and lines[end].startswith(" ") and lines[end].strip():
            return self._definition(lines, i)  # a definition list item
        text = "\n".join(lines[i:end]).rstrip()
        literal = text.endswith("::")
        if literal:
            text = text[:-2].rstrip() if text[-3:-2] in (" ", "\n", "") else text[:-1]
        self.emit("prose", text)
        j = end
        while literal and j < len(lines) and not lines[j].strip():
            j += 1
        if literal and j < len(lines) and lines[j].startswith(" "):
            block_end = _indented_end(lines, j)
            self.emit("code", "\n".join(lines[j:block_end]), self.lang)
            return block_end
        return end

    def _definition(self, lines: list[str], i: int) -> int:
        end = _indented_end(lines, i + 1)
        term = self.inline(lines[i].split(" : ")[0])
        added = self.parse(dedent(lines[i + 1 : end]))
        if added and added[0].kind == "prose":
            added[0].text = f"{term.rstrip(':')}: {added[0].text}"
        else:
            self.blocks.insert(len(self.blocks) - len(added), Block(term, None, self.path()))
        return end


def rst_blocks(text: str) -> list[Block]:
    """reStructuredText as blocks: sections by adornment, code, lists, tables, admonitions."""
    lines = [line.rstrip().expandtabs(8) for line in text.replace("\r\n", "\n").split("\n")]
    parser = _Rst(lines)
    parser.parse(lines, top=True)
    return parser.blocks
