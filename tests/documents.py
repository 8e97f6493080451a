"""Real PDF, Word and web-page files for the tests, generated here (reportlab, python-docx, Pillow)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from docx import Document as new_docx
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    FrameBreak,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
)

PDF_TITLE = "Orchid Valley Investment Brief"
RUNNING_HEADER = "Orchid Valley Brief - Liangjiang New Area Investment Service Centre"
RUNNING_FOOTER = "Confidential draft for investors"
INTRO = (
    "The Orchid Valley Park lies in the north of Liangjiang New Area, between the Yuelai exhibition "
    "district and the airport. It was planned in 2023 as a home for industrial software companies, "
    "and its first tenants moved in during the spring of 2024. "
)
# Filler prose, one distinct sentence each, so that pages fill up as real ones do.
FILLER = [
    f"Tenant survey item {n} records that the {topic} in the park was rated well by its companies."
    for n, topic in enumerate(
        [
            "canteen",
            "shuttle bus",
            "broadband",
            "security desk",
            "meeting space",
            "parking",
            "library",
            "clinic",
            "gym",
            "post office",
            "bank branch",
            "kindergarten",
        ],
        1,
    )
]
LEFT_COLUMN = (
    "Robotics firms that settle in the Orchid Valley Park receive a rent subsidy of 35 percent for "
    "their first three years, paid by the park's administration every quarter."
)
RIGHT_COLUMN = (
    "The park's hydrogen laboratory opened in March 2024 and tests fuel cells for heavy trucks "
    "built by local carmakers, with room for a further twelve research teams."
)
TABLE = [
    ["Phase", "Area", "Investment", "Completion"],
    ["Phase one", "4.2 square kilometres", "11 billion yuan", "2026"],
    ["Phase two", "6.8 square kilometres", "19 billion yuan", "2028"],
]
# Questions whose answers sit on page 2 (left column) and in the table on page 3.
PAGE_2_QUESTION = "What percentage subsidy do robotics firms receive in the Orchid Valley Park?"
TABLE_QUESTION = "How much is invested in phase two of the Orchid Valley Park?"

DOCX_HEADING = "Land prices in the Yudai cluster"
DOCX_TABLE = [
    ["Plot", "Use", "Price per square metre"],
    ["Yudai North", "Industrial", "310 yuan"],
    ["Yudai South", "Logistics", "285 yuan"],
]
DOCX_QUESTION = "What is the price per square metre of industrial land at Yudai North?"

WEB_ARTICLE = (
    "The Kingfisher Data Centre in Liangjiang went into service with 18,000 server racks, the "
    "operator said on Tuesday. The centre draws power from a nearby hydro station and serves "
    "cloud customers across western China."
)
WEB_BOILERPLATE = [
    "We use cookies to improve your experience",
    "Subscribe to our newsletter",
    "Top 10 hotels",
]
WEB_PAGE = f"""<!doctype html><html><head><title>Kingfisher data centre opens | Chongqing Daily</title>
<meta property="og:title" content="Kingfisher data centre opens in Liangjiang">
<meta property="article:published_time" content="2024-06-11T09:00:00+08:00"></head><body>
<div class="cookie-banner">{WEB_BOILERPLATE[0]}. Accept all cookies. Manage settings.</div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/biz">Business</a></li></ul></nav>
<main><article><h1>Kingfisher data centre opens in Liangjiang</h1>
<p>{WEB_ARTICLE}</p>
<p>The second building of the centre is due in 2026 and will add 12,000 racks for artificial
intelligence training, according to the company's chief engineer.</p></article></main>
<aside><h3>Most read</h3><ul><li>{WEB_BOILERPLATE[2]} in Chongqing</li><li>Weather this week</li></ul>
<p>{WEB_BOILERPLATE[1]}!</p></aside>
<footer>Copyright 2024 Chongqing Daily. All rights reserved. Contact us | Privacy</footer></body></html>"""
WEB_QUESTION = "How many server racks does the Kingfisher Data Centre have?"


def _on_page(canvas, doc) -> None:  # type: ignore[no-untyped-def]
    """Draw the running header, footer and page number on every page."""
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawString(2 * cm, A4[1] - 1.2 * cm, RUNNING_HEADER)
    canvas.drawString(2 * cm, 1.2 * cm, RUNNING_FOOTER)
    canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
    canvas.restoreState()


def brief_pdf(paragraphs_page_1: int = 3) -> bytes:
    """Return a 3-page PDF: one column, then two columns, then a table; running header and footer."""
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    width, height = A4
    margin, gap = 2 * cm, 1 * cm
    body_h = height - 2 * margin
    col_w = (width - 2 * margin - gap) / 2
    doc = BaseDocTemplate(out, pagesize=A4, title=PDF_TITLE, author="Investment Service Centre")
    doc.addPageTemplates(
        [
            PageTemplate("one", [Frame(margin, margin, width - 2 * margin, body_h)], onPage=_on_page),
            PageTemplate(
                "two",
                [Frame(margin, margin, col_w, body_h), Frame(margin + col_w + gap, margin, col_w, body_h)],
                onPage=_on_page,
            ),
        ]
    )
    body = styles["BodyText"]
    story = [Paragraph(PDF_TITLE, styles["Title"])]
    story += [Paragraph(INTRO, body)]
    story += [Paragraph(" ".join(FILLER[i : i + 3]), body) for i in range(0, 3 * paragraphs_page_1, 3)]
    story += [NextPageTemplate("two"), PageBreak(), Paragraph("Incentives and research", styles["Heading2"])]
    story += [Paragraph(" ".join(FILLER[:6]), body), Paragraph(LEFT_COLUMN, body)]
    story += [Paragraph(" ".join(FILLER[6:]), body) for _ in range(2)]
    # A frame break puts the rest in the right-hand column.
    story += [FrameBreak(), Paragraph(RIGHT_COLUMN, body), Paragraph(" ".join(FILLER[3:9]), body)]
    story += [NextPageTemplate("one"), PageBreak(), Paragraph("Development phases", styles["Heading2"])]
    lead = "The Orchid Valley Park is built in two phases, as the table shows."
    story += [Paragraph(lead, body), Table(TABLE)]
    doc.build(story)
    return out.getvalue()


def scanned_pdf(pdf: bytes, dpi: int = 100) -> bytes:
    """Return `pdf` as a scan would give it: every page an image of `dpi`, no text layer."""
    document = pdfium.PdfDocument(pdf)
    images = [document[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(document))]
    document.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def memo_docx() -> bytes:
    """Return a Word memo with headings, paragraphs and a table (in the middle of the body)."""
    document = new_docx()
    document.core_properties.title = "Yudai cluster memo"
    document.add_heading("Yudai cluster memo", level=0)
    document.add_paragraph("This memo summarises the Yudai cluster for the investment committee.")
    document.add_heading("Transport links", level=1)
    document.add_paragraph("The Yudai cluster is twenty minutes by rail from Jiangbei airport.")
    document.add_heading(DOCX_HEADING, level=1)
    document.add_paragraph("Land prices for the plots now offered to investors are listed below.")
    table = document.add_table(rows=len(DOCX_TABLE), cols=len(DOCX_TABLE[0]))
    for r, row in enumerate(DOCX_TABLE):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    document.add_paragraph("Prices are fixed until the end of the year.")
    document.add_heading("Next steps", level=1)
    document.add_paragraph("The committee will visit the cluster in the autumn.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_test_corpus(folder: Path) -> dict[str, Path]:
    """Write the brief PDF, its scan, the Word memo and the web page into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = brief_pdf()
    files = {
        "brief": ("orchid valley brief.pdf", pdf),
        "scan": ("annual.pdf", scanned_pdf(pdf)),
        "memo": ("yudai memo.docx", memo_docx()),
        "web": ("kingfisher.html", WEB_PAGE.encode()),
    }
    paths = {}
    for key, (name, data) in files.items():
        (folder / name).write_bytes(data)
        paths[key] = folder / name
    return paths


