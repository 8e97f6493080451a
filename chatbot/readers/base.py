"""What every format reader returns, and the one error they raise."""

from __future__ import annotations

from dataclasses import dataclass


class UnreadableDocument(ValueError):
    """A file that cannot be turned into text; the message says why, in one line."""


@dataclass(frozen=True)
class ReadPart:
    """Raw text of one page (PDF) or one section under a heading (Word), before cleaning."""

    text: str
    page: int | None = None
    page_label: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class ReadResult:
    """The raw text of a file in reading order, with what its own metadata says.

    `parts` is one part for formats without pages or sections (text, web pages). `title` and
    `date` are None when the file does not say (the cleaner then finds them in the text).
    `warnings` are things the user should know although the file was read (pages skipped, OCR).
    """

    parts: tuple[ReadPart, ...]
    title: str | None = None
    date: str | None = None
    warnings: tuple[str, ...] = ()
    paged: bool = False  # parts are pages or sections that citations name


def table_row(cells: tuple[str, ...] | list[str], header: tuple[str, ...] | list[str] | None) -> str:
    """Return a table row as one line, each cell named by its column's header when there is one
    ("Phase: Phase two | Investment: 19 billion yuan"), so that the row alone says what it means
    to a question ("How much is invested in phase two?") and to a reader of the passage.

    A row under a header ends with a full stop: it is then a statement an answer may quote.
    """
    if header is None or len(header) != len(cells):
        return " | ".join(cells)
    row = " | ".join(f"{h}: {c}" if h and h != c else c for h, c in zip(header, cells, strict=True))
    return row if row.endswith((".", "!", "?", "。")) else row + "."


def page_ranges(pages: list[int]) -> str:
    """Return 1-based page numbers as ranges ("1-3, 7"), for messages."""
    out: list[str] = []
    for p in sorted(set(pages)):
        if out and out[-1].split("-")[-1] == str(p - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{p}"
        else:
            out.append(str(p))
    return ", ".join(out)
