"""Adding a document to the corpus folder and deleting one, safely (no Gradio here: see upload.py)."""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from chatbot.corpus import content_hash, iter_corpus_files, size_limit, to_document
from chatbot.durable import fsync_dir
from chatbot.readers import UnreadableDocument, read
from chatbot.readers.ocr import make_ocr
from chatbot.settings import Settings

# What the chat page takes (the corpus folder also reads .markdown, .text and .htm).
UPLOAD_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".txt", ".md")
MAX_NAME_CHARS = 120
# Letters and digits of any script, spaces and a few punctuation marks: nothing a shell, a URL
# or another operating system reads specially.
_SAFE_NAME = re.compile(r"^[\w][\w .,()&+'-]*$")


class Refused(ValueError):
    """A file that is not added (or a document that is not deleted); the message says why."""


@dataclass(frozen=True)
class Added:
    """A file saved into the corpus, with what reading it warned of (pages left out)."""

    doc_id: str
    warnings: tuple[str, ...]


def safe_name(name: str) -> str:
    """Return `name` as the corpus file name it will have, NFC-normalised.

    Raises Refused for a path (any folder part, "..", a drive), a hidden or odd name, or a type
    the page does not take.
    """
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise Refused("The file has no name.")
    if "/" in name or "\\" in name or ":" in name or name in (".", ".."):
        raise Refused(f"{name}: a file name, not a path, please (no folders, '..' or drives).")
    if len(name) > MAX_NAME_CHARS:
        raise Refused(f"{name[:40]}…: the name is longer than {MAX_NAME_CHARS} characters.")
    if not _SAFE_NAME.match(name) or ".." in name:
        raise Refused(
            f"{name}: the name may only hold letters, digits, spaces and . , ( ) & + ' - "
            "and must start with a letter or digit."
        )
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise Refused(f"{name}: unsupported file type; add {', '.join(UPLOAD_SUFFIXES)} files.")
    return name


def add_file(settings: Settings, name: str, source: Path) -> Added:
    """Save the file at `source` into the corpus folder as `name` (see safe_name) and return it.

    The file is read first, as the index will read it (scanned pages OCR'd where OCR is on and
    installed): one that cannot be (scanned without OCR, encrypted, damaged, empty, over the
    size limit), a name already in the corpus (in any case) and the same content under another
    name are refused with the reason. Nothing is written then; the
    new file appears whole or not at all.
    """
    name = safe_name(name)
    corpus = settings.corpus
    suffix = Path(name).suffix.lower()
    limit = size_limit(suffix, settings.max_document_bytes, settings.max_binary_document_bytes)
    size = source.stat().st_size
    if size > limit:
        raise Refused(f"{name}: too large ({size:,} bytes; the limit is {limit:,}).")
    data = source.read_bytes()
    existing = dict(iter_corpus_files(corpus))
    clash = next((d for d in existing if d.lower() == name.lower()), None)
    if clash:
        raise Refused(f"{name}: the corpus already has {clash}; delete it first or rename the file.")
    digest = content_hash(data)
    for doc_id, path in existing.items():
        if path.is_file() and path.stat().st_size == len(data) and content_hash(path.read_bytes()) == digest:
            raise Refused(f"{name}: the same file is already in the corpus as {doc_id}.")
    try:
        if not data.strip():
            raise UnreadableDocument("empty file")
        result = read(data, suffix, make_ocr(settings))  # the OCR cache then spares the build OCR
        to_document(name, result, digest)
    except UnreadableDocument as exc:
        raise Refused(f"{name}: {exc}.") from exc
    _write_new(corpus, name, data)
    return Added(name, result.warnings)


def _write_new(corpus: Path, name: str, data: bytes) -> None:
    """Write `data` to corpus/name all at once, never over an existing file."""
    corpus.mkdir(parents=True, exist_ok=True)
    tmp = corpus / f".upload-{uuid.uuid4().hex}"  # hidden: a build running now does not read it
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, corpus / name)  # fails, rather than replacing, if the name appeared meanwhile
        except FileExistsError as exc:
            raise Refused(f"{name}: the corpus already has a file of that name.") from exc
        fsync_dir(corpus)
    finally:
        tmp.unlink(missing_ok=True)


def remove_file(settings: Settings, doc_id: str) -> None:
    """Delete the corpus document `doc_id` (its path relative to the corpus folder).

    Raises Refused for anything that is not one of the corpus's documents.
    """
    documents = dict(iter_corpus_files(settings.corpus))
    path = documents.get(doc_id)
    if path is None:
        raise Refused(f"{doc_id}: no such document in the corpus.")
    root = settings.corpus.resolve()
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        raise Refused(f"{doc_id}: not a file of the corpus folder itself; remove it on the server.")
    path.unlink()
    fsync_dir(path.parent)


def corpus_documents(settings: Settings) -> list[str]:
    """Return the document ids of the corpus folder, sorted (what may be deleted)."""
    return [doc_id for doc_id, _ in iter_corpus_files(settings.corpus)] if settings.corpus.is_dir() else []
