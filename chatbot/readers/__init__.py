"""One reader per file format, all returning a ReadResult; `read` picks one by the file's suffix."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from chatbot.readers.base import ReadPart, ReadResult, UnreadableDocument, page_ranges

if TYPE_CHECKING:
    from chatbot.readers.ocr import Ocr

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
WORD_SUFFIXES = frozenset({".docx"})
# Formats whose bytes are mostly layout, fonts and images rather than text (their own size limit).
BINARY_SUFFIXES = PDF_SUFFIXES | WORD_SUFFIXES
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | BINARY_SUFFIXES

__all__ = [
    "BINARY_SUFFIXES", "HTML_SUFFIXES", "SUPPORTED_SUFFIXES", "TEXT_SUFFIXES",
    "ReadPart", "ReadResult", "UnreadableDocument", "page_ranges", "read",
]


def _reader(suffix: str, ocr: Ocr | None) -> Callable[[bytes], ReadResult]:
    # Imported on use: each format's library costs import time that a text-only corpus never needs.
    if suffix in PDF_SUFFIXES:
        from chatbot.readers.pdf import read_pdf

        return partial(read_pdf, ocr=ocr)
    if suffix in WORD_SUFFIXES:
        from chatbot.readers.word import read_word

        return read_word
    if suffix in HTML_SUFFIXES:
        from chatbot.readers.web import read_web_page

        return read_web_page
    from chatbot.readers.text import read_text

    return read_text


def read(data: bytes, suffix: str, ocr: Ocr | None = None) -> ReadResult:
    """Return the raw text of a file's bytes, read as the format its suffix names; a PDF's
    scanned pages are OCR'd with `ocr` where OCR is installed.

    Raises UnreadableDocument, with a one-line reason, for an unsupported suffix or a file the
    format's reader cannot read.
    """
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type '{suffix or 'none'}'")
    return _reader(suffix, ocr)(data)
