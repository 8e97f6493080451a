"""What answering needs of an index version beside its vector search: the rarity of terms, BM25,
and the candidates' vectors and term sets, kept in memory or asked of the database.

FAISS versions live in this process, so their BM25 (bm25s) and vectors are built in memory once
per version (MemoryAids). A version in PostgreSQL answers these in SQL for one question's terms
and candidates (DatabaseAids), so a chat server holds nothing per passage and the index need not
fit in its RAM.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from chatbot.embedding import Vectors
from chatbot.lexical import LexicalIndex, term_set
from chatbot.settings import Settings
from chatbot.stores import IndexVersion
from chatbot.types import Chunk

# Term rarities a database-backed version remembers (terms, not passages: bounded by vocabulary).
_IDF_CACHE = 50_000


class IndexAids(Protocol):
    """Lexical statistics and passage vectors of one index version."""

    @property
    def version(self) -> str:
        """Return the name of the version these aids describe."""
        ...

    def idf(self, term: str) -> float:
        """Return the BM25 idf of `term` (the rarest value for a term no passage contains)."""
        ...

    def idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """Return the idf of each of `terms` (one look-up for all)."""
        ...

    def bm25(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Return (row, score) of the `k` passages with the highest positive BM25 score, best first."""
        ...

    def vectors_of(self, chunk_ids: Sequence[str]) -> Vectors:
        """Return the vectors of these passages, in the order asked."""
        ...

    def term_sets_of(self, chunks: Sequence[Chunk]) -> list[frozenset[str]]:
        """Return the set of BM25 terms of each passage (as lexical.term_set gives)."""
        ...


@runtime_checkable
class SearchesText(Protocol):
    """An index version that ranks and counts terms itself (the PostgreSQL one, in SQL)."""

    def bm25(self, terms: Sequence[str], k: int, k1: float, b: float) -> list[tuple[int, float]]:
        """Return (row, BM25 score) of the `k` best passages."""
        ...

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Return how many passages contain each term (terms in none left out)."""
        ...

    def stats(self) -> tuple[float, float]:
        """Return the number of passages and their mean length in terms."""
        ...

    def vectors_of(self, chunk_ids: Sequence[str]) -> Vectors:
        """Return the vectors of these passages, in the order asked."""
        ...


class MemoryAids:
    """BM25, term sets and every vector of a version held in this process, built once per version."""

    def __init__(self, index: IndexVersion, k1: float, b: float) -> None:
        self._version = index.version
        self.lexical = LexicalIndex([c.text for c in index.chunks], k1, b)
        self.vectors: Vectors = index.all_vectors()
        self.row = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    @property
    def version(self) -> str:
        return self._version

    def idf(self, term: str) -> float:
        """Return the BM25 idf of `term`."""
        return self.lexical.idf(term)

    def idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """Return the idf of each of `terms`."""
        return {t: self.lexical.idf(t) for t in terms}

    def bm25(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Return (row, score) of the `k` best passages by bm25s (ties in row order)."""
        if k <= 0:
            return []
        scores = self.lexical.scores(terms)
        rows = np.flatnonzero(scores > 0)
        if len(rows) > k:
            # Only passages scoring at least the k-th best can be among the k (ties kept, so the
            # order below is the full sort's): sorting all of them took ~0.5 s at 1M passages.
            kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
            rows = rows[scores[rows] >= kth]
        rows = rows[np.argsort(-scores[rows], kind="stable")][:k]
        return [(int(r), float(scores[r])) for r in rows]

    def vectors_of(self, chunk_ids: Sequence[str]) -> Vectors:
        """Return the vectors of these passages, in the order asked."""
        return self.vectors[[self.row[c] for c in chunk_ids]]

    def term_sets_of(self, chunks: Sequence[Chunk]) -> list[frozenset[str]]:
        """Return the term set of each passage, computed when the version was loaded."""
        return [self.lexical.term_sets[self.row[c.chunk_id]] for c in chunks]


class DatabaseAids:
    """The same, asked of the database per question: postings, frequencies and vectors stay there."""

    def __init__(self, index: IndexVersion, searches: SearchesText, k1: float, b: float) -> None:
        self._version = index.version
        self.index = searches
        self.k1 = k1
        self.b = b
        self._idf: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self._version

    def idf(self, term: str) -> float:
        """Return the BM25 idf of `term`."""
        return self.idfs([term])[term]

    def idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """Return the idf of each of `terms`, with the formula of LexicalIndex.idf, from document
        frequencies read in one query (and remembered, since questions share their terms)."""
        wanted = list(dict.fromkeys(terms))
        with self._lock:
            unknown = [t for t in wanted if t not in self._idf]
        if unknown:
            n = max(1.0, self.index.stats()[0])
            df = self.index.document_frequencies(unknown)
            rarest = math.log(1 + (n - 1 + 0.5) / (1 + 0.5))
            found = {
                t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) if t in df else rarest for t in unknown
            }
            with self._lock:
                if len(self._idf) > _IDF_CACHE:
                    self._idf.clear()
                self._idf.update(found)
        with self._lock:
            return {t: self._idf[t] for t in wanted}

    def bm25(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Return (row, score) of the `k` best passages, ranked in SQL."""
        return self.index.bm25(terms, k, self.k1, self.b)

    def vectors_of(self, chunk_ids: Sequence[str]) -> Vectors:
        """Return the vectors of these passages, read from the database."""
        return self.index.vectors_of(chunk_ids)

    def term_sets_of(self, chunks: Sequence[Chunk]) -> list[frozenset[str]]:
        """Return the term set of each passage, from its text."""
        return [term_set(c.text) for c in chunks]


def make_aids(index: IndexVersion, k1: float, b: float) -> IndexAids:
    """Return the aids of `index`: asked of it when it searches text itself, else built in memory."""
    if isinstance(index, SearchesText):
        return DatabaseAids(index, index, k1, b)
    return MemoryAids(index, k1, b)


class AidsCache:
    """Makes the aids once per loaded index version and keeps only the latest."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._aids: IndexAids | None = None
        self._lock = threading.Lock()

    def get(self, index: IndexVersion) -> IndexAids:
        """Return the aids of `index`, making them if its version is new."""
        with self._lock:
            if self._aids is None or self._aids.version != index.version:
                self._aids = make_aids(index, self.settings.bm25_k1, self.settings.bm25_b)
            return self._aids
