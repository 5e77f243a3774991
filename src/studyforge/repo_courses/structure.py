"""One repository document read into its structure: title, blocks, sections, code, links.

`parse(path, text, doc_format)` reuses the project's readers (`documents.markup` for Markdown,
reStructuredText and HTML) and adds what a course builder needs from the raw text that those
readers drop on purpose: `.. toctree::` entries, `:doc:`/`:ref:` targets, Markdown links and
the names of directives (autodoc and friends). AsciiDoc has a small reader of its own
(`repo_courses.asciidoc`); plain text is read as paragraphs.

Links are repository-relative POSIX paths resolved against the document's folder, without
their `#fragment`; a link that leaves the repository or has a URL scheme is not kept.
Markdown and AsciiDoc links keep the extension they were written with; reST `:doc:` targets
and toctree entries have none (Sphinx names documents without one), so the caller matches
them to files. A Sphinx target starting with "/" is read from the documentation root: the
nearest folder of the path named docs/doc/documentation (and its source/ folder), else the
repository root.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote

from studyforge.ai.offline.terms import code_like
from studyforge.documents.blocks import Block, paragraphs
from studyforge.documents.markup import html_blocks, markdown_blocks, rst_blocks
from studyforge.repo_courses.asciidoc import asciidoc_blocks, asciidoc_targets

FORMATS = ("markdown", "rst", "asciidoc", "text", "html", "notebook")
_DOC_ROOTS = ("docs", "doc", "documentation", "Documentation")
_SCHEME = re.compile(r"^(?:[a-zA-Z][\w+.-]*:|//)")
_IMAGE = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|ico|bmp)$", re.I)
_SOURCE_EXT = re.compile(r"\.(?:rst|md|markdown|txt|adoc|asciidoc|ipynb)$", re.I)
_CUE_BEFORE, _CUE_AFTER = 200, 120  # characters of a link's sentence kept, at most


@dataclass
class Section:
    """A heading and the blocks under it, up to the next heading (subsections apart)."""

    heading: str  # the heading path "A > B"; "" for text before the first heading
    title: str  # the heading's own text
    level: int  # depth in the outline: 1 = top, 0 = text before the first heading
    blocks: list[Block] = field(default_factory=list)


@dataclass
class DocStructure:
    """What `parse` found in one document (see the module docstring for link rules)."""

    path: str
    doc_format: str
    title: str
    blocks: list[Block]
    sections: list[Section]
    code_blocks: list[Block]  # kind "code", each with its `lang` when the source says
    links: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # :ref: labels defined in other documents
    toctree: list[str] = field(default_factory=list)  # globs kept as patterns ("api/*")
    link_text: dict[str, str] = field(default_factory=dict)  # path -> the link's own words
    link_context: dict[str, str] = field(default_factory=dict)  # path -> source around it
    directives: dict[str, int] = field(default_factory=dict)  # reST/MyST name -> count

    @property
    def code_count(self) -> int:
        """How many code blocks the document holds."""
        return len(self.code_blocks)


def doc_root(path: str) -> str:
    """The folder Sphinx-style absolute targets ("/quickstart") are read from."""
    parts = posixpath.dirname(path).split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in _DOC_ROOTS:
            keep = i + 2 if i + 1 < len(parts) and parts[i + 1] == "source" else i + 1
            return "/".join(parts[:keep])
    return ""


def resolve(path: str, target: str, sphinx: bool = False) -> str | None:
    """`target` as written in the document at `path`, as a repository-relative path; None
    for URLs, in-page anchors and paths that leave the repository."""
    target = unquote(target.strip().split("#")[0].split("?")[0])
    if not target or _SCHEME.match(target):
        return None
    if target.startswith("/"):
        base, target = (doc_root(path) if sphinx else ""), target.lstrip("/")
    else:
        base = posixpath.dirname(path)
    joined = posixpath.normpath(posixpath.join(base, target))
    return None if joined.startswith("..") or joined == "." else joined


def name_title(path: str) -> str:
    """A title from a file name: "docs/getting-started.md" -> "Getting started"; an index
    or README is named by its folder."""
    parts = [p for p in path.split("/") if p]
    stem = _SOURCE_EXT.sub("", parts[-1] if parts else path) if parts else "document"
    if stem.lower() in ("index", "readme") and len(parts) > 1:
        stem = parts[-2]
    words = re.sub(r"^\d+[-_. ]+", "", stem).replace("-", " ").replace("_", " ").split()
    text = " ".join(words) or stem
    return text[:1].upper() + text[1:]


def _words_of(target: str) -> str:
    """The words of a Sphinx target as a reader would say them ("tutorial/index" ->
    "tutorial", "notes-on-proxies" -> "notes on proxies")."""
    parts = [p for p in target.strip("/").split("/") if p]
    name = parts[-1] if parts else target
    if name == "index" and len(parts) > 1:
        name = parts[-2]
    return re.sub(r"[-_]+", " ", name).strip()


def _around(text: str, start: int, end: int) -> str:
    """The sentence of the source a link stands in (for "read this first" cues)."""
    before = re.split(r"[.!?]\s|\n\s*\n", text[max(0, start - _CUE_BEFORE) : start])[-1]
    after = re.split(r"[.!?]\s|\n\s*\n", text[end : end + _CUE_AFTER])[0]
    return " ".join(f"{before} {text[start:end]} {after}".split())


class _Links:
    """Collects resolved links, their words and context; `links` is in order of first
    appearance in the source whichever scanner found them."""

    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text
        self.at: dict[str, int] = {}
        self.words: dict[str, str] = {}
        self.context: dict[str, str] = {}

    @property
    def links(self) -> list[str]:
        return sorted(self.at, key=self.at.__getitem__)

    def add(self, target: str, words: str | None, span: tuple[int, int], sphinx: bool) -> None:
        found = resolve(self.path, target, sphinx)
        if found is None or _IMAGE.search(found) or found == self.path:
            return
        if found not in self.at or span[0] < self.at[found]:
            self.at[found] = span[0]
            self.words[found] = (words or "").strip() or self.words.get(found, "")
            self.context[found] = _around(self.text, *span)


# --- reStructuredText: toctree, :doc:, :ref:, directive names --------------------------------

_RST_DIRECTIVE = re.compile(r"^([ \t]*)\.\.[ \t]+([\w:.+-]+)::(.*)$", re.M)
_RST_ROLE = re.compile(r":(doc|ref|any):`([^`]+)`")
_TITLED = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_RST_LABEL = re.compile(r"^\.\.\s+_([^:`]+):\s*$", re.M)
_RST_INCLUDE = re.compile(r"^[ \t]*\.\.[ \t]+include::[ \t]+(\S+)", re.M)


def _toctree_entries(body: list[str], path: str, sphinx: bool = True) -> list[str]:
    """A toctree's entries (options skipped, "Title <path>" read, URLs and `self` dropped),
    resolved and without extension."""
    out: list[str] = []
    for line in body:
        entry = line.strip()
        if not entry or entry.startswith(":") or entry == "self" or entry.startswith("---"):
            continue
        titled = _TITLED.match(entry)
        target = titled.group(2) if titled else entry
        found = resolve(path, target, sphinx)
        if found is not None:
            out.append(_SOURCE_EXT.sub("", found))
    return out


def _rst_scan(path: str, text: str, links: _Links) -> tuple[list[str], list[str], Counter[str]]:
    """Toctree entries, :ref: labels and directive counts from raw reST; fills `links`."""
    lines = text.split("\n")
    toctree: list[str] = []
    names: Counter[str] = Counter()
    for match in _RST_DIRECTIVE.finditer(text):
        name = match.group(2).lower().split(":")[-1]
        names[name] += 1
        if name == "toctree":
            first = text.count("\n", 0, match.start()) + 1
            indent, body = len(match.group(1)), []
            for line in lines[first:]:
                if line.strip() and len(line) - len(line.lstrip()) <= indent:
                    break
                body.append(line)
            toctree.extend(_toctree_entries(body, path))
    own = {m.group(1).strip().lower() for m in _RST_LABEL.finditer(text)}
    refs: list[str] = []
    for match in _RST_ROLE.finditer(text):
        titled = _TITLED.match(match.group(2))
        words, target = (titled.group(1), titled.group(2)) if titled else (None, match.group(2))
        if match.group(1) == "doc":
            links.add(target, words, match.span(), sphinx=True)
        elif target.lower() not in own:
            refs.append(target.strip())
    for match in _RST_INCLUDE.finditer(text):
        links.add(match.group(1), None, match.span(), sphinx=True)
    return toctree, list(dict.fromkeys(refs)), names


def _rst_readable(text: str, own_labels: set[str]) -> str:
    """Untitled :doc: and foreign :ref: roles given the words of their target, so the prose
    reads "an overview with the quickstart" rather than a bare "tutorial/index"."""

    def titled(match: re.Match[str]) -> str:
        role, body = match.group(1), match.group(2)
        if _TITLED.match(body) or (role != "doc" and body.lower() in own_labels):
            return match.group(0)
        return f":{role}:`{_words_of(body)} <{body}>`"

    return _RST_ROLE.sub(titled, text)


# --- Markdown (and notebooks): links, MyST directives -----------------------------------------

_MD_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*)?\)")
_MD_REFDEF = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_MD_HREF = re.compile(r"<a\s[^>]*href=[\"']([^\"']+)[\"']", re.I)
_MYST_ROLE = re.compile(r"\{(doc|ref)\}`([^`]+)`")
_MYST_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})\{([\w:.-]+)\}\s*(.*)$")
_ANY_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MKDOCSTRINGS = re.compile(r"^:::\s+[\w.]+\s*$")
_MYST_KEEP_AS_PROSE = {"note", "warning", "tip", "hint", "important", "caution", "attention",
                       "danger", "error", "seealso", "admonition", "topic", "sidebar"}  # fmt: skip


def _strip_code(text: str) -> str:
    """The text with fenced code and code spans blanked (same length), so no link or
    directive is read from an example."""
    out, fence = [], ""
    for line in text.split("\n"):
        opened = _ANY_FENCE.match(line)
        if fence:
            fence = "" if line.strip().startswith(fence) and not line.strip(fence[0]) else fence
            line = " " * len(line)
        elif opened and not _MYST_FENCE.match(line):
            fence, line = opened.group(1), " " * len(line)
        out.append(line)
    return re.sub(r"(`+)[^`\n]+?\1", lambda m: " " * len(m.group()), "\n".join(out))


def _myst(path: str, text: str) -> tuple[str, list[str], Counter[str]]:
    """MyST directives: toctrees read and removed, autodoc/structure blocks removed,
    admonition bodies kept as prose, `{code-block} lang` made an ordinary fence."""
    lines, out, toctree, names = text.split("\n"), [], [], Counter[str]()
    i = 0
    while i < len(lines):
        match = _MYST_FENCE.match(lines[i])
        if not match and _MKDOCSTRINGS.match(lines[i]):
            names["mkdocstrings"] += 1
            i += 1
            continue
        if not match:
            out.append(lines[i])
            i += 1
            continue
        fence, name = match.group(1), match.group(2).lower()
        end = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == fence), len(lines))
        body, names[name] = lines[i + 1 : end], names[name] + 1
        if name == "toctree":
            toctree.extend(_toctree_entries(body, path))
        elif name in ("code-block", "code", "sourcecode"):
            code = [x for x in body if not re.match(r"^:[\w-]+:", x)]
            out.extend([f"```{match.group(3).strip()}", *code, "```"])
        elif name in _MYST_KEEP_AS_PROSE:
            out.extend(["", *[x for x in body if not re.match(r"^:[\w-]+:", x)], ""])
        i = end + 1
    return "\n".join(out), toctree, names


def _md_shortcuts(text: str) -> str:
    """Shortcut reference links ("[WSGI]" with a "[WSGI]: url" line) made collapsed ones
    ("[WSGI][]"), which `markdown_blocks` reads as words rather than keeping the brackets."""
    labels = {m.group(1).lower() for m in _MD_REFDEF.finditer(text)}
    bare = _strip_code(text)

    def collapse(match: re.Match[str]) -> str:
        known = match.group(1).lower() in labels and bare[match.start()] == "["
        return f"{match.group(0)}[]" if known else match.group(0)

    return re.sub(r"(?<![\]!\\])\[([^\[\]\n]+)\](?![(\[:])", collapse, text) if labels else text


def _md_scan(path: str, text: str, links: _Links) -> list[str]:
    """Markdown links (inline, reference definitions, <a href>, MyST {doc}); MyST {ref}
    labels are returned."""
    bare = _strip_code(text)
    for match in _MD_LINK.finditer(bare):
        if not match.group(1):
            links.add(match.group(3), match.group(2), match.span(), sphinx=False)
    for match in _MD_REFDEF.finditer(bare):
        links.add(match.group(2), None, match.span(), sphinx=False)
    for match in _MD_HREF.finditer(bare):
        links.add(match.group(1), None, match.span(), sphinx=False)
    refs: list[str] = []
    for match in _MYST_ROLE.finditer(text):
        titled = _TITLED.match(match.group(2))
        words, target = (titled.group(1), titled.group(2)) if titled else (None, match.group(2))
        if match.group(1) == "doc":
            links.add(target, words, match.span(), sphinx=True)
        else:
            refs.append(target.strip())
    return list(dict.fromkeys(refs))


def _md_level_one(text: str) -> str | None:
    """The text of the first level-1 Markdown heading (`# X` or `X` over `===`), if any."""
    lines = _strip_code(text).split("\n")
    for i, line in enumerate(lines):
        setext = i and lines[i - 1].strip() and re.match(r"^ {0,3}=+\s*$", line)
        if re.match(r"^ {0,3}#(?:\s|$)", line) or setext:
            raw = f"{lines[i - 1]}\n{line}" if setext else line
            found = [b.text for b in markdown_blocks(raw) if b.kind == "heading"]
            if found:
                return found[0]
    return None


# --- the document as a whole -----------------------------------------------------------------


def sections_of(blocks: list[Block]) -> list[Section]:
    """The blocks grouped under their headings, in order."""
    sections: list[Section] = []
    for block in blocks:
        if block.kind == "heading":
            path = block.heading or block.text
            sections.append(Section(path, block.text, path.count(" > ") + 1))
        elif not sections:
            sections.append(Section("", "", 0, [block]))
        else:
            sections[-1].blocks.append(block)
    return sections


def _title(path: str, blocks: list[Block], level_one: str | None) -> str:
    """The first level-1 heading, else the first heading, else the file name's words; a
    heading that reads as code ("$ click_") gives way to the file name."""
    heads = [b for b in blocks if b.kind == "heading"]
    tops = [b.text for b in heads if " > " not in (b.heading or "")]
    first = level_one or (tops[0] if tops else heads[0].text if heads else None)
    return first if first and not code_like(first) else name_title(path)


def parse(path: str, text: str, doc_format: str) -> DocStructure:
    """Read one repository document (`doc_format` one of FORMATS) into its structure."""
    if doc_format not in FORMATS:
        raise ValueError(f"unknown document format: {doc_format}")
    text = text.replace("\r\n", "\n")
    links = _Links(path, text)
    toctree: list[str] = []
    refs: list[str] = []
    names: Counter[str] = Counter()
    level_one: str | None = None
    if doc_format == "rst":
        toctree, refs, names = _rst_scan(path, text, links)
        own = {m.group(1).strip().lower() for m in _RST_LABEL.finditer(text)}
        blocks = rst_blocks(_rst_readable(text, own))
    elif doc_format in ("markdown", "notebook"):
        body, toctree, names = _myst(path, text)
        refs = _md_scan(path, text, links)
        level_one = _md_level_one(body)
        blocks = markdown_blocks(_md_shortcuts(body))
    elif doc_format == "asciidoc":
        for target, words, span in asciidoc_targets(text):
            links.add(target, words, span, sphinx=False)
        blocks = asciidoc_blocks(text)
    elif doc_format == "html":
        for match in _MD_HREF.finditer(text):
            links.add(match.group(1), None, match.span(), sphinx=False)
        blocks = html_blocks(text)
    else:
        blocks = [Block(p) for p in paragraphs(text)]
    return DocStructure(
        path=path, doc_format=doc_format, title=_title(path, blocks, level_one),
        blocks=blocks, sections=sections_of(blocks),
        code_blocks=[b for b in blocks if b.kind == "code"], links=links.links, refs=refs,
        toctree=list(dict.fromkeys(toctree)), link_text=links.words,
        link_context=links.context, directives=dict(names),
    )  # fmt: skip
