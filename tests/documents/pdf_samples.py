"""Structured PDFs built in the test: headings, code, lists, furniture, outlines, long books."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.documents.samples import page_image

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ERRORS_HTML = Path("/usr/share/doc/python3.11/html/tutorial/errors.html")
CODE = [
    "def greet(name):",
    "    if name:",
    '        return f"Hello {name}"',
    '    return "Hello"',
]
INLINE = ["To print the totals, call the helper named", "print_report(totals)", "and read it."]
PYCON = [">>> greet('Ada')", "'Hello Ada'", ">>> 2 + 2", "4"]
FILLER = (
    "Plants need light, water and carbon dioxide to grow. The leaves hold the green pigment "
    "that captures the light, and the roots take up water from the soil. "
)
LONG = (
    "This paragraph runs across a page break on purpose. It begins near the bottom of the "
    "first page and carries on at the top of the next one, after the running header, so the "
    "extractor has to join both halves into a single paragraph again. "
) * 2


def _book() -> Any:
    """An FPDF with a running header ("StudyForge Handbook") and footer ("Page N of M")."""
    from fpdf import FPDF

    class Book(FPDF):
        furniture = True

        def header(self) -> None:
            if self.furniture:
                self.set_font("Helvetica", size=8)
                self.cell(0, 6, "StudyForge Handbook", align="C", new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self) -> None:
            if self.furniture:
                self.set_y(-12)
                self.set_font("Helvetica", size=8)
                self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Book()
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", fname=DEJAVU)
    return pdf


def _heading(pdf: Any, text: str, size: int, outline: int | None = None) -> None:
    pdf.ln(3)
    if outline is not None:
        pdf.start_section(text, level=outline)
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _para(pdf: Any, text: str) -> None:
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _code(pdf: Any, lines: list[str]) -> None:
    pdf.set_font("Courier", size=10)
    for line in lines:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _items(pdf: Any, markers: list[str], texts: list[str]) -> None:
    pdf.set_font("Helvetica", size=11)
    for marker, text in zip(markers, texts, strict=True):
        pdf.set_x(pdf.l_margin + 4)
        pdf.set_font("Helvetica" if marker.isascii() else "DejaVu", size=11)
        pdf.cell(6, 6, marker)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def structured_pdf() -> bytes:
    """Four pages: numbered bold headings in three sizes, code, lists, a bold run-in heading,
    a hyphenated line break, a ﬁ ligature, a paragraph across a page break, furniture on every
    page, and an image-only page at the end (no furniture) that needs OCR."""
    pdf = _book()
    pdf.add_page()
    _heading(pdf, "1. Getting Started", 18)
    _para(pdf, FILLER * 2)
    _heading(pdf, "1.1. Writing Functions", 14)
    _para(pdf, "A function is defined with the def keyword. For example:")
    _code(pdf, CODE)
    _para(pdf, "The interpreter shows results straight away:")
    _code(pdf, PYCON)
    _para(pdf, "Remember these rules:")
    _items(pdf, ["\u2022", "\u2022"], [
        "Names are case sensitive, so Greet and greet are two different functions that can "
        "live side by side in one module without any trouble at all.",
        "Indentation is part of the syntax.",
    ])  # fmt: skip
    _items(pdf, ["1.", "2."], ["Write the function.", "Call the function."])
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "A long word can be split at the end of a line, as in the docu-\n"
                   "mentation of this package, and must be joined again.")  # fmt: skip
    pdf.ln(3)
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, "Printed books often set \ufb01ve and \ufb02ow with ligatures.")
    pdf.ln(3)
    _para(pdf, "Install it from a shell:")
    pdf.cell(0, 6, "$ pip install studyforge", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for font, text in (("Helvetica", INLINE[0]), ("Courier", INLINE[1]), ("Helvetica", INLINE[2])):
        pdf.set_font(font, size=11)
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Key terms", new_x="LMARGIN", new_y="NEXT")
    _para(pdf, "A parameter is the name in the definition; an argument is the value passed.")
    pdf.add_page()
    _heading(pdf, "1.1.1. Default Values", 12)
    _para(pdf, FILLER)
    pdf.set_y(255)
    _para(pdf, LONG)
    _heading(pdf, "2. Going Further", 18)
    _para(pdf, FILLER)
    pdf.furniture = False
    pdf.add_page()
    pdf.image(page_image(["This page was scanned."]), x=10, y=10, w=190)
    return bytes(pdf.output())


def outline_pdf() -> bytes:
    """Headings that look like body text (plain 11 pt): only the outline says what and how deep."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for level, title in ((0, "Cells"), (1, "Membranes"), (2, "Lipid bilayer"), (1, "Nucleus")):
        pdf.start_section(title, level=level)
        pdf.set_font("Helvetica", size=11)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, f"Text about {title.lower()}. " + FILLER, new_x="LMARGIN",
                       new_y="NEXT")  # fmt: skip
        pdf.ln(4)
    return bytes(pdf.output())


def long_pdf(pages: int = 200) -> bytes:
    """An ordinary text book: a heading and about 3,000 characters of prose on every page."""
    pdf = _book()
    for number in range(1, pages + 1):
        pdf.add_page()
        _heading(pdf, f"{number}. Chapter {number}", 16)
        for _ in range(4):
            _para(pdf, FILLER * 5)
    return bytes(pdf.output())


def chromium_pdf(html: Path, out: Path) -> bytes | None:
    """The HTML page printed to PDF by headless Chromium, or None when Chromium is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None or not html.exists():
        return None
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={out}",
         html.as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return out.read_bytes()
