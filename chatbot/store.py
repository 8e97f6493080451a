"""The on-disk index: versioned FAISS vectors, chunk table and manifest, switched atomically.

Layout of the index folder:
    CURRENT                 name of the live version (replaced atomically with os.replace)
    versions/<version>/     manifest.json, chunks.jsonl, vectors.faiss
    embeddings.sqlite       cache of vectors keyed by (model id, chunk text hash)
    build.lock              held while a build runs
A build writes a new version folder beside the live one and only then repoints CURRENT, so a
build killed at any moment leaves the previous version intact and loadable.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from pydantic import BaseModel

from chatbot.durable import fsync_dir, replace, write_file
from chatbot.embedding import Vectors
from chatbot.types import Chunk, ChunkBoundaries

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
VERSIONS = "versions"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.faiss"
CACHE = "embeddings.sqlite"
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


def new_version_name() -> str:
    """Return a sortable, unique version name (UTC time to the microsecond plus a random suffix).

    Microseconds keep two builds in the same second in order, which pruning relies on.
    """
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


def current_version(index_dir: Path) -> str | None:
    """Return the live version's name, or None when nothing was built yet."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def read_manifest(index_dir: Path, version: str | None = None) -> Manifest | None:
    """Return the manifest of `version` (default: the live one), or None when there is none."""
    version = version or current_version(index_dir)
    if version is None:
        return None
    path = index_dir / VERSIONS / version / MANIFEST
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise IndexCorrupt(
            f"The index manifest {path} is unreadable ({exc}); rebuild with `chatbot index --full`."
        ) from exc


class LoadedIndex:
    """A live index version in memory: its manifest, chunk table and FAISS vectors."""

    def __init__(self, manifest: Manifest, chunks: list[Chunk], vectors: faiss.Index) -> None:
        self.manifest = manifest
        self.chunks = chunks
        self.vectors = vectors

    @property
    def version(self) -> str:
        return self.manifest.version

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """Return (row, cosine score) of the `k` nearest chunks to one normalised query vector."""
        k = min(k, len(self.chunks))
        if k == 0:
            return []
        scores, rows = self.vectors.search(np.ascontiguousarray(query.reshape(1, -1)), k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def load_index(index_dir: Path, spec: IndexSpec, version: str | None = None) -> LoadedIndex:
    """Return the live (or given) index version, checked against `spec`.

    Raises IndexMissing when nothing is built and IndexMismatch when it was built otherwise.
    """
    version = version or current_version(index_dir)
    try:
        return _load_version(index_dir, spec, version)
    except FileNotFoundError:
        # Two builds finished while this reader opened the version, and the second pruned it:
        # the live version is then the one to read.
        live = current_version(index_dir)
        if live is None or live == version:
            raise
        return _load_version(index_dir, spec, live)


def _load_version(index_dir: Path, spec: IndexSpec, version: str | None) -> LoadedIndex:
    manifest = read_manifest(index_dir, version) if version else None
    if manifest is None:
        if version and current_version(index_dir) not in (None, version):
            raise FileNotFoundError(f"Index version {version} was pruned while loading it.")
        raise IndexMissing(f"No index in {index_dir}: build it with `chatbot index`.")
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index in {index_dir} has format {manifest.format}, this program reads "
            f"{FORMAT_VERSION}: rebuild it with `chatbot index --full`."
        )
    if manifest.spec != spec:
        raise IndexMismatch(
            f"The index in {index_dir} was built with {manifest.spec.describe()}, but the settings "
            f"ask for {spec.describe()}: rebuild it with `chatbot index --full`."
        )
    folder = index_dir / VERSIONS / manifest.version
    chunks = [
        Chunk(**json.loads(line))
        for line in (folder / CHUNKS).read_text(encoding="utf-8").splitlines()
        if line
    ]
    try:
        vectors = faiss.read_index(str(folder / VECTORS))
    except RuntimeError:
        if not folder.is_dir():
            raise FileNotFoundError(f"Index version {manifest.version} was pruned while loading.") from None
        raise
    if vectors.ntotal != len(chunks) or len(chunks) != manifest.chunk_count:
        raise IndexCorrupt(
            f"Index version {manifest.version} is inconsistent ({vectors.ntotal} vectors, "
            f"{len(chunks)} chunks): rebuild it with `chatbot index --full`."
        )
    return LoadedIndex(manifest, chunks, vectors)


