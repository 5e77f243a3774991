"""Course text formats: a lesson's Markdown, the whole course as Markdown.

Sources are numbered per lesson, 1..n in the order of the lesson's source list; a paragraph's
citations (course-wide source indices) are shown as those numbers, in every format. A source
whose document was deleted is marked "removed" when it is read, never in the stored JSON.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from studyforge.courses.models import Course, Lesson

REMOVED_NOTE = "removed from the library"


def cite(source: dict[str, Any]) -> str:
    """ "path, p. N, heading" for a source."""
    parts = [str(source.get("path") or source.get("filename") or "source")]
    if source.get("page"):
        parts.append(f"p. {source['page']}")
    if source.get("heading"):
        parts.append(str(source["heading"]))
    return ", ".join(parts)


def is_removed(source: dict[str, Any] | None, removed: Collection[str]) -> bool:
    """Whether the source's document no longer exists (its id is in `removed`)."""
    return bool(source) and str((source or {}).get("document_id")) in removed


def with_removed(source: dict[str, Any], removed: Collection[str]) -> dict[str, Any]:
    """A copy of the source with its `removed` flag (the stored dict is never changed)."""
    return {**source, "removed": is_removed(source, removed)}


@dataclass(frozen=True)
class Numbered:
    """A lesson source with its number (1..n within the lesson)."""

    number: int
    source: dict[str, Any]
    removed: bool


class Numbering:
    """One lesson's sources numbered 1..n; maps course-wide citation indices to numbers."""

    def __init__(self, sources: Iterable[dict[str, Any]], removed: Collection[str] = ()) -> None:
        self.entries: list[Numbered] = []
        self._by_index: dict[int, Numbered] = {}
        for source in sources:
            index = source.get("index")
            if not isinstance(index, int) or index in self._by_index:
                continue
            entry = Numbered(len(self.entries) + 1, source, is_removed(source, removed))
            self.entries.append(entry)
            self._by_index[index] = entry

    def cited(self, citations: Iterable[Any]) -> list[Numbered]:
        """The lesson's sources a paragraph cites, by number, without repeats or unknowns."""
        found = {entry.number: entry for entry in map(self.get, citations) if entry is not None}
        return [found[number] for number in sorted(found)]

    def get(self, index: Any) -> Numbered | None:
        """The numbered source for a course-wide index, if the lesson has it."""
        return self._by_index.get(index) if isinstance(index, int) else None


def anchor(lesson_number: int, number: int) -> str:
    """The id of a lesson's source list entry: `l2-s3`."""
    return f"l{lesson_number}-s{number}"


def code_lang(lang: Any) -> str:
    """A code paragraph's language as a safe class / info-string word ("python", "c++")."""
    return "".join(
        ch for ch in str(lang or "").lower() if ch.isascii() and (ch.isalnum() or ch in "+-_#.")
    )[:40]


def fence(text: str, lang: str | None) -> list[str]:
    """A fenced code block, its fence longer than any backtick run inside."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    info = code_lang(lang)
    return [f"{ticks}{info}", text.rstrip("\n"), ticks]


def _marks(entries: Sequence[Numbered]) -> str:
    return "".join(f"[{entry.number}]" for entry in entries)


def _paragraph_lines(paragraph: dict[str, Any], numbering: Numbering) -> list[str]:
    marks = _marks(numbering.cited(paragraph.get("citations") or []))
    text = str(paragraph.get("text") or "")
    if paragraph.get("kind") == "code":
        return [*fence(text, paragraph.get("lang")), *([marks] if marks else []), ""]
    if paragraph.get("kind") == "list":
        return [*list_items(text), *([marks] if marks else []), ""]
    return [f"{text} {marks}".rstrip(), ""]


def list_items(text: str) -> list[str]:
    """A list paragraph's lines as Markdown items ("- x" / "1. x"), nested ones indented."""
    return [line if re.match(r"\s*(?:[-*]|\d+[.)])\s", line) else f"- {line.strip()}"
            for line in text.split("\n") if line.strip()]  # fmt: skip


def _source_line(entry: Numbered) -> str:
    note = f" — *{REMOVED_NOTE}*" if entry.removed else ""
    return f"{entry.number}. {cite(entry.source)}{note}"


def lesson_lines(
    lesson: dict[str, Any], numbering: Numbering, depth: int = 1, before_sources: Sequence[str] = ()
) -> list[str]:
    """Markdown lines of a lesson given as plain data (`title`, `sections`, `summary`...)."""
    h1, h2 = "#" * depth, "#" * (depth + 1)
    lines = [f"{h1} Lesson {lesson['number']}: {lesson['title']}", ""]
    if lesson.get("description"):
        lines += [str(lesson["description"]), ""]
    for label, key in (("Learning objectives", "objectives"), ("Key concepts", "concepts")):
        if lesson.get(key):
            lines += [f"**{label}**", "", *(f"- {item}" for item in lesson[key]), ""]
    for section in lesson.get("sections") or []:
        if str(section.get("heading") or "").strip():
            lines += [f"{h2} {section['heading']}", ""]
        for paragraph in section.get("paragraphs") or []:
            lines += _paragraph_lines(paragraph, numbering)
    if lesson.get("summary"):
        lines += [f"{h2} Summary", "", str(lesson["summary"]), ""]
    lines += before_sources
    if numbering.entries:
        lines += [f"{h2} Sources", "", *(_source_line(e) for e in numbering.entries), ""]
    return lines


