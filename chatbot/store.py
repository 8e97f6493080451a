"""The on-disk FAISS index under its historical name: see chatbot/stores/ for the store interface."""

from chatbot.stores.common import (
    FORMAT_VERSION,
    KEEP_OLD_VERSIONS,
    DocRecord,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    IndexSpec,
    Manifest,
    StoreUnavailable,
    new_version_name,
)
from chatbot.stores.faiss_store import (
    CACHE,
    CHUNKS,
    CURRENT,
    MANIFEST,
    VECTORS,
    VERSIONS,
    EmbeddingCache,
    LoadedIndex,
    current_version,
    load_index,
    prune_versions,
    read_manifest,
    write_version,
)

__all__ = [
    "CACHE", "CHUNKS", "CURRENT", "FORMAT_VERSION", "KEEP_OLD_VERSIONS", "MANIFEST", "VECTORS", "VERSIONS",
    "DocRecord", "EmbeddingCache", "IndexCorrupt", "IndexMismatch", "IndexMissing", "IndexSpec",
    "LoadedIndex", "Manifest", "StoreUnavailable", "current_version", "load_index", "new_version_name",
    "prune_versions", "read_manifest", "write_version",
]
