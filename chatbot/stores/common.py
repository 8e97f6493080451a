"""What every vector store shares: the manifest of an index version, its spec, and the errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from chatbot.types import ChunkBoundaries

FORMAT_VERSION = 1
# Older versions kept beside the live one so that a reader that has just opened one can finish.
KEEP_OLD_VERSIONS = 1

_CUT_AT: dict[ChunkBoundaries, str] = {"sentences": "sentence ends", "words": "any space"}


class IndexSpec(BaseModel, frozen=True):
    """What an index was built with; a loaded index must match the running settings."""

    model_id: str
    dim: int
    chunk_tokens: int
    chunk_overlap_tokens: int
    # Defaulted so that manifests written before the setting existed still match their settings.
    chunk_boundaries: ChunkBoundaries = "sentences"
    # "" for the default boilerplate patterns, else their digest (indexer.index_spec).
    boilerplate: str = ""

    def describe(self) -> str:
        """Return a one-line human description."""
        return (
            f"model {self.model_id} ({self.dim}-d), chunks of {self.chunk_tokens} tokens "
            f"with {self.chunk_overlap_tokens} overlap, cut at {_CUT_AT[self.chunk_boundaries]}"
        )


class DocRecord(BaseModel, frozen=True):
    """One indexed document as the manifest records it."""

    content_hash: str
    title: str
    date: str | None
    chunks: int


class Manifest(BaseModel, frozen=True):
    """Everything needed to judge an index: spec, documents by hash, when it was built."""

    format: int = FORMAT_VERSION
    version: str
    built_at: str
    spec: IndexSpec
    documents: dict[str, DocRecord]
    chunk_count: int
    skipped: list[dict[str, str]] = []


class IndexMissing(FileNotFoundError):
    """No built index in the folder."""


class IndexMismatch(ValueError):
    """The index was built with other settings than the running ones."""


class IndexCorrupt(ValueError):
    """An index version is unreadable or inconsistent."""


class BuildLocked(RuntimeError):
    """Another build holds the index lock."""


class StoreUnavailable(ConnectionError):
    """The database holding the index cannot be reached; the message names it without a password."""


def new_version_name() -> str:
    """Return a sortable, unique version name (UTC time to the microsecond plus a random suffix).

    Microseconds keep two builds in the same second in order, which pruning relies on.
    """
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


def check_manifest(manifest: Manifest, spec: IndexSpec, where: str) -> None:
    """Raise IndexMismatch unless `manifest` was written by this program with `spec`."""
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index in {where} has format {manifest.format}, this program reads "
            f"{FORMAT_VERSION}: rebuild it with `chatbot index --full`."
        )
    if manifest.spec != spec:
        raise IndexMismatch(
            f"The index in {where} was built with {manifest.spec.describe()}, but the settings "
            f"ask for {spec.describe()}: rebuild it with `chatbot index --full`."
        )
