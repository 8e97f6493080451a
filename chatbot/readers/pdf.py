"""PDF files, page by page with PDFium (pypdfium2): text in reading order, each page's number
and printed label kept, running headers, footers and page numbers dropped, scans detected."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from chatbot.readers.base import ReadPart, ReadResult, UnreadableDocument, page_ranges, table_row
from chatbot.readers.ocr import ENGINE, Ocr, Ocred, OcrFailed

# Lines at the top or bottom of a page that are looked at for running headers and footers.
EDGE_LINES = 3
# A line (digits aside) at the edge of at least this share of the pages, and of 2 pages at
# least, is a running header or footer ("Liangjiang Investment Guide 2024", "Page 3 of 12").
RUNNING_SHARE = 0.5
# A line this long or longer is never a running header: that is prose that repeats.
MAX_RUNNING_CHARS = 120
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*(?:(?:of|/)\s*\d{1,4})?\s*[-–—]?$", re.I
)
_DIGITS = re.compile(r"\d+")
# Two runs of text on one line further apart than this share of the font's height are table
# cells (a word space is about 0.25 of it; reportlab and office tables pad cells by 1 or more).
CELL_GAP = 0.5
# Lines whose vertical gap is at most this share of the font's height belong to one paragraph;
# paragraph spacing and headings leave more.
LINE_GAP = 0.3
# A line is full (its paragraph goes on) when the next line's first word would have taken it to
# within this many font heights of its column's right edge.
FULL_LINE_SLACK = 2.5
CELL_SEPARATOR = " | "
_SOFT_HYPHENS = ("\x02", "\u00ad")  # PDFium marks a hyphen it saw at a line break with \x02
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_PDFIUM_REASONS = {
    "password": "encrypted PDF (it needs a password to open)",
    "format": "damaged or not a PDF (PDFium: data format error)",
    "file": "damaged or truncated PDF (PDFium: file error)",
    "security": "PDF protected by an unsupported security handler",
}


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        reason = next((r for key, r in _PDFIUM_REASONS.items() if key in message), None)
        raise UnreadableDocument(reason or f"unreadable PDF ({exc})") from exc


def _has_image(page: pdfium.PdfPage) -> bool:
    return any(obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=2))


def _edge_key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lower().split()))


def _edges(lines: list[Line]) -> list[int]:
    """Return the indexes of a page's first and last EDGE_LINES lines."""
    n = len(lines)
    return sorted(set(range(min(EDGE_LINES, n))) | set(range(max(0, n - EDGE_LINES), n)))


def drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """Return the pages' lines without running headers, footers and bare page numbers.

    A header is a line at a page's edge that recurs (digits aside) at the edge of most pages;
    a bare page number ("12", "- 12 -", "Page 12 of 40", "iv") is dropped at any page's edge.
    """
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = [lines[i].text for i in _edges(lines)]
        counts.update({_edge_key(text) for text in edge if len(text) < MAX_RUNNING_CHARS})
    texted = sum(1 for lines in pages if lines)
    running = {k for k, c in counts.items() if c >= max(2, RUNNING_SHARE * texted)}
    out = []
    for lines in pages:
        edges = set(_edges(lines))
        out.append(
            [
                ln for i, ln in enumerate(lines)
                if i not in edges or not (_PAGE_NUMBER.match(ln.text) or _edge_key(ln.text) in running)
            ]
        )
    return out


@dataclass(frozen=True)
class Line:
    """One line of a page as PDFium gives it: its table cells (one for prose) and its box."""

    cells: tuple[str, ...]
    left: float
    right: float
    top: float
    bottom: float
    first_word: float  # the width of its first word: would it have fitted on the line before?

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)

    @property
    def text(self) -> str:
        return CELL_SEPARATOR.join(self.cells)


def page_lines(textpage: pdfium.PdfTextPage) -> list[Line]:
    """Return a page's lines in PDFium's reading order, each split into cells where its runs of
    text are a table's width apart, with the box it fills."""
    text = textpage.get_text_range()
    lines: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        start, pos = pos, pos + len(raw) + 1
        cells: list[str] = []
        cell: list[str] = []
        prev_right: float | None = None
        box: list[float] = []
        first_word = 0.0
        for k, ch in enumerate(raw):
            if ch.isspace():
                cell.append(" ")
                if box and not first_word:
                    first_word = box[2] - box[0]
                continue
            left, bottom, right, top = textpage.get_charbox(start + k, loose=True)
            if prev_right is not None and left - prev_right > CELL_GAP * (top - bottom):
                cells.append("".join(cell))
                cell = []
            cell.append(ch)
            prev_right = right
            box = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)] if box else [
                left, bottom, right, top
            ]
        cells.append("".join(cell))
        tidy = tuple(c for c in (" ".join(c.split()) for c in cells) if c)
        if tidy:
            lines.append(Line(tidy, box[0], box[2], box[3], box[1], first_word or box[2] - box[0]))
    return lines


