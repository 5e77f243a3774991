"""DOCX and PPTX files built in the test, one feature each, for the structure tests."""

from __future__ import annotations

import io

CODE = 'def greet(name):\n    if name:\n        return "Hello " + name\n    return "Hello"'


def structured_docx() -> bytes:
    """A DOCX with a title, headings, bullets, a numbered list, code (style and font) and a
    table."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.add_heading("Python basics", level=0)
    document.add_heading("Functions", level=1)
    intro = document.add_paragraph("Call ")
    intro.add_run("greet()").font.name = "Courier New"
    intro.add_run(" with a name.")
    for item in ("Define it with def", "Return a value"):
        document.add_paragraph(item, style="List Bullet")
    for item in ("Write the test", "Run it"):
        document.add_paragraph(item, style="List Number")
    for line in CODE.split("\n"):
        para = document.add_paragraph()
        run = para.add_run(line)
        run.font.name = "Consolas"
        run.font.size = Pt(10)
    document.add_heading("Loops", level=1)
    style = document.styles.add_style("Code", 1)  # WD_STYLE_TYPE.PARAGRAPH
    style.font.name = "Arial"
    document.add_paragraph("for i in range(3):", style="Code")
    document.add_paragraph("    print(i)", style="Code")
    document.add_paragraph("A loop repeats its body.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate((("Keyword", "Meaning"), ("break", "leave the loop"))):
        for c, text in enumerate(row):
            table.rows[r].cells[c].text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def structured_pptx() -> bytes:
    """A PPTX: a title-and-content slide with bullets (two levels), a text box, a table and
    notes; a second slide with a numbered text box."""
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Plate tectonics"
    frame = slide.placeholders[1].text_frame
    frame.text = "Plates move"
    sub = frame.add_paragraph()
    sub.text = "a few centimetres a year"
    sub.level = 1
    frame.add_paragraph().text = "Boundaries cause earthquakes"
    box = slide.shapes.add_textbox(Inches(1), Inches(5), Inches(4), Inches(1))
    box.text_frame.text = "Continents drift on mantle convection."
    shape = slide.shapes.add_table(2, 2, Inches(1), Inches(6), Inches(4), Inches(1))
    for r, row in enumerate((("Plate", "Speed"), ("Pacific", "10 cm"))):
        for c, text in enumerate(row):
            shape.table.cell(r, c).text = text
    slide.notes_slide.notes_text_frame.text = "Ask who felt an earthquake."
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Steps"
    box = second.shapes.add_textbox(Inches(1), Inches(2), Inches(4), Inches(2))
    box.text_frame.text = "Measure"
    box.text_frame.add_paragraph().text = "Compare"
    for para in box.text_frame.paragraphs:
        para._p.get_or_add_pPr().insert(
            0,
            para._p.makeelement(
                "{http://schemas.openxmlformats.org/drawingml/2006/main}buAutoNum",
                {"type": "arabicPeriod"},
            ),
        )
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()
