"""Find the documents under the corpus folder, read them safely and clean them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chatbot.clean import Boilerplate, clean_text
from chatbot.readers import (
    BINARY_SUFFIXES,
    HTML_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    ReadResult,
    UnreadableDocument,
    read,
)
from chatbot.readers.ocr import Ocr
from chatbot.readers.text import decode
from chatbot.types import Document, Part, SkippedFile

log = logging.getLogger(__name__)

# Re-exported: callers name the formats and the error through this module.
__all__ = [
    "BINARY_SUFFIXES", "HTML_SUFFIXES", "SUPPORTED_SUFFIXES", "TEXT_SUFFIXES", "CorpusScan",
    "UnreadableDocument", "content_hash", "decode", "iter_corpus_files", "read_document", "scan_corpus",
]
# Under this many characters of prose a "document" is a stub with nothing to cite.
MIN_DOCUMENT_CHARS = 20
PARAGRAPH = "\n\n"


@dataclass(frozen=True)
class CorpusScan:
    """The usable documents of a corpus and the files that were skipped, with reasons.

    `warnings` name documents that were read but not whole (a PDF's scanned pages left out) or
    not as they are (scanned pages OCR'd).
    """

    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]
    warnings: tuple[SkippedFile, ...] = ()


def content_hash(data: bytes) -> str:
    """Return the hex SHA-256 of raw bytes (what decides whether a document changed)."""
    return hashlib.sha256(data).hexdigest()


def iter_corpus_files(corpus: Path) -> Iterator[tuple[str, Path]]:
    """Yield (doc_id, path) for every candidate file, sorted, hidden files excluded."""
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts) or path.is_dir():
            continue
        yield rel.as_posix(), path


def size_limit(suffix: str, max_bytes: int, max_binary_bytes: int | None) -> int:
    """Return the largest file of this type that is read: PDF and Word files have their own limit
    (their bytes are mostly fonts, layout and images), other formats `max_bytes`."""
    if suffix.lower() in BINARY_SUFFIXES and max_binary_bytes is not None:
        return max_binary_bytes
    return max_bytes


def to_document(doc_id: str, result: ReadResult, digest: str, own: Boilerplate = Boilerplate()) -> Document:  # noqa: B008
    """Return the cleaned document of a file's raw text; pages and sections keep their offsets.

    Raises UnreadableDocument when nothing readable is left after cleaning.
    """
    fallback = Path(doc_id).stem
    parts: tuple[Part, ...]
    if not result.paged:
        cleaned = clean_text(result.parts[0].text if result.parts else "", fallback, own)
        text, parts = cleaned.text, ()
    else:
        texts: list[str] = []
        spans: list[Part] = []
        pos = 0
        for part in result.parts:
            piece = clean_text(part.text, fallback, own).text
            if not piece:
                continue
            if texts:
                pos += len(PARAGRAPH)
            spans.append(Part(pos, pos + len(piece), part.page, part.page_label, part.section))
            texts.append(piece)
            pos += len(piece)
        text, parts = PARAGRAPH.join(texts), tuple(spans)
        cleaned = clean_text(text, fallback, own)  # the title and date of the whole
    if len(text) < MIN_DOCUMENT_CHARS:
        raise UnreadableDocument("no readable text after cleaning")
    return Document(
        doc_id=doc_id,
        title=result.title or cleaned.title,
        date=result.date or cleaned.date,
        text=text,
        content_hash=digest,
        parts=parts,
    )


def read_file(
    doc_id: str,
    path: Path,
    max_bytes: int,
    max_binary_bytes: int | None = None,
    own: Boilerplate = Boilerplate(),  # noqa: B008
    ocr: Ocr | None = None,
) -> tuple[Document, tuple[str, ...]]:
    """Return the cleaned document at `path` and the warnings of its reading (pages left out or
    OCR'd with `ocr`). Its content hash is that of the file's own bytes, OCR'd or not.

    Raises UnreadableDocument with a user-facing reason when it cannot be used.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type '{suffix or 'none'}'")
    size = path.stat().st_size
    limit = size_limit(suffix, max_bytes, max_binary_bytes)
    if size > limit:
        raise UnreadableDocument(f"too large ({size:,} bytes; the limit is {limit:,})")
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableDocument("empty file")
    result = read(data, suffix, ocr)
    return to_document(doc_id, result, content_hash(data), own), result.warnings


def read_document(doc_id: str, path: Path, max_bytes: int, max_binary_bytes: int | None = None) -> Document:
    """Return the cleaned document at `path`.

    Raises UnreadableDocument with a user-facing reason when it cannot be used.
    """
    return read_file(doc_id, path, max_bytes, max_binary_bytes)[0]


def _inside(path: Path, root: Path) -> bool:
    """Return True when the symbolic link `path` ends at a file under `root` (False for a loop)."""
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        return False


def scan_corpus(
    corpus: Path,
    max_bytes: int,
    max_binary_bytes: int | None = None,
    own: Boilerplate = Boilerplate(),  # noqa: B008
    ocr: Ocr | None = None,
) -> CorpusScan:
    """Return every usable document under `corpus` and the skipped files with their reasons.

    `max_binary_bytes` is the size limit of PDF and Word files (default: `max_bytes`); `own` is the
    corpus's own boilerplate (settings.cleaning()); `ocr` OCRs scanned PDF pages (make_ocr(settings)).
    """
    if not corpus.is_dir():
        raise FileNotFoundError(f"Corpus folder {corpus} does not exist: create it or pass --corpus.")
    root = corpus.resolve()
    docs: list[Document] = []
    skipped: list[SkippedFile] = []
    warnings: list[SkippedFile] = []
    for doc_id, path in iter_corpus_files(corpus):
        try:
            if path.is_symlink() and not _inside(path, root):
                raise UnreadableDocument("symbolic link pointing outside the corpus, to nothing or in a loop")
            if not path.is_file():
                raise UnreadableDocument("not a regular file")
            doc, notes = read_file(doc_id, path, max_bytes, max_binary_bytes, own, ocr)
        except (UnreadableDocument, OSError) as exc:
            reason = str(exc) if isinstance(exc, UnreadableDocument) else f"cannot read: {exc.strerror}"
            log.warning("Skipped %s: %s", doc_id, reason)
            skipped.append(SkippedFile(doc_id, reason))
            continue
        for note in notes:
            log.warning("%s: %s", doc_id, note)
            warnings.append(SkippedFile(doc_id, note))
        docs.append(doc)
    return CorpusScan(tuple(docs), tuple(skipped), tuple(warnings))
