"""Type sniffing, extraction, passage anchors and the sandbox's limits."""

from __future__ import annotations

import pytest

from studyforge.documents import extract as ex
from studyforge.documents.chunking import assemble
from studyforge.documents.service import InvalidUpload, clean_filename, clean_path
from studyforge.kit.sandbox import SandboxError, run_limited
from tests.documents import samples

EXTRACT = "studyforge.documents.extract:extract_json"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.pdf", b"%PDF-1.4 ...", ex.PDF),
        ("photo.jpg", b"\xff\xd8\xff\xe0rest", ex.JPEG),
        ("scan.bin", b"\x89PNG\r\n\x1a\nrest", ex.PNG),
        ("notes.md", b"# Title\n", ex.MARKDOWN),
        ("page.HTM", b"<p>x</p>", ex.HTML),
        ("noext", b"<!DOCTYPE html><html></html>", ex.HTML),
        ("readme", "Grüße aus Köln".encode(), ex.TXT),
        ("a.txt", b"\x00\x01binary", None),
        ("a.txt", b"\xff\xfe\xfa\xfb not utf-8 at all", None),
        ("a.exe", b"MZ\x90\x00", None),
        ("archive.zip", samples.zip_bomb_docx(1).replace(b"word/", b"xxxx/"), None),
        ("a.docx", samples.docx_file(), ex.DOCX),
        ("a.pptx", samples.pptx_file(), ex.PPTX),
        ("cut.docx", samples.docx_file()[:100], ex.DOCX),  # corrupt: fails in processing
    ],
)
def test_detect_type_trusts_bytes_not_names(name, data, expected):
    assert ex.detect_type(name, data) == expected


def test_pdf_pages_and_bookmarks_become_anchors():
    result = ex.extract(samples.text_pdf(), ex.PDF, max_pages=100)
    assert result.page_count == len(samples.TOPICS) and result.ocr_pages == []
    first_of_page = {b.page: b for b in reversed(result.blocks)}
    assert first_of_page[3].heading == "The immune system"
    assert "lymphocytes" in " ".join(b.text for b in result.blocks if b.page == 3)
    with pytest.raises(ex.ExtractError, match="limit is 2"):
        ex.extract(samples.text_pdf(), ex.PDF, max_pages=2)


def test_scanned_pages_are_marked_for_ocr():
    result = ex.extract(samples.scanned_pdf([["Hello"], ["World"]]), ex.PDF, max_pages=10)
    assert result.ocr_pages == [1, 2] and result.blocks == []


def test_passages_keep_exact_spans_and_never_cross_pages():
    blocks = [
        ex.Block("Short intro.", 1, "A"),
        ex.Block("Sentence number one is here. " * 80, 1, "A"),
        ex.Block("x" * 2500, 2, "B"),
        ex.Block("Tail.", 2, "B"),
    ]
    text, chunks = assemble(blocks, max_chars=500)
    assert text.startswith("Short intro.\n\nSentence")
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 500
    assert {(c.page, c.heading) for c in chunks} == {(1, "A"), (2, "B")}
    assert not any("Sentence" in c.text and "xxxx" in c.text for c in chunks)
    assert chunks[-1].text.endswith("Tail.")


def test_clean_names():
    assert clean_filename("C:\\Users\\x\\..\\evil\x07.pdf") == "evil.pdf"
    assert clean_filename("") == "upload"
    assert clean_path(None, "a.pdf") == "a.pdf"
    assert clean_path("/bio//cells/./a.pdf", "a.pdf") == "bio/cells/a.pdf"
    for bad in ("../x", "a/../../b", "/", "a\nb"):
        with pytest.raises(InvalidUpload):
            clean_path(bad, "a.pdf")


def test_sandbox_returns_json_and_reports_parser_errors():
    result = run_limited(EXTRACT, b"Hello there.", timeout=30, memory_mb=1024,
                         media_type=ex.TXT, max_pages=5)  # fmt: skip
    assert result["blocks"] == [
        {"text": "Hello there.", "page": None, "heading": None, "kind": "prose", "lang": None}
    ]
    with pytest.raises(SandboxError, match="encrypted"):
        run_limited(EXTRACT, samples.encrypted_pdf(), timeout=30, memory_mb=1024,
                    media_type=ex.PDF, max_pages=5)  # fmt: skip


def test_sandbox_enforces_time_and_memory():
    with pytest.raises(SandboxError, match=r"gave up after 0\.2 s"):
        run_limited(EXTRACT, samples.many_objects_pdf(1_000_000), timeout=0.2,
                    memory_mb=1024, media_type=ex.PDF, max_pages=5)  # fmt: skip
    with pytest.raises(SandboxError, match="memory"):
        # 30 MB of text needs several copies while it is decoded and split.
        run_limited(EXTRACT, b"word " * 6_000_000, timeout=30, memory_mb=64,
                    media_type=ex.TXT, max_pages=5)  # fmt: skip
