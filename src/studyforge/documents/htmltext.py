"""HTML with its structure: headings, code, lists and tables; scripts and page chrome dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from studyforge.documents.blocks import Block, HeadingPath, clean_code
from studyforge.documents.rst import code_lang

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr", "param", "keygen"}  # fmt: skip
_SKIP = {"script", "style", "template", "noscript", "svg", "math", "title", "iframe", "object",
         "canvas", "select", "button", "nav", "head"}  # fmt: skip
_CHROME = {"sphinxsidebar", "related", "headerlink", "footer", "mobile-nav", "section-number",
           "sphinxsidebarwrapper", "skip-link", "breadcrumbs", "wy-nav-side", "rst-footer-buttons",
           "toctree-wrapper", "navbar", "sidebar-drawer", "visually-hidden", "sr-only"}  # fmt: skip
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search"}
_FOREIGN_END = {"b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt",
                "em", "embed", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "menu",
                "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup",
                "table", "tt", "u", "ul", "var", "main", "article", "section"}  # fmt: skip
_HEAD_TAGS = {"title", "meta", "link", "style", "script", "base", "noscript", "template", "head"}
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "aside", "blockquote", "figure",
               "figcaption", "address", "center", "form", "fieldset", "details", "summary", "dl",
               "dt", "dd", "ul", "ol", "li", "table", "tr", "td", "th", "pre", "hr", "body",
               "h1", "h2", "h3", "h4", "h5", "h6", "caption", "header", "footer"}  # fmt: skip
_CLOSES = {"li": ("li", ("ul", "ol")), "dt": ("dt dd", ("dl",)), "dd": ("dt dd", ("dl",)),
           "tr": ("tr td th", ("table",)), "td": ("td th", ("tr", "table")),
           "th": ("td th", ("tr", "table")), "option": ("option", ("select",))}  # fmt: skip
_MAX_OPEN = 256
_LANG_CLASS = re.compile(r"^(?:language|lang|highlight|brush)-([\w+#.-]+)$")


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str], live: bool) -> None:
        self.tag, self.attrs, self.live = tag, attrs, live
        self.classes = set(attrs.get("class", "").split())


class _HTMLBlocks(HTMLParser):
    """HTML as blocks; tolerant of missing end tags, chrome and unclosed foreign content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.headings = HeadingPath()
        self.stack: list[_Element] = []
        self.skip: int | None = None  # index in `stack` of the element being skipped
        self.text: list[str] = []
        self.pre: list[str] | None = None
        self.lang: str | None = None
        self.items: list[str] = []
        self.item: list[str] = []
        self.row: list[str] | None = None
        self.rows: list[str] = []
        self.label = ""

    def _skipped(self, tag: str, el: _Element) -> bool:
        inside = {e.tag for e in self.stack}
        page_part = tag in ("header", "footer") and not inside & {"article", "main", "section"}
        return (tag in _SKIP or page_part or bool(el.classes & _CHROME) or "hidden" in el.attrs
                or el.attrs.get("role", "") in _CHROME_ROLES
                or el.attrs.get("aria-hidden") == "true")  # fmt: skip

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skipped = self.stack[self.skip].tag if self.skip is not None else ""
        if (skipped in ("svg", "math") and tag in _FOREIGN_END) or (
            skipped in ("head", "title") and tag not in _HEAD_TAGS
        ):
            self._pop_to(self.skip or 0)
        if len(self.stack) >= _MAX_OPEN and tag not in _VOID:
            return  # absurdly deep nesting: further tags are read as text only
        el = _Element(tag, {k: v or "" for k, v in attrs}, self.skip is None)
        if el.live and tag not in _HEAD_TAGS:
            self._close_implied(tag)
        if tag in _VOID:
            if el.live:
                self._open(el)
            return
        self.stack.append(el)
        if el.live and self._skipped(tag, el):
            self.skip, el.live = len(self.stack) - 1, False
        elif el.live:
            self._open(el)

    def _close_implied(self, tag: str) -> None:
        if tag in _BLOCK_TAGS and self.stack and self.stack[-1].tag == "p":
            self._pop_to(len(self.stack) - 1)
        if tag in _CLOSES:
            closes, scopes = _CLOSES[tag]
            for k in range(len(self.stack) - 1, -1, -1):
                if self.stack[k].tag in scopes:
                    break
                if self.stack[k].tag in closes.split():
                    self._pop_to(k)
                    break

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k].tag == tag:
                self._pop_to(k)
                return
        if tag in ("p", "br") and self.skip is None:
            self._boundary()

    def _pop_to(self, index: int) -> None:
        while len(self.stack) > index:
            el = self.stack.pop()
            if self.skip is not None and len(self.stack) <= self.skip:
                self.skip = None
            elif el.live:
                self._close(el)

    def handle_data(self, data: str) -> None:
        if self.skip is not None:
            return
        if self.pre is not None:
            self.pre.append(data)
        else:
            self.text.append(data)

    def _open(self, el: _Element) -> None:
        tag, in_cell = el.tag, self.row is not None
        if tag == "br":
            (self.pre if self.pre is not None else self.text).append("\n")
        elif tag == "code" and self.pre is None:
            self.text.append("`")
        elif in_cell:
            self.text.append(" ")
        elif tag == "pre":
            self._boundary()
            self.pre = []
            self.lang = self._lang()
        elif tag == "code" and self.pre is not None:
            self.lang = self._lang() or self.lang
        elif tag in ("table", "tr") or re.fullmatch(r"h[1-6]", tag):
            self._boundary(flush_list=True)
            self.row = [] if tag == "tr" else None
        elif tag in ("ul", "ol") and len(self._lists()) > 1:
            self._boundary()
            self._end_item(self._lists()[:-1])
        elif tag in ("td", "th"):
            pass
        elif tag in _BLOCK_TAGS:
            self._boundary()

    def _close(self, el: _Element) -> None:
        tag = el.tag
        if tag == "code" and self.pre is None:
            self.text.append("`")
        elif tag == "pre" and self.pre is not None and self.row is None:
            self._add(
                "code", clean_code("".join(self.pre)), code_lang(self.lang, "".join(self.pre))
            )
            self.pre = None
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(self._take())
        elif tag == "tr" and self.row is not None:
            self.rows.append(" | ".join(c for c in self.row if c))
            self.row = None
        elif tag == "table" and not any(e.tag == "table" for e in self.stack):
            self._add("table", "\n".join(r for r in self.rows if r))
            self.rows, self.row = [], None
        elif re.fullmatch(r"h[1-6]", tag):
            text = self._take().replace("`", "").rstrip("\u00b6 ")
            if text:
                self.headings.push(int(tag[1]), text)
                self._add("heading", text)
        elif tag == "dt" and any(c.startswith("sig") for c in el.classes):
            self._add(
                "code", self._take().rstrip("\u00b6 "), "python" if "py" in el.classes else None
            )
        elif tag == "p" and "admonition-title" in el.classes:
            self.label = self._take().rstrip(":") + ":"
        elif tag in ("ul", "ol", "li") or tag in _BLOCK_TAGS:
            self._boundary(flush_list=tag in ("ul", "ol") and not self._lists())
        if tag == "li" or (tag in ("ul", "ol") and self._lists()):
            self._end_item()

    def _lists(self) -> list[_Element]:
        return [e for e in self.stack if e.tag in ("ul", "ol") and e.live]

    def _lang(self) -> str | None:
        for el in reversed(self.stack):
            for name in el.classes:
                found = _LANG_CLASS.match(name)
                if found:
                    return found.group(1)
            if el.attrs.get("data-lang"):
                return el.attrs["data-lang"]
        return None

    def _take(self) -> str:
        text = " ".join("".join(self.text).split())
        self.text = []
        text = re.sub(r"`\s*([^`]*?)\s*`", lambda m: f"`{m.group(1)}`" if m.group(1) else "", text)
        return text.strip()

    def _boundary(self, flush_list: bool = False) -> None:
        """A block ends: its text becomes a paragraph, or part of the open list item."""
        if self.row is not None:
            self.text.append(" ")
            return
        text = self._take()
        if self._lists() or self.item:
            if text:
                self.item.append(text)
        elif text:
            self._add("prose", f"{self.label} {text}".strip())
            self.label = ""
        if flush_list:
            self._end_item()
            self._flush_list()

    def _end_item(self, lists: list[_Element] | None = None) -> None:
        text = self._take()
        if text:
            self.item.append(text)
        if not self.item:
            return
        lists = self._lists() if lists is None else lists
        depth, kind = max(len(lists) - 1, 0), lists[-1] if lists else None
        if kind is not None and kind.tag == "ol":
            number = int(kind.attrs.get("start", "1") or 1) if "n" not in kind.attrs else 0
            kind.attrs["n"] = str(int(kind.attrs.get("n", str(number - 1))) + 1)
            marker = f"{kind.attrs['n']}. "
        else:
            marker = "- "
        self.items.append("  " * depth + marker + " ".join(self.item))
        self.item = []

    def _flush_list(self) -> None:
        if self.items:
            self._add("list", "\n".join(self.items))
            self.items = []

    def _add(self, kind: str, text: str, lang: str | None = None) -> None:
        if kind != "list":
            self._end_item()
            self._flush_list()
        if text:
            self.blocks.append(Block(text, None, self.headings.path(), kind, lang))


def html_blocks(text: str) -> list[Block]:
    """HTML as blocks: h1-h6 headings, <pre> code, lists, tables; scripts and chrome dropped."""
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    parser._pop_to(0)
    parser._boundary(flush_list=True)
    return parser.blocks