def lesson_markdown(
    number: int, plan: Any, content: Any, sources: dict[int, dict[str, Any]]
) -> str:
    """A lesson as Markdown: sections with [n] citations and the numbered source list."""
    data = {
        "number": number,
        "title": plan.title,
        "description": plan.description,
        "objectives": plan.learning_objectives,
        "concepts": plan.key_concepts,
        **content.model_dump(),
    }
    return "\n".join(lesson_lines(data, Numbering(sources.values()))).strip() + "\n"


def lesson_data(lesson: Lesson) -> dict[str, Any]:
    """A stored lesson as the plain data `lesson_lines` and the HTML export read."""
    content = lesson.content_json or {}
    return {
        "number": lesson.lesson_number,
        "title": lesson.title,
        "description": lesson.description,
        "objectives": lesson.learning_objectives,
        "concepts": lesson.key_concepts,
        "sections": content.get("sections") or [],
        "summary": content.get("summary") or "",
    }


def _checks_lines(lesson: Lesson, numbering: Numbering, depth: int) -> list[str]:
    lines = [f"{'#' * depth} Check your understanding", ""]
    for n, check in enumerate(lesson.checks, start=1):
        lines.append(f"{n}. {check.question}")
        lines += [f"   - {option}" for option in check.options]
        lines.append(f"   - *Answer:* {check.answer}")
        if check.explanation:
            lines.append(f"   - *Why:* {check.explanation}")
        entry = numbering.get((check.source or {}).get("index"))
        if entry is not None:
            lines.append(f"   - *Source:* [{entry.number}]")
    return [*lines, ""]


def course_markdown(course: Course, removed: Collection[str] = ()) -> str:
    """The whole course as one Markdown document, rendered from the stored lesson data."""
    lines = [f"# {course.title or course.topic}", "", f"*{course.grade_level}*", ""]
    if course.description:
        lines += [course.description, ""]
    for lesson in course.lessons:
        numbering = Numbering(lesson.sources, removed)
        checks = _checks_lines(lesson, numbering, depth=3) if lesson.checks else []
        lines += lesson_lines(lesson_data(lesson), numbering, depth=2, before_sources=checks)
    return "\n".join(lines).strip() + "\n"


STYLE = """
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #fff;
  --line: #d0d7de; --code: #f6f8fa; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117;
  --line: #30363d; --code: #161b22; --accent: #58a6ff; } }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1, h2, h3 { line-height: 1.25; overflow-wrap: anywhere; }
h1 { font-size: 2rem; margin: 0 0 .5rem; }
p, li, dd { overflow-wrap: anywhere; }
a { color: var(--accent); }
.muted, .grade { color: var(--muted); }
.lesson { border-top: 2px solid var(--line); margin-top: 2.5rem; padding-top: .5rem; }
.terms { padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; }
.terms li { border: 1px solid var(--line); border-radius: 999px; padding: 0 .6rem; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 6px;
  padding: .75rem 1rem; overflow-x: auto; max-width: 100%; font-size: .9rem; line-height: 1.45; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.cites { font-size: .75em; line-height: 0; white-space: nowrap; }
.cites a { text-decoration: none; font-weight: 600; }
.code-cites { margin-top: -.5rem; }
.checks > li + li, .sources li + li { margin-top: .6rem; }
.question { font-weight: 600; margin-bottom: .25rem; }
.answer, .explanation { margin: .25rem 0; }
.removed { color: var(--muted); font-style: italic; }
.sources li:target { outline: 2px solid var(--accent); outline-offset: 2px; }
@media print {
  :root { --fg: #000; --muted: #444; --bg: #fff; --line: #999; --code: #fff; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .toc { display: none; }
  .lesson { break-before: page; border-top: 0; }
  h2, h3 { break-after: avoid; }
  pre { white-space: pre-wrap; overflow: visible; break-inside: avoid; }
}
"""


def _e(value: Any) -> str:
    return escape(str(value if value is not None else ""), quote=True)


def _html_cites(
    entries: Sequence[Numbered], lesson_number: int, tag: str = "sup", css: str = "cites"
) -> str:
    if not entries:
        return ""
    links = "".join(
        f'<a href="#{anchor(lesson_number, e.number)}">[{e.number}]</a>' for e in entries
    )
    return f'<{tag} class="{css}">{links}</{tag}>'