def edit_document(path: Path, old: str, new: str) -> bytes:
    """Replace `old` by `new` in a (possibly read-only) corpus file, as a user's editor would, and
    return the new bytes. A PDF is written again, page for page, from the text the reader gets."""
    if path.suffix.lower() != ".pdf":
        text = path.read_text(encoding="utf-8")
        assert old in text
        data = text.replace(old, new).encode("utf-8")
    else:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        from chatbot.readers.pdf import read_pdf

        pages = [part.text for part in read_pdf(path.read_bytes()).parts]
        assert any(old in page for page in pages)
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # the profile's Chinese photo credits
        styles = getSampleStyleSheet()
        latin, cjk = styles["BodyText"], styles["BodyText"].clone("cjk", fontName="STSong-Light")
        out = io.BytesIO()
        doc = BaseDocTemplate(out, pagesize=A4)
        doc.addPageTemplates([PageTemplate("page", [Frame(2 * cm, 2 * cm, A4[0] - 4 * cm, A4[1] - 4 * cm)])])
        story: list = []
        for page in pages:
            story += [PageBreak()] if story else []
            lines = [line for line in page.replace(old, new).splitlines() if line.strip()]
            escaped = [line.replace("&", "&amp;").replace("<", "&lt;") for line in lines]
            story += [Paragraph(line, latin if line.isascii() else cjk) for line in escaped]
        doc.build(story)
        data = out.getvalue()
    path.chmod(0o644)
    path.write_bytes(data)
    return data
