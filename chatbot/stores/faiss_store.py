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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Literal

import faiss
import numpy as np
from filelock import FileLock, Timeout

from chatbot.durable import fsync_dir, replace, write_file
from chatbot.embedding import Vectors
from chatbot.stores.common import (
    KEEP_OLD_VERSIONS,
    BuildLocked,
    IndexCorrupt,
    IndexMissing,
    IndexSpec,
    Manifest,
    check_manifest,
)
from chatbot.types import Chunk

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
VERSIONS = "versions"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.faiss"
CACHE = "embeddings.sqlite"
LOCK = "build.lock"


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
        self._by_id: dict[str, Chunk] | None = None

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

    def count(self, language: str | None = None) -> int:
        """Return how many passages this version holds (in `language` only, if given)."""
        if language is None:
            return len(self.chunks)
        return sum(c.language == language for c in self.chunks)

    def chunks_of(self, rows: Sequence[int]) -> list[Chunk]:
        """Return the passages of these rows, in the order asked."""
        return [self.chunks[r] for r in rows]

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """Return the passages with these ids, in the order asked (unknown ids are left out)."""
        if self._by_id is None:
            self._by_id = {c.chunk_id: c for c in self.chunks}
        return [self._by_id[i] for i in chunk_ids if i in self._by_id]

    def all_vectors(self) -> Vectors:
        """Return every passage's vector, row by row (for the answer's passage cosines)."""
        n = self.vectors.ntotal
        if not n:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_n(0, n)


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
    check_manifest(manifest, spec, str(index_dir))
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


FaissKind = Literal["flat", "hnsw"]


def make_faiss_index(
    dim: int, vectors: Vectors, kind: FaissKind, hnsw_m: int, ef_construction: int
) -> faiss.Index:
    """Return a FAISS index of `vectors` (normalised, so inner product is cosine): exact or HNSW."""
    index: faiss.Index
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_version(
    index_dir: Path,
    manifest: Manifest,
    chunks: list[Chunk],
    vectors: Vectors,
    kind: FaissKind = "flat",
    hnsw_m: int = 32,
    ef_construction: int = 80,
) -> Path:
    """Write a complete version folder, fsync it, then make it the live version atomically.

    `kind` is the FAISS index written ("flat": exact; "hnsw": approximate, for large indexes).
    Returns the version folder.
    """
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = versions / f".tmp-{manifest.version}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    index = make_faiss_index(manifest.spec.dim, vectors, kind, hnsw_m, ef_construction)
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


def old_chunks(index_dir: Path, old: Manifest) -> dict[str, list[Chunk]]:
    """Return a version's chunks grouped by document (reused for unchanged documents)."""
    path = index_dir / VERSIONS / old.version / CHUNKS
    grouped: dict[str, list[Chunk]] = {}
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            chunk = Chunk(**json.loads(line))
            grouped.setdefault(chunk.doc_id, []).append(chunk)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"Cannot read {path} ({exc}); rebuild with `chatbot index --full`.") from exc
    return grouped


class FaissStore:
    """The index in a folder on this machine: FAISS vectors and a chunk table per version.

    Exact (flat) FAISS up to `ann_above` passages, HNSW above, where it answers as well in a
    fraction of the time (measured crossover: benchmarks/bench_scale.py).
    """

    def __init__(
        self,
        index_dir: Path,
        ann_above: int,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
    ) -> None:
        self.index_dir = index_dir
        self.ann_above = ann_above
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search

    def describe(self) -> str:
        """Return where the index lives, for messages."""
        return str(self.index_dir)

    def current_version(self) -> str | None:
        """Return the live version's name, or None when nothing was built yet."""
        return current_version(self.index_dir)

    def read_manifest(self, version: str | None = None) -> Manifest | None:
        """Return the manifest of `version` (default: the live one), or None."""
        return read_manifest(self.index_dir, version)

    def load(self, spec: IndexSpec, version: str | None = None) -> LoadedIndex:
        """Return the live (or given) version, checked against `spec`."""
        loaded = load_index(self.index_dir, spec, version)
        if isinstance(loaded.vectors, faiss.IndexHNSW):
            loaded.vectors.hnsw.efSearch = self.ef_search
        return loaded

    def old_chunks(self, old: Manifest) -> dict[str, list[Chunk]]:
        """Return the chunks of version `old` grouped by document."""
        return old_chunks(self.index_dir, old)

    def write_version(self, manifest: Manifest, chunks: list[Chunk], vectors: Vectors) -> None:
        """Write a complete version and make it live atomically."""
        kind: FaissKind = "hnsw" if len(chunks) > self.ann_above else "flat"
        write_version(self.index_dir, manifest, chunks, vectors, kind, self.hnsw_m, self.ef_construction)

    def prune(self) -> list[str]:
        """Delete killed builds' leftovers and old versions; return their names."""
        return prune_versions(self.index_dir)

    def embedding_cache(self, model_id: str, dim: int) -> EmbeddingCache:
        """Return the cache of passage vectors beside the index."""
        return EmbeddingCache(self.index_dir / CACHE, model_id, dim)

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold the folder's build lock; raise BuildLocked when another build holds it."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.index_dir / LOCK))
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise BuildLocked(
                f"Another build of {self.index_dir} is running (it holds {self.index_dir / LOCK}); "
                "wait for it to finish and run `chatbot index` again."
            ) from exc
        try:
            yield
        finally:
            lock.release()