def write_version(
    index_dir: Path, manifest: Manifest, chunks: list[Chunk], vectors: Vectors
) -> Path:
    """Write a complete version folder, fsync it, then make it the live version atomically.

    Returns the version folder.
    """
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = versions / f".tmp-{manifest.version}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    index = faiss.IndexFlatIP(manifest.spec.dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    write_file(tmp / VECTORS, faiss.serialize_index(index).tobytes())
    rows = "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks)
    write_file(tmp / CHUNKS, rows.encode("utf-8"))
    # The manifest goes last: a folder with a manifest is complete.
    write_file(tmp / MANIFEST, manifest.model_dump_json(indent=2).encode("utf-8"))
    fsync_dir(tmp)
    final = versions / manifest.version
    replace(tmp, final)
    pointer = index_dir / f".{CURRENT}.tmp"
    write_file(pointer, manifest.version.encode("utf-8"))
    replace(pointer, index_dir / CURRENT)
    return final


def prune_versions(index_dir: Path, keep_old: int = KEEP_OLD_VERSIONS) -> list[str]:
    """Delete what no reader needs and return the deleted names.

    That is: half-written `.tmp-*` folders of killed builds, versions newer than the live one
    (a build killed between renaming its folder and switching CURRENT) and all but the `keep_old`
    most recent versions older than the live one. Call it only while holding the build lock.
    """
    versions = index_dir / VERSIONS
    live = current_version(index_dir)
    if not versions.is_dir():
        return []
    doomed: list[Path] = []
    older: list[Path] = []
    for path in sorted(versions.iterdir(), key=lambda p: p.name):
        if path.name == live:
            continue
        if path.name.startswith(".tmp-") or live is None or path.name > live:
            doomed.append(path)
        else:
            older.append(path)
    doomed += older[: max(0, len(older) - keep_old)]
    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        log.info("Removed index version folder %s", path.name)
    (index_dir / f".{CURRENT}.tmp").unlink(missing_ok=True)
    return [p.name for p in doomed]


class EmbeddingCache:
    """Vectors already computed, keyed by (model id, chunk text hash), in SQLite.

    Each batch is committed as soon as it is embedded, so a killed build loses at most one batch.
    """

    def __init__(self, path: Path, model_id: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model_id = model_id
        self.dim = dim
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, PRIMARY KEY (model, hash))"
        )

    def get_many(self, hashes: list[str]) -> dict[str, Vectors]:
        """Return the cached vectors among `hashes`."""
        found: dict[str, Vectors] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self.db.execute(
                f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})",
                [self.model_id, *part],
            ):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, hashes: list[str], vectors: Vectors) -> None:
        """Store vectors and commit."""
        self.db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
            [
                (self.model_id, h, v.astype(np.float32).tobytes())
                for h, v in zip(hashes, vectors, strict=True)
            ],
        )
        self.db.commit()

    def __len__(self) -> int:
        """Return how many vectors of this model are cached."""
        (count,) = self.db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", [self.model_id]).fetchone()
        return int(count)

    def retain_only(self, hashes: set[str]) -> int:
        """Drop this model's vectors whose text is no longer indexed; return how many."""
        stored = [h for (h,) in self.db.execute("SELECT hash FROM vectors WHERE model = ?", [self.model_id])]
        stale = [(self.model_id, h) for h in stored if h not in hashes]
        self.db.executemany("DELETE FROM vectors WHERE model = ? AND hash = ?", stale)
        self.db.commit()
        return len(stale)

    def close(self) -> None:
        self.db.close()
