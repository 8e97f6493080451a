"""Where the index lives: one interface, two stores, chosen by `settings.vector_store`.

"faiss" (faiss_store.py) keeps versions as files in a folder on this machine; "pgvector"
(pg_store.py) keeps them in PostgreSQL, which several chat servers and replicas share. Nothing
outside this package calls FAISS or SQL for the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from chatbot.embedding import Vectors
from chatbot.settings import Settings
from chatbot.stores.common import (
    BuildLocked,
    DocRecord,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    IndexSpec,
    Manifest,
    StoreUnavailable,
    new_version_name,
)
from chatbot.types import Chunk

__all__ = [
    "BuildLocked",
    "DocRecord",
    "EmbeddingCache",
    "IndexCorrupt",
    "IndexMismatch",
    "IndexMissing",
    "IndexSpec",
    "IndexVersion",
    "Manifest",
    "StoreUnavailable",
    "VectorStore",
    "new_version_name",
    "open_store",
]


class IndexVersion(Protocol):
    """One index version, open for answering: its passages by row, searched by vector.

    Answering reads passages by row (chunks_of) for its candidates only: FAISS holds them all in
    memory, pgvector reads them from the database, so an index need not fit in a server's RAM.
    """

    @property
    def manifest(self) -> Manifest:
        """Return what the version was built with and from."""
        ...

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Return every passage, by row (pgvector reads them all from the database: for tools and
        small indexes, not for each question)."""
        ...

    def chunks_of(self, rows: Sequence[int]) -> list[Chunk]:
        """Return the passages of these rows, in the order asked."""
        ...

    @property
    def version(self) -> str:
        """Return the version's name."""
        ...

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """Return (row, cosine) of the `k` passages nearest to one normalised query vector."""
        ...

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """Return the passages with these ids, in the order asked."""
        ...

    def count(self, language: str | None = None) -> int:
        """Return how many passages the version holds (in `language` only, if given)."""
        ...

    def all_vectors(self) -> Vectors:
        """Return every passage's vector, row by row."""
        ...


class EmbeddingCache(Protocol):
    """Passage vectors already computed, by (model, text hash), so a build embeds only new text."""

    def get_many(self, hashes: list[str]) -> dict[str, Vectors]:
        """Return the cached vectors among `hashes`."""
        ...

    def put_many(self, hashes: list[str], vectors: Vectors) -> None:
        """Store vectors durably (a killed build keeps them)."""
        ...

    def retain_only(self, hashes: set[str]) -> int:
        """Drop vectors of texts no longer indexed; return how many."""
        ...

    def __len__(self) -> int:
        """Return how many vectors of this model are cached."""
        ...

    def close(self) -> None:
        """Release the cache."""
        ...


class VectorStore(Protocol):
    """Versioned storage of passages and their vectors.

    A build writes a whole new version and makes it live atomically (`write_version`); readers
    ask which version is live (`current_version`) between questions and `load` it when it changed.
    """

    def describe(self) -> str:
        """Return where the index lives (a folder, or the database without its password)."""
        ...

    def current_version(self) -> str | None:
        """Return the live version's name, or None when nothing was built yet."""
        ...

    def read_manifest(self, version: str | None = None) -> Manifest | None:
        """Return the manifest of `version` (default: the live one), or None when there is none."""
        ...

    def load(self, spec: IndexSpec, version: str | None = None) -> IndexVersion:
        """Return the live (or given) version; IndexMissing or IndexMismatch when it cannot be used."""
        ...

    def old_chunks(self, old: Manifest) -> dict[str, list[Chunk]]:
        """Return the chunks of version `old` by document, for reuse by an incremental build."""
        ...

    def write_version(self, manifest: Manifest, chunks: list[Chunk], vectors: Vectors) -> None:
        """Write a complete version and make it live atomically."""
        ...

    def prune(self) -> list[str]:
        """Delete leftovers of killed builds and all but the newest old version; return them."""
        ...

    def embedding_cache(self, model_id: str, dim: int) -> EmbeddingCache:
        """Return this store's embedding cache for one model."""
        ...

    def build_lock(self) -> AbstractContextManager[None]:
        """Return a context holding the one-writer lock; BuildLocked when another build holds it."""
        ...


def open_store(settings: Settings) -> VectorStore:
    """Return the store `settings.vector_store` names (connections are opened when first needed)."""
    if settings.vector_store == "pgvector":
        from chatbot.stores.pg_store import open_pg_store  # psycopg only where Postgres is used

        return open_pg_store(settings)
    from chatbot.stores.faiss_store import FaissStore

    return FaissStore(
        settings.index,
        settings.faiss_ann_above,
        settings.faiss_hnsw_m,
        settings.faiss_ef_construction,
        settings.faiss_ef_search,
    )
