"""PDF, Word and web pages: read in reading order, cited by page or heading, bad files reported."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pypdfium2 as pdfium
import pytest
from reportlab.lib import pdfencrypt
from reportlab.pdfgen import canvas

from chatbot.corpus import scan_corpus
from chatbot.intake import Refused, safe_name
from chatbot.pipeline import Chatbot
from tests.conftest import CountingEncoder
from tests.documents import (
    DOCX_HEADING,
    DOCX_QUESTION,
    PAGE_2_QUESTION,
    PDF_TITLE,
    RUNNING_FOOTER,
    RUNNING_HEADER,
    TABLE_QUESTION,
    WEB_ARTICLE,
    WEB_BOILERPLATE,
    WEB_QUESTION,
    brief_pdf,
    scanned_pdf,
    write_test_corpus,
)

LIMIT = 5_000_000
TABLE_ROW = "Phase: Phase two | Area: 6.8 square kilometres | Investment: 19 billion yuan | Completion: 2028."


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    write_test_corpus(folder)
    return scan_corpus(folder, LIMIT)


def _doc(scan, doc_id):
    return next(d for d in scan.documents if d.doc_id == doc_id)


def _page_text(doc, page):
    part = next(p for p in doc.parts if p.page == page)
    return doc.text[part.start : part.end]


def test_pdf_is_read_by_page_in_reading_order_without_running_lines(scan):
    doc = _doc(scan, "orchid valley brief.pdf")
    assert doc.title == PDF_TITLE
    assert [p.page for p in doc.parts] == [1, 2, 3]
    for noise in (RUNNING_HEADER, RUNNING_FOOTER, "Page 2", "Page 3"):
        assert noise not in doc.text
    page2 = _page_text(doc, 2)
    # Left column before right column, and a paragraph's lines joined into one.
    assert page2.index("rent subsidy of 35 percent") < page2.index("hydrogen laboratory opened")
    assert "paid by the park's administration every quarter." in page2
    page3 = _page_text(doc, 3)
    assert TABLE_ROW in page3.split("\n\n")  # one table row, one line
    assert "rent subsidy" not in page3


def test_scanned_pdf_is_skipped_with_its_pages_named(tmp_path, caplog):
    (tmp_path / "annual.pdf").write_bytes(scanned_pdf(brief_pdf()))
    with caplog.at_level(logging.WARNING):
        result = scan_corpus(tmp_path, LIMIT)
    assert result.documents == ()
    assert result.skipped[0].reason == "pages 1-3 have no text layer (scanned?)"
    assert "Skipped annual.pdf: pages 1-3 have no text layer (scanned?)" in caplog.text


def test_partly_scanned_pdf_keeps_its_text_pages_and_warns(tmp_path):
    text, scan_ = pdfium.PdfDocument(brief_pdf()), pdfium.PdfDocument(scanned_pdf(brief_pdf()))
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(text, [0])
    mixed.import_pages(scan_, [1, 2])
    out = io.BytesIO()
    mixed.save(out)
    (tmp_path / "mixed.pdf").write_bytes(out.getvalue())
    result = scan_corpus(tmp_path, LIMIT)
    assert [p.page for p in result.documents[0].parts] == [1]
    assert "pages 2-3 have no text layer (scanned?)" in result.warnings[0].reason


def _encrypted_pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    c.drawString(100, 700, "The secret Liangjiang plan has enough words to be indexed.")
    c.save()
    return out.getvalue()


def test_encrypted_truncated_and_malformed_files_get_one_line_reasons(tmp_path):
    pdf = brief_pdf()
    bad = {
        "locked.pdf": (_encrypted_pdf(), "encrypted PDF"),
        "cut.pdf": (pdf[: len(pdf) // 2], "damaged"),
        "junk.pdf": (b"%PDF-1.7\n" + bytes(range(256)) * 8, "damaged"),
        "fake.docx": (b"PK\x03\x04 not really a zip", "not a readable Word .docx file"),
        "empty.pdf": (b"", "empty file"),
    }
    for name, (data, _) in bad.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.pdf").write_bytes(pdf)
    result = scan_corpus(tmp_path, LIMIT)
    assert [d.doc_id for d in result.documents] == ["good.pdf"]
    reasons = {s.doc_id: s.reason for s in result.skipped}
    for name, (_, reason) in bad.items():
        assert reason in reasons[name] and "\n" not in reasons[name], name


def test_word_document_keeps_body_order_tables_and_headings(scan):
    doc = _doc(scan, "yudai memo.docx")
    assert doc.title == "Yudai cluster memo"
    sections = {p.section: doc.text[p.start : p.end] for p in doc.parts}
    land = sections[DOCX_HEADING]
    assert "Plot: Yudai North | Use: Industrial | Price per square metre: 310 yuan." in land.split("\n\n")
    assert land.index("listed below") < land.index("Yudai North") < land.index("fixed until")
    assert "twenty minutes by rail" in sections["Transport links"]


def test_web_page_main_text_title_and_date_come_from_the_page(scan):
    doc = _doc(scan, "kingfisher.html")
    assert doc.title == "Kingfisher data centre opens in Liangjiang"
    assert doc.date == "2024-06-11"
    assert WEB_ARTICLE in doc.text
    for junk in WEB_BOILERPLATE + ["Accept all cookies", "All rights reserved"]:
        assert junk not in doc.text


@pytest.mark.parametrize(
    "name",
    ["../escape.pdf", "/etc/passwd.txt", "a/b.pdf", "..\\win.pdf", "C:evil.pdf", ".hidden.pdf", "a..pdf",
     "bad\x00name.pdf", "tab\tname.txt", "<script>.html", "x" * 200 + ".pdf", "program.exe", "noext", ""],
)
def test_odd_upload_names_are_refused(name):
    with pytest.raises(Refused):
        safe_name(name)


def test_safe_upload_names_are_kept():
    assert safe_name("Annual report 2024 (两江).pdf") == "Annual report 2024 (两江).pdf"
    assert safe_name("memo_v2.docx") == "memo_v2.docx"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "chatbot.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_cli_indexes_the_formats_and_cites_pages_and_headings(copy_of_bundled):
    settings = copy_of_bundled("formats-cli")  # beside the bundled documents, as a user adds them
    corpus, index = settings.corpus, settings.index
    write_test_corpus(corpus)
    folders = ["--corpus", str(corpus), "--index", str(index)]
    built = _cli("index", "--quiet", *folders)
    assert built.returncode == 0, built.stderr
    assert "skipped   annual.pdf: pages 1-3 have no text layer (scanned?)" in built.stdout
    assert "Documents: 3 added" in built.stdout
    asked = {}
    for q in (PAGE_2_QUESTION, TABLE_QUESTION, DOCX_QUESTION, WEB_QUESTION):
        run = _cli("ask", "--json", q, *folders)
        assert run.returncode == 0, run.stderr
        asked[q] = json.loads(run.stdout)
    page2 = asked[PAGE_2_QUESTION]
    assert "35 percent" in page2["answer"] and not page2["abstained"]
    assert page2["citations"][0]["doc_id"] == "orchid valley brief.pdf"
    assert page2["citations"][0]["page"] == 2
    table = asked[TABLE_QUESTION]
    assert "19 billion yuan" in table["answer"]
    assert {c["page"] for c in table["citations"] if "19 billion" in c["text"]} == {3}
    memo = asked[DOCX_QUESTION]
    assert "310 yuan" in memo["answer"] and memo["citations"][0]["section"] == DOCX_HEADING
    assert "18,000 server racks" in asked[WEB_QUESTION]["answer"]
    text = _cli("ask", PAGE_2_QUESTION, *folders).stdout
    assert "orchid valley brief.pdf, p. 2" in text


def test_changed_pdf_re_embeds_only_its_changed_page(make_settings, encoder):
    settings = make_settings(copy_corpus=False)
    (settings.corpus / "brief.pdf").write_bytes(brief_pdf())
    counting = CountingEncoder(encoder)
    bot = Chatbot(settings, counting)  # type: ignore[arg-type]
    bot.build(progress=False)
    before = {c.text_hash: c.page for c in bot.index().chunks}
    counting.passages.clear()
    (settings.corpus / "brief.pdf").write_bytes(brief_pdf(paragraphs_page_1=4))
    report = bot.build(progress=False)
    assert report.plan.changed == ("brief.pdf",)
    after = bot.index().chunks
    new = [c for c in after if c.text_hash not in before]
    assert new and {c.page for c in new} == {1}
    assert report.embedded == len({c.text_hash for c in new}) == len(set(counting.passages))
    assert report.reused == len(after) - len(new)


def test_deleting_refuses_anything_but_a_corpus_document(make_settings):
    from chatbot.intake import remove_file

    settings = make_settings()
    secret = settings.corpus.parent / "secret.txt"
    secret.write_text("not a corpus document")
    for doc_id in ("../secret.txt", "/etc/passwd", "missing.txt", ""):
        with pytest.raises(Refused):
            remove_file(settings, doc_id)
    assert secret.exists()


def test_the_investment_guide_pdf_reads_by_page():
    from tests.conftest import REPO

    guide = REPO / "docs" / "liangjiang_investment_guide.pdf"
    from chatbot.corpus import read_document

    doc = read_document(guide.name, guide, LIMIT)
    assert doc.title == "Liangjiang New Area Investment Guide"
    assert [p.page for p in doc.parts] == [1, 2, 3, 4]
    assert "a summary for investors" not in doc.text and "Page 2" not in doc.text
    page3 = next(p for p in doc.parts if p.page == 3)
    assert "Projects: 20 | Investment: over 24.9 billion yuan." in doc.text[page3.start : page3.end]
