"""Write corpus/003_8e53e912d7235851.pdf: the bundled socio-economic profile of Liangjiang as the
two-page brochure such profiles are published as, so `make chat` cites pages out of the box.

The text is the profile's own (../shared/corpus/003_8e53e912d7235851.txt), line for line; only
the layout is added: a running header and a page number on every page (the PDF reader drops
both) and a page break before the areas of cooperation. The bytes are the same on every run, so
rebuilding the index sees no change. Run: python docs/make_profile_pdf.py [SOURCE.txt] [OUT.pdf]
(needs reportlab, a dev dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path

from make_guide_pdf import page_furniture  # the same page furniture (run from docs/ or the repo root)
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "corpus" / "003_8e53e912d7235851.txt"
OUT = REPO / "corpus" / "003_8e53e912d7235851.pdf"
TITLE = "General Socio-economic Profile"
HEADER = "Chongqing Liangjiang New Area - General Socio-economic Profile"
PAGE_BREAK_BEFORE = "Preferred Areas of Cooperation"
# The photo credits are Chinese; a CID font needs no font file (the viewer supplies the glyphs).
CJK_FONT = "STSong-Light"


def build(source: Path = SOURCE, out: Path = OUT) -> Path:
    """Write the profile's PDF to `out` and return its path."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    cjk = ParagraphStyle("cjk", parent=body, fontName=CJK_FONT)
    width, height = A4
    frame = Frame(2 * cm, 2 * cm, width - 4 * cm, height - 4 * cm)
    doc = BaseDocTemplate(str(out), pagesize=A4, title=TITLE, author="Chongqing Liangjiang New Area",
                          invariant=1)  # fmt: skip
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=page_furniture(HEADER))])
    story: list = []
    for line in (ln.strip() for ln in source.read_text(encoding="utf-8").splitlines()):
        if not line:
            continue
        if line == PAGE_BREAK_BEFORE:
            story.append(PageBreak())
        if line == TITLE:
            story.append(Paragraph(line, styles["Title"]))
        elif line == PAGE_BREAK_BEFORE:
            story.append(Paragraph(line, styles["Heading2"]))
        else:
            escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            story.append(Paragraph(escaped, cjk if any(ord(c) > 0x2E80 for c in line) else body))
    doc.build(story)
    return out


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    print(build(*args))
