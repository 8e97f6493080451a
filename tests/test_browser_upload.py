"""Uploading a PDF from the chat page in a real headless Chromium, then asking about its page 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.app import launch
from chatbot.pipeline import Chatbot
from tests.conftest import free_port
from tests.documents import PAGE_2_QUESTION, brief_pdf, scanned_pdf
from tests.test_browser import ANSWER_MS, CHROMIUM, CHROMIUM_ARGS, _ask, _screenshot_on_failure

pytestmark = pytest.mark.browser

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(copy_of_bundled, encoder) -> Iterator[str]:
    settings = copy_of_bundled("browser-upload", port=free_port(), uploads="anyone")
    bot = Chatbot(settings, encoder)
    demo = launch(bot, block=False)
    yield f"http://127.0.0.1:{settings.port}/"
    demo.close()


def test_a_pdf_uploaded_from_the_page_is_indexed_and_cited_by_page(server, tmp_path: Path):
    pdf, scan = tmp_path / "orchid valley brief.pdf", tmp_path / "annual.pdf"
    pdf.write_bytes(brief_pdf())
    scan.write_bytes(scanned_pdf(brief_pdf()))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(ANSWER_MS)
        page.goto(server)
        with _screenshot_on_failure(page, "upload"):
            page.get_by_text("Documents", exact=True).click()
            page.locator("#upload-files input[type=file]").set_input_files([str(pdf), str(scan)])
            # Gradio shows a file's stem and suffix in separate elements ("annual .pdf").
            expect(page.locator("#upload-files")).to_contain_text(re.compile(r"annual\s*\.pdf"))
            page.locator("#add-documents").click()
            status = page.locator("#documents-status")
            expect(status).to_contain_text("added orchid valley brief.pdf")
            expect(status).to_contain_text("annual.pdf: pages 1-3 have no text layer (scanned?)")
            _ask(page, PAGE_2_QUESTION)
            expect(page.locator("#chat [data-testid='bot']").nth(-2)).to_contain_text("35 percent")
            summary = page.locator("#chat .sources").last.locator("details.source summary").first
            expect(summary).to_contain_text("orchid valley brief.pdf")
            expect(summary).to_contain_text("p. 2")
        browser.close()
