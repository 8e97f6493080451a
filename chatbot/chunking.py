"""Split documents into sentence-aware passages measured in the encoder's own tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from chatbot.types import Chunk, ChunkBoundaries, Document

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


def chunk_document(doc: Document, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    """Return the chunks of `doc`, each with character offsets into `doc.text`."""
    chunks: list[Chunk] = []
    for i, part in enumerate(splitter.create_documents([doc.text])):
        start = int(part.metadata["start_index"])
        text = part.page_content
        if start < 0 or doc.text[start : start + len(text)] != text:
            # The splitter locates chunks with str.find; fall back to a search of our own.
            start = doc.text.find(text)
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{i}",
                doc_id=doc.doc_id,
                title=doc.title,
                date=doc.date,
                text=text,
                start=start,
                end=start + len(text),
                text_hash=text_hash(text),
                language=doc.language,
            )
        )
    return chunks
