"""Course quality on real material: Python's own documentation (Debian's python3-doc).

Corpora: the tutorial's chapter on errors printed to PDF by headless Chromium (numbered
sections 8.1-8.10, many code examples), and a mixed library of unrelated subjects: that PDF, the
six-topic science PDF of the tests, and reStructuredText and HTML chapters of the docs (sorting,
JSON, floating point, classes, logging). For each course the table prints:

- titles: share of lesson titles that are section headings of the sources;
- concepts: share of key concepts found verbatim in the sources' prose, none of them code;
- cited: share of lesson sentences found in the passage they cite (so on its page);
- one section: share of lessons whose passages come from one section (one heading);
- code: code examples of the lessons' sources shown as fenced code / all of them;
- own doc: share of passages from the document the topic is about;
- and for topics the library does not cover, whether the course was refused.

`python -m bench quality [--show N]` also prints course N (1-based) as Markdown, to read it.
`--llm local` runs the courses with the local llama.cpp provider (`make local-model` first),
`--only 2,3` only the courses numbered so.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import make_settings
from tests.documents import pdf_samples, samples
from tests.support.procs import wait_for

from studyforge.ai.offline.terms import code_like, strip_numbering
from studyforge.ai.offline.text import split_sentences
from studyforge.auth.service import create_user
from studyforge.courses.models import Course, CourseStatus
from studyforge.courses.render import course_markdown
from studyforge.courses.schemas import CourseRequest
from studyforge.courses.service import request_course
from studyforge.documents.models import Document, DocumentStatus, Passage
from studyforge.documents.service import create_document
from studyforge.jobs.models import Job
from studyforge.migrate import upgrade
from studyforge.platform import Platform, build_platform

DOCS = Path("/usr/share/doc/python3.11/html")
MIXED = {
    "python/sorting.rst": "_sources/howto/sorting.rst.txt",
    "python/json.rst": "_sources/library/json.rst.txt",
    "python/floatingpoint.rst": "_sources/tutorial/floatingpoint.rst.txt",
    "python/classes.html": "tutorial/classes.html",
    "python/logging.html": "howto/logging.html",
}
# (library, topic, lessons, the document it is about or None when the library does not cover it)
COURSES = [
    ("errors", "Errors and exceptions in Python", 10, "python/errors.pdf"),
    ("errors", "Handling exceptions", 4, "python/errors.pdf"),
    ("mixed", "Sorting lists in Python", 4, "python/sorting.rst"),
    ("mixed", "JSON encoding and decoding", 4, "python/json.rst"),
    ("mixed", "Floating point arithmetic", 3, "python/floatingpoint.rst"),
    ("mixed", "Classes and inheritance", 5, "python/classes.html"),
    ("mixed", "Logging", 4, "python/logging.html"),
    ("mixed", "Volcanoes", 1, "science/six-topics.pdf"),
    ("mixed", "Baking sourdough bread", 3, None),
    ("mixed", "World War II", 3, None),
    ("mixed", "Music theory", 3, None),
    ("mixed", "Linear algebra", 3, None),
]


def _library(platform: Platform, user: uuid.UUID, files: dict[str, bytes]) -> dict[str, str]:
    ids = {}
    with platform.sessions.begin() as s:
        for path, data in files.items():
            doc = create_document(s, platform.blobs, user_id=user, filename=path.rsplit("/")[-1],
                                  data=data, path=path, generate_notes=False)  # fmt: skip
            ids[str(doc.id)] = path

    def done() -> bool:
        with platform.sessions() as s:
            return all(s.get_one(Document, uuid.UUID(i)).status is not DocumentStatus.PROCESSING
                       for i in ids)  # fmt: skip

    wait_for(done, 600, "the library to be processed", 0.2)
    return ids


def _metrics(platform: Platform, course: Course, ids: dict[str, str], own: str) -> dict[str, Any]:
    with platform.sessions() as s:
        passages = s.query(Passage).filter(Passage.user_id == course.user_id).all()
    headings = {strip_numbering(h) for p in passages if p.heading
                for h in p.heading.split(" > ")}  # fmt: skip
    prose = " ".join(" ".join(p.text.split()) for p in passages if p.kind == "prose").lower()
    code_sources = titles = concepts = good_concepts = one_section = 0
    sentences = cited = fenced = used_own = used = 0
    for lesson in course.lessons:
        title = lesson.title.rsplit(" (part ", 1)[0]
        titles += _made_of_headings(title, headings)
        concepts += len(lesson.key_concepts)
        good_concepts += sum(c.lower() in prose and not code_like(c) for c in lesson.key_concepts)
        one_section += len({s.get("heading") for s in lesson.sources}) == 1
        code_sources += sum(s.get("kind") == "code" for s in lesson.sources)
        by_index = {s["index"]: s for s in lesson.sources}
        for section in (lesson.content_json or {}).get("sections", []):
            for paragraph in section["paragraphs"]:
                if paragraph.get("kind") == "code":
                    fenced += 1
                    continue
                if section["heading"] == "Key terms":
                    continue
                text = " ".join(" ".join(by_index[i]["text"].split())
                                for i in paragraph["citations"] if i in by_index)  # fmt: skip
                for sentence in split_sentences(paragraph["text"]):
                    sentences += 1
                    cited += sentence.text in text
        used += len(lesson.sources)
        used_own += sum(ids.get(str(s.get("document_id"))) == own for s in lesson.sources)
    n = max(len(course.lessons), 1)
    return {
        "titles": titles / n, "concepts": good_concepts / max(concepts, 1),
        "cited": cited / max(sentences, 1), "one": one_section / n,
        "code": f"{fenced}/{code_sources}", "own": used_own / max(used, 1),
    }  # fmt: skip


def _made_of_headings(title: str, headings: set[str]) -> bool:
    """A heading, or headings joined as "A and B" / "A, B and C" / "A, B, C and more"."""
    rest = title
    for heading in sorted(headings, key=len, reverse=True):
        rest = rest.replace(heading, "")
    return rest != title and not re.sub(r",|\band\b|\bmore\b|\s", "", rest)


def _run(platform: Platform, user: uuid.UUID, topic: str, lessons: int) -> tuple[Course, float]:
    start = time.monotonic()
    with platform.sessions.begin() as s:
        course_id = request_course(s, user, CourseRequest(topic=topic, num_lessons=lessons)).id

    def done() -> bool:
        with platform.sessions() as s:
            return s.get_one(Course, course_id).status in (CourseStatus.READY, CourseStatus.FAILED)

    wait_for(done, 3600, f"the course on {topic}", 0.1)
    elapsed = time.monotonic() - start
    with platform.sessions() as s:
        course = s.get_one(Course, course_id)
        _ = [(lesson.checks, lesson.sources) for lesson in course.lessons]
        s.expunge_all()
    return course, elapsed


def _corpora(root: Path) -> dict[str, dict[str, bytes]]:
    errors = pdf_samples.chromium_pdf(pdf_samples.ERRORS_HTML, root / "errors.pdf")
    if errors is None or not DOCS.exists():
        raise SystemExit("bench quality needs chromium and python3-doc (scripts/system-deps.sh)")
    mixed = {"science/six-topics.pdf": samples.text_pdf(), "python/errors.pdf": errors}
    mixed |= {path: (DOCS / source).read_bytes() for path, source in MIXED.items()}
    return {"errors": {"python/errors.pdf": errors}, "mixed": mixed}


def main() -> None:
    """Print the course quality table (and a course as Markdown with --show N)."""
    args = sys.argv[1:]
    show = int(args[args.index("--show") + 1]) if "--show" in args else 0
    llm = args[args.index("--llm") + 1] if "--llm" in args else "offline"
    only = {int(n) for n in args[args.index("--only") + 1].split(",")} if "--only" in args else None
    rows = [
        f"| # | course ({llm}) | lessons | wall | tokens in/out | drafted/fell back | titles "
        "| concepts | cited | one section | code | own doc | refused |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    shown = ""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpora = _corpora(root)
        for name, files in corpora.items():
            db = f"sqlite:///{root / name}.db"
            upgrade(db)
            settings = make_settings(root / name, db, course_files=False, llm_provider=llm)
            platform = build_platform(settings)
            try:
                with platform.sessions.begin() as s:
                    user = create_user(s, f"q{uuid.uuid4().hex[:8]}", "bench-password-123").id
                ids = _library(platform, user, files)
                for number, (library, topic, lessons, own) in enumerate(COURSES, start=1):
                    if library != name or (only and number not in only):
                        continue
                    course, wall = _run(platform, user, topic, lessons)
                    rows.append(_row(number, platform, course, wall, ids, own))
                    if number == show:
                        shown = course_markdown(course)
            finally:
                platform.close()
    print("\n".join(rows))
    if shown:
        print("\n" + shown)


def _row(number: int, platform: Platform, course: Course, wall: float, ids: dict[str, str],
         own: str | None) -> str:  # fmt: skip
    tokens = f"{course.prompt_tokens}/{course.completion_tokens}"
    with platform.sessions() as s:
        usage = (s.get(Job, course.job_id).usage or {}) if course.job_id else {}
    drafts = f"{usage.get('drafted', 0)}/{usage.get('fallbacks', 0)}"
    head = (f"| {number} | {course.topic} | {len(course.lessons)} | {wall:.1f} s | {tokens} "
            f"| {drafts} ")  # fmt: skip
    if own is None:
        refused = course.status is CourseStatus.FAILED and "don't cover" in (
            course.error_message or ""
        )
        return head + f"| | | | | | | {'yes' if refused else 'NO'} |"
    if course.status is not CourseStatus.READY:
        return head + f"| failed: {course.error_message} | | | | | | |"
    m = _metrics(platform, course, ids, own)
    return head + (
        f"| {m['titles']:.0%} | {m['concepts']:.0%} | {m['cited']:.0%} | {m['one']:.0%} "
        f"| {m['code']} | {m['own']:.0%} | |"
    )
