"""Find the documents under the corpus folder, read them safely and clean them."""

from __future__ import annotations

import codecs
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from chatbot.clean import clean_text, html_to_text
from chatbot.types import Document, SkippedFile

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
# Under this many characters of prose a "document" is a stub with nothing to cite.
MIN_DOCUMENT_CHARS = 20
# Byte-order marks of the wide Unicode encodings (UTF-32 first: its LE mark starts like UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class CorpusScan:
    """The usable documents of a corpus and the files that were skipped, with reasons."""

    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]


class UnreadableDocument(ValueError):
    """A file that cannot be turned into text; the message says why."""


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


def decode(data: bytes) -> str:
    """Return the text of `data`: UTF-8 when valid, else the encoding charset-normalizer finds.

    Raises UnreadableDocument for binary data or bytes no encoding explains.
    """
    for bom, encoding in _BOMS:  # UTF-16/32 text is full of NUL bytes but is not binary
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(f"invalid {encoding} text") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise UnreadableDocument("unknown text encoding")
    return str(best)


def read_document(doc_id: str, path: Path, max_bytes: int) -> Document:
    """Return the cleaned document at `path`.

    Raises UnreadableDocument with a user-facing reason when it cannot be used.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"unsupported file type '{suffix or 'none'}'")
    size = path.stat().st_size
    if size > max_bytes:
        raise UnreadableDocument(f"too large ({size:,} bytes; the limit is {max_bytes:,})")
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableDocument("empty file")
    raw = decode(data)
    if suffix in HTML_SUFFIXES:
        raw = html_to_text(raw)
    cleaned = clean_text(raw, fallback_title=Path(doc_id).stem)
    if len(cleaned.text) < MIN_DOCUMENT_CHARS:
        raise UnreadableDocument("no readable text after cleaning")
    return Document(
        doc_id=doc_id,
        title=cleaned.title,
        date=cleaned.date,
        text=cleaned.text,
        content_hash=content_hash(data),
    )


def _inside(path: Path, root: Path) -> bool:
    """Return True when the symbolic link `path` ends at a file under `root` (False for a loop)."""
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        return False


def scan_corpus(corpus: Path, max_bytes: int) -> CorpusScan:
    """Return every usable document under `corpus` and the skipped files with their reasons."""
    if not corpus.is_dir():
        raise FileNotFoundError(f"Corpus folder {corpus} does not exist: create it or pass --corpus.")
    root = corpus.resolve()
    docs: list[Document] = []
    skipped: list[SkippedFile] = []
    for doc_id, path in iter_corpus_files(corpus):
        try:
            if path.is_symlink() and not _inside(path, root):
                raise UnreadableDocument("symbolic link pointing outside the corpus, to nothing or in a loop")
            if not path.is_file():
                raise UnreadableDocument("not a regular file")
            doc = read_document(doc_id, path, max_bytes)
        except (UnreadableDocument, OSError) as exc:
            reason = str(exc) if isinstance(exc, UnreadableDocument) else f"cannot read: {exc.strerror}"
            log.warning("Skipped %s: %s", doc_id, reason)
            skipped.append(SkippedFile(doc_id, reason))
            continue
        docs.append(doc)
    return CorpusScan(tuple(docs), tuple(skipped))
