"""Find the passages most related to a question: dense, BM25, or both fused by reciprocal rank."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from chatbot.embedding import Vectors
from chatbot.lexical import LexicalIndex
from chatbot.settings import Settings
from chatbot.stores import IndexVersion as LoadedIndex
from chatbot.types import Hit

if TYPE_CHECKING:  # query.py weighs the question's terms with IndexAids, defined here
    from chatbot.query import Query


class IndexAids:
    """What retrieval and answering need beside the vector store, per index version: BM25, vectors."""

    def __init__(self, index: LoadedIndex, k1: float, b: float) -> None:
        self.version = index.version
        self.lexical = LexicalIndex([c.text for c in index.chunks], k1, b)
        self.vectors: Vectors = index.all_vectors()
        self.row = {c.chunk_id: i for i, c in enumerate(index.chunks)}


class AidsCache:
    """Builds IndexAids once per loaded index version and keeps only the latest."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._aids: IndexAids | None = None
        self._lock = threading.Lock()

    def get(self, index: LoadedIndex) -> IndexAids:
        """Return the aids of `index`, building them if its version is new."""
        with self._lock:
            if self._aids is None or self._aids.version != index.version:
                self._aids = IndexAids(index, self.settings.bm25_k1, self.settings.bm25_b)
            return self._aids


class Retriever(Protocol):
    """Ranks the chunks of an index for one question."""

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` best chunks for `query` (its vector and search terms), best first, ranked from 1."""
        ...


def _hits(index: LoadedIndex, ranked: list[tuple[int, float]], k: int) -> list[Hit]:
    return [
        Hit(chunk=index.chunks[row], score=score, rank=i + 1) for i, (row, score) in enumerate(ranked[:k])
    ]


class DenseRetriever:
    """Cosine search in the vector store (exact FAISS, or HNSW in FAISS or pgvector)."""

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` chunks nearest to `query`, scored by cosine."""
        return _hits(index, index.search(query.vector, k), k)


class BM25Retriever:
    """BM25 over the chunk texts with the English + Chinese-bigram tokenizer."""

    def __init__(self, aids: AidsCache) -> None:
        self.aids = aids

    def ranked(self, terms: Sequence[str], index: LoadedIndex) -> list[tuple[int, float]]:
        """Return (row, BM25 score) for every chunk with a positive score, best first."""
        scores = self.aids.get(index).lexical.scores(terms)
        rows = np.flatnonzero(scores > 0)
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return [(int(r), float(scores[r])) for r in rows]

    def retrieve(self, query: Query, index: LoadedIndex, k: int) -> list[Hit]:
        """Return the `k` chunks with the highest BM25 score."""
        return _hits(index, self.ranked(query.search_terms, index), k)


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
            (self.bm25.ranked(query.search_terms, index)[: s.candidates], 1 - s.dense_weight),
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