def _continues(line: Line, after: Line, column_right: float) -> bool:
    """Return whether `after` carries on the paragraph that `line` is in."""
    h = line.height
    return (
        len(line.cells) == 1
        and len(after.cells) == 1
        # Full: the next line's first word would not have fitted after this line's last.
        and line.right + 0.3 * h + after.first_word >= column_right - FULL_LINE_SLACK * h
        and abs(after.left - line.left) <= 3 * h  # the same column (a first line may be indented)
        and -h <= line.bottom - after.top <= LINE_GAP * h  # right below, with no paragraph space
    )


def _join(prev: str, line: str) -> str:
    if prev.endswith(_SOFT_HYPHENS):
        return prev[:-1] + line
    if prev.endswith("-") and line[:1].islower() or _CJK.match(prev[-1:]) and _CJK.match(line[:1]):
        return prev + line
    return f"{prev} {line}"


def reflow(lines: list[Line]) -> list[str]:
    """Return a page's lines as paragraphs and table rows, one a line.

    A PDF breaks a paragraph at every line end: a full line followed closely by one in the same
    column goes on into it; table rows (cells joined by " | ") and headings stay on their own.
    """
    rights: dict[int, float] = {}
    for ln in lines:  # the right edge of each column, by where its lines start
        key = round(ln.left / (3 * ln.height))
        rights[key] = max(rights.get(key, ln.right), ln.right)
    out: list[str] = []
    header: tuple[str, ...] | None = None  # the first row of the table being read
    for i, ln in enumerate(lines):
        if len(ln.cells) > 1:
            header = ln.cells if header is None or len(header) != len(ln.cells) else header
            out.append(ln.text if header is ln.cells else table_row(ln.cells, header))
            continue
        header = None
        if i and _continues(lines[i - 1], ln, rights[round(lines[i - 1].left / (3 * lines[i - 1].height))]):
            out[-1] = _join(out[-1], ln.text)
        else:
            out.append(ln.text)
    return out


def read_pdf(data: bytes, ocr: Ocr | None = None) -> ReadResult:
    """Return a PDF's text, one part per page with its number and printed label.

    Raises UnreadableDocument for an encrypted, damaged or truncated file, and for one whose
    pages have no text layer (a scan): those pages are named. A file with some scanned pages is
    read without them, with a warning naming them. With `ocr` (and OCR installed), scanned pages
    are OCR'd first and read like the others, with a warning saying so.
    """
    pdf = _open(data)
    try:
        pages: list[list[Line]] = []
        labels: list[str | None] = []
        scanned: list[int] = []
        broken: list[int] = []
        for i in range(len(pdf)):
            try:
                page = pdf[i]
                lines = page_lines(page.get_textpage())
            except pdfium.PdfiumError:
                broken.append(i + 1)
                pages.append([])
                labels.append(None)
                continue
            if not lines and _has_image(page):
                scanned.append(i + 1)
            pages.append(lines)
            labels.append(pdf.get_page_label(i) or None)
        title = (pdf.get_metadata_value("Title") or "").strip() or None
    finally:
        pdf.close()
    total = len(pages)
    if total == 0:
        raise UnreadableDocument("PDF without pages")
    failed = ""
    if scanned and ocr is not None:
        try:
            ocred = ocr.pdf(data)
        except OcrFailed as exc:
            failed = f"; {exc}"
        else:
            if ocred is not None:
                return _read_ocred(ocred, scanned)
    pages = drop_running_lines(pages)
    parts = tuple(
        ReadPart("\n".join(reflow(lines)), page=i + 1, page_label=labels[i])
        for i, lines in enumerate(pages)
        if lines
    )
    if not parts:
        if scanned:
            which, verb = ("page", "has") if len(scanned) == 1 else ("pages", "have")
            reason = f"{which} {page_ranges(scanned)} {verb} no text layer (scanned?)"
            raise UnreadableDocument(reason + failed)
        unreadable = f" (pages {page_ranges(broken)} unreadable)" if broken else ""
        raise UnreadableDocument(f"PDF without text{unreadable}")
    warnings = []
    if scanned:
        warnings.append(
            f"pages {page_ranges(scanned)} have no text layer (scanned?) and were left out; "
            f"the other {len(parts)} pages with text were indexed{failed}"
        )
    if broken:
        warnings.append(f"pages {page_ranges(broken)} could not be read (damaged?) and were left out")
    return ReadResult(parts, title=title, warnings=tuple(warnings), paged=True)


def _read_ocred(ocred: Ocred, scanned: list[int]) -> ReadResult:
    """Return the OCR'd file's text (its pages keep their numbers), its first warning saying
    which pages were OCR'd."""
    which, verb = ("page", "was") if len(scanned) == 1 else ("pages", "were")
    note = f"{which} {page_ranges(scanned)} had no text layer and {verb} OCR'd ({ENGINE}, {ocred.languages})"
    try:
        result = read_pdf(ocred.pdf)
    except UnreadableDocument as exc:
        raise UnreadableDocument(f"{exc}; OCR ({ENGINE}, {ocred.languages}) found no text on them") from exc
    return replace(result, warnings=(note, *result.warnings))
