"""Scanned PDF pages: OCR'd with the real Tesseract through ocrmypdf, indexed, cited by page,
reported, OCR'd once; left out as before with OCR off; a failed OCR loses nothing else."""

from __future__ import annotations

import io
import json
import os

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from chatbot.cli import main
from chatbot.intake import add_file
from chatbot.pipeline import Chatbot
from chatbot.readers.ocr import unavailable_reason
from chatbot.settings import Settings
from tests.documents import scanned_pdf

PORT = "The Cuntan container port on the Yangtze moved 1.3 million containers in 2023, its authority said."
WAREHOUSE = (
    "The Fenghuang Lake bonded warehouse stores 4,200 tonnes of coffee beans for roasters across "
    "western China. Its cold rooms opened in May 2024."
)
PORT_QUESTION = "How many containers did the Cuntan port move in 2023?"
WAREHOUSE_QUESTION = "How many tonnes of coffee beans does the Fenghuang Lake bonded warehouse store?"
NOTE = "page 2 had no text layer and was OCR'd (tesseract"


@pytest.fixture()
def needs_ocr() -> None:
    """Skip where Tesseract or ocrmypdf is not installed; CHATBOT_REQUIRE_OCR=1 (set by CI) makes
    that a failure instead."""
    reason = unavailable_reason(Settings.model_fields["ocr_languages"].default)
    if reason is None:
        return
    if os.environ.get("CHATBOT_REQUIRE_OCR") == "1":
        pytest.fail(f"OCR is required here (CHATBOT_REQUIRE_OCR=1) but cannot run: {reason}")
    pytest.skip(f"OCR cannot run here: {reason}")


def _text_pdf(*pages: str) -> bytes:
    """Return a born-digital PDF with one paragraph a page, in a 14-point font."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for text in pages:
        body = c.beginText(60, A4[1] - 80)
        body.setFont("Helvetica", 14)
        words, line = text.split(), ""
        for word in words:  # about 60 characters a line
            if len(line) + len(word) > 60:
                body.textLine(line)
                line = ""
            line = f"{line} {word}".strip()
        body.textLine(line)
        c.drawText(body)
        c.showPage()
    c.save()
    return out.getvalue()


def harbour_pdf() -> bytes:
    """Return a 2-page PDF: page 1 with a text layer, page 2 a 200 dpi scan of a page of text."""
    born = pdfium.PdfDocument(_text_pdf(PORT))
    scan = pdfium.PdfDocument(scanned_pdf(_text_pdf(WAREHOUSE), dpi=200))
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(born, [0])
    mixed.import_pages(scan, [0])
    out = io.BytesIO()
    mixed.save(out)
    return out.getvalue()


def _folders(settings: Settings) -> list[str]:
    return ["--corpus", str(settings.corpus), "--index", str(settings.index)]


def test_scanned_page_is_ocrd_cited_by_page_reported_and_ocrd_once(
    make_settings, needs_ocr, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("CHATBOT_OCR", "auto")
    monkeypatch.setenv("CHATBOT_OCR_CACHE_DIR", str(tmp_path / "ocr-cache"))
    settings = make_settings(copy_corpus=False)
    (settings.corpus / "harbour.pdf").write_bytes(harbour_pdf())
    capsys.readouterr()
    assert main(["index", "--quiet", *_folders(settings)]) == 0
    built = capsys.readouterr().out
    assert f"warning   harbour.pdf: {NOTE}" in built and "Documents: 1 added" in built

    assert main(["ask", "--json", WAREHOUSE_QUESTION, *_folders(settings)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "4,200 tonnes" in answer["answer"] and not answer["abstained"]
    first = answer["citations"][0]
    assert (first["doc_id"], first["page"]) == ("harbour.pdf", 2)
    assert main(["ask", "--json", PORT_QUESTION, *_folders(settings)]) == 0
    port = json.loads(capsys.readouterr().out)["citations"][0]
    assert (port["page"], PORT in port["text"]) == (1, True)  # the page with text kept as it was

    assert main(["status", *_folders(settings)]) == 0
    assert f"Warnings:  harbour.pdf ({NOTE}" in capsys.readouterr().out

    # A rebuild of the unchanged file, under a time limit no OCR can meet: had it OCR'd again it
    # would say "OCR gave up"; it reads the kept OCR'd file, whose text is the text embedded before.
    monkeypatch.setenv("CHATBOT_OCR_TIMEOUT_S", "0.001")
    assert main(["index", "--quiet", "--full", *_folders(settings)]) == 0
    rebuilt = capsys.readouterr().out
    assert f"warning   harbour.pdf: {NOTE}" in rebuilt and "OCR gave up" not in rebuilt
    assert "(0 embedded," in rebuilt


def test_with_ocr_off_a_scan_is_left_out_as_before(make_settings, encoder):
    settings = make_settings(copy_corpus=False, ocr="off")
    (settings.corpus / "annual.pdf").write_bytes(scanned_pdf(_text_pdf(WAREHOUSE, PORT), dpi=200))
    (settings.corpus / "harbour.pdf").write_bytes(harbour_pdf())
    (settings.corpus / "note.txt").write_text(PORT, encoding="utf-8")
    report = Chatbot(settings, encoder).build(progress=False)
    scan = report.plan.scan
    assert [(s.doc_id, s.reason) for s in scan.skipped] == [
        ("annual.pdf", "pages 1-2 have no text layer (scanned?)")
    ]
    assert [w.doc_id for w in scan.warnings] == ["harbour.pdf"]
    assert scan.warnings[0].reason.startswith("pages 2 have no text layer (scanned?) and were left out")
    assert sorted(report.plan.added) == ["harbour.pdf", "note.txt"]


def test_ocr_past_its_time_limit_skips_the_scan_in_one_line_and_keeps_the_rest(
    make_settings, encoder, needs_ocr, tmp_path
):
    settings = make_settings(
        copy_corpus=False, ocr="auto", ocr_timeout_s=0.01, ocr_cache_dir=tmp_path / "ocr-cache"
    )
    (settings.corpus / "annual.pdf").write_bytes(scanned_pdf(_text_pdf(WAREHOUSE), dpi=200))
    (settings.corpus / "note.txt").write_text(PORT, encoding="utf-8")
    report = Chatbot(settings, encoder).build(progress=False)
    (skipped,) = report.plan.scan.skipped
    assert (skipped.doc_id, skipped.reason) == (
        "annual.pdf", "page 1 has no text layer (scanned?); OCR gave up after 0.01 s (ocr_timeout_s)"
    )
    assert report.plan.added == ("note.txt",)


def test_uploaded_scan_is_ocrd_before_it_is_added(make_settings, needs_ocr, tmp_path):
    settings = make_settings(copy_corpus=False, ocr="auto", ocr_cache_dir=tmp_path / "ocr-cache")
    source = tmp_path / "scan.pdf"
    source.write_bytes(scanned_pdf(_text_pdf(WAREHOUSE), dpi=200))
    added = add_file(settings, "warehouse scan.pdf", source)
    assert added.doc_id == "warehouse scan.pdf"
    assert added.warnings[0].startswith("page 1 had no text layer and was OCR'd (tesseract")
    # The original is kept: the OCR'd file is only read.
    assert (settings.corpus / "warehouse scan.pdf").read_bytes() == source.read_bytes()
