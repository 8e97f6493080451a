"""Word documents (.docx): paragraphs, headings and tables in body order, cited by heading."""

from __future__ import annotations

import io
import zipfile

from docx import Document as open_docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from chatbot.readers.base import ReadPart, ReadResult, UnreadableDocument, table_row


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style.name if paragraph.style is not None else ""
    return bool(style) and (style.startswith("Heading") or style == "Title")


def _table_lines(table: Table) -> list[str]:
    """Return one line per table row, cells named by the first row's (merged cells said once)."""
    lines = []
    header: list[str] | None = None
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(table_row(cells, header))
            header = header or cells
    return lines


def read_word(data: bytes) -> ReadResult:
    """Return a .docx file's text as sections, each starting at a heading (DOCX has no fixed pages).

    Raises UnreadableDocument for a file that is not a Word document (or an encrypted one).
    """
    try:
        document = open_docx(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableDocument(
            "not a readable Word .docx file (damaged, encrypted or another format)"
        ) from exc
    parts: list[ReadPart] = []
    heading: str | None = None
    lines: list[str] = []

    def close() -> None:
        if any(ln.strip() for ln in lines):
            parts.append(ReadPart("\n".join(lines), section=heading))

    for block in document.iter_inner_content():  # paragraphs and tables in body order
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
            continue
        text = block.text.strip()
        if not text:
            continue
        if _is_heading(block):
            close()
            heading, lines = text, [text]
        else:
            lines.append(text)
    close()
    title = (document.core_properties.title or "").strip() or None
    return ReadResult(tuple(parts), title=title, paged=True)
