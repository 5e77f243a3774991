"""Real sample files built in the test: PDFs (text and scanned), DOCX, PPTX and hostile ones."""

from __future__ import annotations

import io
import zipfile

TOPICS = {
    "Photosynthesis": (
        "Photosynthesis is the process by which green plants convert light energy into "
        "chemical energy. Chlorophyll in the chloroplasts absorbs sunlight. The light "
        "reactions split water and release oxygen. The Calvin cycle then fixes carbon dioxide "
        "into glucose, which the plant stores as starch."
    ),
    "Volcanoes": (
        "A volcano is an opening in the crust of the Earth through which magma escapes. "
        "Pressure from dissolved gases builds up in the magma chamber until it forces molten "
        "rock to the surface. Lava flows, ash clouds and pyroclastic flows are the main "
        "hazards of an eruption. Most volcanoes lie along the boundaries of tectonic plates."
    ),
    "The immune system": (
        "The immune system defends the body against infection. White blood cells called "
        "lymphocytes recognise pathogens such as bacteria and viruses. B cells produce "
        "antibodies that bind to antigens, while T cells destroy infected cells. Vaccines "
        "train this adaptive response by exposing it to a harmless antigen."
    ),
    "Roman aqueducts": (
        "Roman engineers built aqueducts to carry water from distant springs into their "
        "cities. The channels descended at a very gentle, constant gradient so that gravity "
        "alone moved the water. Arched bridges carried the channel across valleys. Rome was "
        "supplied by eleven aqueducts that fed public baths and fountains."
    ),
    "The French Revolution": (
        "The French Revolution began in 1789 when the Estates-General met at Versailles. "
        "Financial crisis and resentment of noble privilege drove the Third Estate to "
        "declare itself a National Assembly. The storming of the Bastille on 14 July became "
        "its symbol. The monarchy was abolished in 1792."
    ),
    "TCP": (
        "The Transmission Control Protocol provides reliable, ordered delivery of a byte "
        "stream between applications. A connection starts with a three-way handshake of "
        "SYN, SYN-ACK and ACK segments. Lost segments are detected by acknowledgements and "
        "retransmitted after a timeout. Flow control uses a sliding receive window."
    ),
}
MARKDOWN = b"# Optics\n\n## Lenses\n\nA convex lens converges light."
HTML = (
    b"<html><head><title>t</title><script>x()</script></head><body><h1>Optics</h1>"
    b"<h2>Lenses</h2><p>A convex lens converges light.</p></body></html>"
)
PAGE_OF = {title: number for number, title in enumerate(TOPICS, start=1)}


def text_pdf(pages: dict[str, str] = TOPICS, repeat: int = 1) -> bytes:
    """A real text PDF: one topic per page (the title as a heading line), with bookmarks."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    for _ in range(repeat):
        for title, body in pages.items():
            pdf.add_page()
            pdf.start_section(title)
            pdf.set_font("Helvetica", "B", 16)
            pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, body)
    return bytes(pdf.output())


def page_image(lines: list[str], width: int = 1240, height: int = 1754) -> object:
    """A white A4-ish page (150 dpi) with black text lines, as a PIL image."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 34)
    for i, line in enumerate(lines):
        draw.text((90, 120 + i * 60), line, fill=0, font=font)
    return img


def scanned_pdf(pages: list[list[str]]) -> bytes:
    """An image-only PDF (no text layer), like a scanner produces."""
    images = [page_image(lines) for lines in pages]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=150, save_all=True, append_images=images[1:])  # type: ignore[attr-defined]
    return buf.getvalue()


def png(lines: list[str]) -> bytes:
    """A PNG photo of text."""
    buf = io.BytesIO()
    page_image(lines, height=400).save(buf, "PNG")  # type: ignore[attr-defined]
    return buf.getvalue()


def docx_file() -> bytes:
    """A DOCX with a title, headings, paragraphs and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Cell biology", level=1)
    document.add_paragraph("Cells are the basic unit of life.")
    document.add_heading("Mitochondria", level=2)
    document.add_paragraph("Mitochondria release energy from glucose by cellular respiration.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Organelle"
    table.rows[0].cells[1].text = "Ribosome"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def pptx_file() -> bytes:
    """A two-slide PPTX with titles and bullet text."""
    import pptx

    deck = pptx.Presentation()
    slides = (
        ("Plate tectonics", "Continents drift on mantle convection."),
        ("Earthquakes", "Faults release stored elastic strain."),
    )
    for title, body in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def zip_bomb_docx(inflated_mb: int = 300) -> bytes:
    """A DOCX-shaped zip whose document.xml inflates to `inflated_mb` MB of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"0" * (1024 * 1024)
            for _ in range(inflated_mb):
                member.write(block)
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    """A text PDF protected by a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf())))
    writer.encrypt(user_password="secret-pw", owner_password="owner-pw")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def many_objects_pdf(objects: int = 2_000_000) -> bytes:
    """A syntactically plausible PDF whose body holds millions of tiny objects."""
    body = b"".join(b"%d 0 obj\n[%d]\nendobj\n" % (i, i) for i in range(4, objects + 4))
    head = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
    )
    return head + body + b"trailer\n<< /Root 1 0 R /Size %d >>\n%%%%EOF\n" % (objects + 4)
