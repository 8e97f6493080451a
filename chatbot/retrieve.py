"""Find the passages most related to a question in the live index."""

from __future__ import annotations

from typing import Protocol

from chatbot.embedding import Vectors
from chatbot.store import LoadedIndex
from chatbot.types import Hit


class Retriever(Protocol):
    """Ranks the chunks of an index for one question."""

    def retrieve(self, question: str, query: Vectors, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` best chunks, best first, with 1-based ranks."""
        ...


class DenseRetriever:
    """Exact cosine search over the FAISS vectors."""

    def retrieve(self, question: str, query: Vectors, index: LoadedIndex, k: int) -> list[Hit]:
        return [
            Hit(chunk=index.chunks[row], score=score, rank=i + 1)
            for i, (row, score) in enumerate(index.search(query, k))
        ]