def _code_class(lang: Any) -> str:
    name = code_lang(lang)
    return f' class="language-{_e(name)}"' if name else ""


def _html_paragraph(paragraph: dict[str, Any], numbering: Numbering, lesson_number: int) -> str:
    cited = numbering.cited(paragraph.get("citations") or [])
    text = str(paragraph.get("text") or "")
    if paragraph.get("kind") == "code":
        code = f"<pre><code{_code_class(paragraph.get('lang'))}>{_e(text.rstrip())}</code></pre>"
        return code + _html_cites(cited, lesson_number, "p", "cites code-cites")
    if paragraph.get("kind") == "list":
        items = [re.sub(r"^\s*(?:[-*]|\d+[.)])\s+", "", line) for line in list_items(text)]
        tag = "ol" if re.match(r"\s*\d", text) else "ul"
        lis = "".join(f"<li>{_e(item)}</li>" for item in items)
        return f"<{tag}>{lis}</{tag}>" + _html_cites(cited, lesson_number, "p", "cites")
    return f"<p>{_e(text)}{_html_cites(cited, lesson_number)}</p>"


def _html_list(title: str, items: Sequence[Any], css: str) -> list[str]:
    if not items:
        return []
    lis = "".join(f"<li>{_e(item)}</li>" for item in items)
    return [f"<h3>{_e(title)}</h3>", f'<ul class="{css}">{lis}</ul>']


def _html_checks(lesson: Lesson, numbering: Numbering) -> list[str]:
    if not lesson.checks:
        return []
    out = ["<h3>Check your understanding</h3>", '<ol class="checks">']
    for check in lesson.checks:
        out.append(f'<li><p class="question">{_e(check.question)}</p>')
        if check.options:
            out.append('<ul class="options">' + "".join(f"<li>{_e(o)}</li>" for o in check.options))
            out.append("</ul>")
        entry = numbering.get((check.source or {}).get("index"))
        source = _html_cites([entry], lesson.lesson_number, "span") if entry else ""
        out.append(f'<p class="answer"><strong>Answer:</strong> {_e(check.answer)} {source}</p>')
        if check.explanation:
            out.append(f'<p class="explanation">{_e(check.explanation)}</p>')
        out.append("</li>")
    return [*out, "</ol>"]


def _html_sources(lesson_number: int, numbering: Numbering) -> list[str]:
    if not numbering.entries:
        return []
    out = ["<h3>Sources</h3>", '<ol class="sources">']
    for entry in numbering.entries:
        note = f' <span class="removed">({REMOVED_NOTE})</span>' if entry.removed else ""
        css = ' class="source-removed"' if entry.removed else ""
        ident = anchor(lesson_number, entry.number)
        out.append(
            f'<li id="{ident}" value="{entry.number}"{css}>{_e(cite(entry.source))}{note}</li>'
        )
    return [*out, "</ol>"]


def _html_lesson(lesson: Lesson, removed: Collection[str]) -> list[str]:
    data, numbering = lesson_data(lesson), Numbering(lesson.sources, removed)
    number = lesson.lesson_number
    out = [f'<article class="lesson" id="lesson-{number}">']
    out.append(f"<h2>Lesson {number}: {_e(lesson.title)}</h2>")
    if lesson.description:
        out.append(f'<p class="description">{_e(lesson.description)}</p>')
    out += _html_list("Learning objectives", lesson.learning_objectives, "objectives")
    out += _html_list("Key concepts", lesson.key_concepts, "terms")
    for section in data["sections"]:
        out.append('<section class="lesson-section">')
        if str(section.get("heading") or "").strip():
            out.append(f"<h3>{_e(section['heading'])}</h3>")
        out += [_html_paragraph(p, numbering, number) for p in section.get("paragraphs") or []]
        out.append("</section>")
    if data["summary"]:
        out.append(f'<h3>Summary</h3><p class="summary">{_e(data["summary"])}</p>')
    out += _html_checks(lesson, numbering)
    out += _html_sources(number, numbering)
    return [*out, "</article>"]


def course_html(course: Course, removed: Collection[str] = ()) -> str:
    """The course as a standalone, styled HTML page (all text escaped)."""
    title = _e(course.title or course.topic)
    out = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{STYLE}</style></head><body><main>",
        f'<header><h1>{title}</h1><p class="grade">{_e(course.grade_level)}</p>',
    ]
    if course.description:
        out.append(f'<p class="description">{_e(course.description)}</p>')
    out.append("</header>")
    if course.lessons:
        links = "".join(
            f'<li><a href="#lesson-{lesson.lesson_number}">{_e(lesson.title)}</a></li>'
            for lesson in course.lessons
        )
        out.append(f'<nav class="toc" aria-label="Lessons"><ol>{links}</ol></nav>')
    for lesson in course.lessons:
        out += _html_lesson(lesson, removed)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
