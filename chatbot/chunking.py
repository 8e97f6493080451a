"""Split documents into sentence-aware passages measured in the encoder's own tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from chatbot.types import Chunk, ChunkBoundaries, Document, Part

# Paragraphs first, then sentences, then clauses: a chunk breaks mid-sentence only when a single
# sentence is longer than the chunk size. Chinese ends sentences with 。！？ and clauses with ；，、
# and writes no space after them, so each has its own separator beside the English one.
# "words" (for comparison) fills each chunk up to the
# size and cuts at the last space (the last character in Chinese text, which has none), wherever
# paragraphs and sentences end.
SEPARATORS: dict[ChunkBoundaries, list[str]] = {
    "sentences": ["\n\n", "\n", ". ", "。", "? ", "？", "! ", "！", "; ", "；", ", ", "，", "、", " ", ""],
    "words": [" ", ""],
}


def text_hash(text: str) -> str:
    """Return the hex SHA-256 of a chunk's text (the embedding cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_splitter(
    count_tokens: Callable[[str], int],
    chunk_tokens: int,
    overlap_tokens: int,
    boundaries: ChunkBoundaries = "sentences",
) -> RecursiveCharacterTextSplitter:
    """Return a splitter whose chunks are at most `chunk_tokens` word pieces long, cut at `boundaries`."""
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS[boundaries],
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap_tokens, chunk_tokens // 2),
        length_function=count_tokens,
        add_start_index=True,
        strip_whitespace=True,
    )


def _pieces(text: str, splitter: RecursiveCharacterTextSplitter) -> list[tuple[int, str]]:
    """Return (offset into `text`, chunk text) for each chunk of `text`."""
    out = []
    for part in splitter.create_documents([text]):
        start = int(part.metadata["start_index"])
        piece = part.page_content
        if start < 0 or text[start : start + len(piece)] != piece:
            # The splitter locates chunks with str.find; fall back to a search of our own.
            start = text.find(piece)
        out.append((start, piece))
    return out


def chunk_document(doc: Document, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    """Return the chunks of `doc`, each with character offsets into `doc.text`.

    A document with pages or sections is split one part at a time, so that every chunk lies on
    one page (or under one heading) that its citation can name, and a change to one page
    re-chunks (and re-embeds) only that page's passages.
    """
    parts = doc.parts or (Part(0, len(doc.text)),)
    chunks: list[Chunk] = []
    for part in parts:
        for offset, text in _pieces(doc.text[part.start : part.end], splitter):
            start = part.start + offset
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{len(chunks)}",
                    doc_id=doc.doc_id,
                    title=doc.title,
                    date=doc.date,
                    text=text,
                    start=start,
                    end=start + len(text),
                    text_hash=text_hash(text),
                    page=part.page,
                    page_label=part.page_label,
                    section=part.section,
                    language=doc.language,
                )
            )
    return chunks
