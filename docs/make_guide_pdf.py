"""Write docs/liangjiang_investment_guide.pdf: a short investor guide made from facts the corpus
documents state (sections name their sources), for a chat that shows page citations.

Not in corpus/: it restates the articles' facts, so the dev questions' listed sources no
longer rank alone (measured: hit@1 0.93 -> 0.84, see docs/formats.md); copy it into corpus/ once
eval/questions lists it as a source. Run: python docs/make_guide_pdf.py [OUT] (needs reportlab)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph, Table

OUT = Path(__file__).resolve().parent / "liangjiang_investment_guide.pdf"
TITLE = "Liangjiang New Area Investment Guide"
HEADER = "Liangjiang New Area Investment Guide - a summary for investors"

SECTIONS = [
    ("1. Where Liangjiang is", [
        "Liangjiang New Area lies in Chongqing, between the Yangtze and the Jialing rivers; its name "
        "means \"two rivers\". The State Council approved it in 2010 as the first national new area "
        "in inland China and the third in the country, after Pudong in Shanghai and Binhai in Tianjin.",
        "The area looks west and inland: its aim is to grow domestic demand in China's less-developed "
        "interior rather than to rely on international trade alone. (Sources: the 2018 Atlanta visit "
        "report and the area's socio-economic profile in this corpus.)",
    ]),
    ("2. The economy in figures", [
        "The profile gives the area's output in 2020 as RMB 367.5 billion of GDP. More than 160 "
        "Fortune 500 enterprises have come to the area, and its foreign trade and foreign capital "
        "make up over one-third of Chongqing's.",
        "About 650 square kilometres of the area are water, mountains and natural land, with more "
        "than 100 ecological parks, urban green parks and wetlands.",
    ]),
    ("3. Industries open to investors", [
        "The area describes a \"2+2+2\" industrial system: two pillar industries worth hundreds of "
        "billions of yuan (automobiles and electronic information), two industries it is cultivating "
        "(high-end equipment and biomedicine) and two integration industries (scientific and "
        "technological innovation, and modern services).",
        "Companies already in the area include General Electric, Hankook Tires and SK lithium "
        "batteries, according to the 2018 Atlanta report.",
    ]),
]
CONFERENCE = [
    ["Signed at the 2023 conference", "Projects", "Investment"],
    ["Manufacturing projects", "20", "over 24.9 billion yuan"],
    ["Service projects", "8", "5.2 billion yuan"],
    ["All projects", "28", "over 30 billion yuan"],
]
CONFERENCE_TEXT = (
    "At the 2023 Global Investment Promotion Conference, held on January 11, the area signed 28 "
    "projects and hired its first 11 global investment consultants. The projects focus on "
    "intelligent connected new energy vehicles, new-generation electronic information, life and "
    "healthcare, and high-end equipment. The table sums them up."
)
OPENING = [
    "For trade, the guide's sources name the Guoyuan port and the Lianglu Cuntan free trade port "
    "area among the area's opening-up platforms. Liangjiang is also the heartland of the "
    "China-Singapore (Chongqing) Demonstration Initiative on Strategic Connectivity and of the "
    "Chongqing Pilot Free Trade Zone.",
    "Liangjiang and the Tianfu New Area in Chengdu held their first joint conference on February 28, "
    "2020, to build an inland opening-up highland together, with cooperation on aviation and "
    "rail-water transport.",
]


def page_furniture(header: str):  # type: ignore[no-untyped-def]
    """Return the callback that draws `header` and the page number on every page."""

    def draw(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, A4[1] - 1.2 * cm, header)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def build(out: Path = OUT) -> Path:
    """Write the guide PDF to `out` and return its path."""
    styles = getSampleStyleSheet()
    width, height = A4
    frame = Frame(2 * cm, 2 * cm, width - 4 * cm, height - 4 * cm)
    doc = BaseDocTemplate(str(out), pagesize=A4, title=TITLE, author="compiled from the corpus",
                          invariant=1)  # the same bytes on every run: the index sees no change
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=page_furniture(HEADER))])
    story = [Paragraph(TITLE, styles["Title"])]
    for i, (heading, paragraphs) in enumerate(SECTIONS):
        if i == 2:
            story.append(PageBreak())
        story.append(Paragraph(heading, styles["Heading2"]))
        story += [Paragraph(p, styles["BodyText"]) for p in paragraphs]
    story += [PageBreak(), Paragraph("4. Recent investment", styles["Heading2"]),
              Paragraph(CONFERENCE_TEXT, styles["BodyText"]), Table(CONFERENCE)]
    story += [PageBreak(), Paragraph("5. Opening-up platforms", styles["Heading2"])]
    story += [Paragraph(p, styles["BodyText"]) for p in OPENING]
    doc.build(story)
    return out


if __name__ == "__main__":
    import sys

    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
