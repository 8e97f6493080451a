"""Find the passages most related to a question: dense, BM25, or both fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from chatbot.aids import AidsCache, IndexAids
from chatbot.settings import Settings
from chatbot.stores import IndexVersion as LoadedIndex
from chatbot.types import Hit

if TYPE_CHECKING:
    from chatbot.query import Query

__all__ = ["AidsCache", "BM25Retriever", "DenseRetriever", "HybridRetriever", "IndexAids", "make_retriever"]


class Retriever(Protocol):
    """Ranks the chunks of an index for one question."""

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` best chunks for `query` (its vector and search terms), best first, ranked from 1."""
        ...


def _hits(index: LoadedIndex, ranked: list[tuple[int, float]], k: int) -> list[Hit]:
    ranked = ranked[:k]
    chunks = index.chunks_of([row for row, _ in ranked])  # only these passages are read
    pairs = zip(chunks, ranked, strict=True)
    return [Hit(chunk=c, score=score, rank=i + 1) for i, (c, (_, score)) in enumerate(pairs)]


class DenseRetriever:
    """Cosine search in the vector store (exact FAISS, or HNSW in FAISS or pgvector)."""

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` chunks nearest to `query`, scored by cosine."""
        return _hits(index, index.search(query.vector, k), k)


class BM25Retriever:
    """BM25 over the chunk texts with the English + Chinese-bigram tokenizer."""

    def __init__(self, aids: AidsCache) -> None:
        self.aids = aids

    def ranked(self, terms: Sequence[str], index: LoadedIndex, k: int) -> list[tuple[int, float]]:
        """Return (row, BM25 score) of the `k` best chunks with a positive score, best first."""
        return self.aids.get(index).bm25(terms, k)

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` chunks with the highest BM25 score."""
        return _hits(index, self.ranked(query.search_terms, index, k), k)


class HybridRetriever:
    """Dense and BM25 rankings fused by weighted reciprocal rank: sum of w / (rrf_k + rank)."""

    def __init__(self, aids: AidsCache, settings: Settings) -> None:
        self.bm25 = BM25Retriever(aids)
        self.settings = settings

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` chunks with the highest fused score."""
        s = self.settings
        fused: dict[int, float] = {}
        rankings = (
            (index.search(query.vector, s.candidates), s.dense_weight),
            (self.bm25.ranked(query.search_terms, index, s.candidates), 1 - s.dense_weight),
        )
        for ranking, weight in rankings:
            for rank, (row, _) in enumerate(ranking, 1):
                fused[row] = fused.get(row, 0.0) + weight / (s.rrf_k + rank)
        ranked = sorted(fused.items(), key=lambda rs: rs[1], reverse=True)
        return _hits(index, ranked, k)


def make_retriever(settings: Settings, aids: AidsCache) -> Retriever:
    """Return the retriever named by `settings.retrieval`."""
    if settings.retrieval == "dense":
        return DenseRetriever()
    if settings.retrieval == "bm25":
        return BM25Retriever(aids)
    return HybridRetriever(aids, settings)
