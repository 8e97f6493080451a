"""Build or update the index: diff the corpus against the manifest, embed only what changed."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from chatbot.chunking import chunk_document, make_splitter
from chatbot.corpus import CorpusScan, scan_corpus
from chatbot.embedding import Encoder, Vectors
from chatbot.settings import Settings
from chatbot.store import (
    CACHE,
    CHUNKS,
    VERSIONS,
    DocRecord,
    EmbeddingCache,
    IndexCorrupt,
    IndexSpec,
    Manifest,
    new_version_name,
    prune_versions,
    read_manifest,
    write_version,
)
from chatbot.types import Chunk, Document

log = logging.getLogger(__name__)

LOCK = "build.lock"


class BuildLocked(RuntimeError):
    """Another build holds the index lock."""


@dataclass(frozen=True)
class BuildPlan:
    """How the corpus differs from the live index, per document id."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    full_reason: str | None
    scan: CorpusScan = field(repr=False)

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.changed or self.removed or self.full_reason)


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    plan: BuildPlan
    version: str | None
    documents: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    wrote: bool


def index_spec(settings: Settings, encoder: Encoder) -> IndexSpec:
    """Return the spec an index built with these settings and this encoder must carry."""
    return IndexSpec(
        model_id=encoder.model_id,
        dim=encoder.dim,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap_tokens=settings.chunk_overlap_tokens,
    )


def plan_build(scan: CorpusScan, old: Manifest | None, spec: IndexSpec, full: bool) -> BuildPlan:
    """Return the per-document differences between the scanned corpus and the old manifest."""
    reason = None
    if full:
        reason = "full rebuild requested"
    elif old is None:
        reason = "no index yet"
    elif old.spec != spec:
        reason = f"settings changed: index has {old.spec.describe()}; settings ask for {spec.describe()}"
    old_docs = {} if old is None else old.documents
    new_docs = {d.doc_id: d for d in scan.documents}
    added = tuple(d for d in new_docs if d not in old_docs)
    changed = tuple(
        d for d in new_docs if d in old_docs and old_docs[d].content_hash != new_docs[d].content_hash
    )
    removed = tuple(d for d in old_docs if d not in new_docs)
    unchanged = tuple(d for d in new_docs if d in old_docs and d not in changed)
    return BuildPlan(added, changed, removed, unchanged, reason, scan)


def _old_chunks(index_dir: Path, old: Manifest) -> dict[str, list[Chunk]]:
    """Return the live version's chunks grouped by document (reused for unchanged documents)."""
    path = index_dir / VERSIONS / old.version / CHUNKS
    grouped: dict[str, list[Chunk]] = {}
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            chunk = Chunk(**json.loads(line))
            grouped.setdefault(chunk.doc_id, []).append(chunk)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"Cannot read {path} ({exc}); rebuild with `chatbot index --full`.") from exc
    return grouped


def _embed_missing(
    chunks: list[Chunk], encoder: Encoder, cache: EmbeddingCache, batch: int, progress: bool
) -> tuple[Vectors, int]:
    """Return vectors for all chunks (cached ones reused) and how many texts were embedded."""
    cached = cache.get_many([c.text_hash for c in chunks])
    todo: dict[str, str] = {}
    for c in chunks:
        if c.text_hash not in cached:
            todo.setdefault(c.text_hash, c.text)
    hashes = list(todo)
    bar = tqdm(total=len(hashes), desc="Embedding", unit="chunk", disable=not progress or not hashes)
    # Batches of several encoder batches keep the cache commits rare but a kill cheap.
    step = batch * 8
    for i in range(0, len(hashes), step):
        part = hashes[i : i + step]
        vectors = encoder.encode_passages([todo[h] for h in part])
        cache.put_many(part, vectors)
        cached.update(zip(part, vectors, strict=True))
        bar.update(len(part))
    bar.close()
    if not chunks:
        return np.zeros((0, encoder.dim), dtype=np.float32), 0
    return np.vstack([cached[c.text_hash] for c in chunks]).astype(np.float32), len(hashes)


def build_index(
    settings: Settings,
    encoder: Encoder,
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: bool = True,
) -> BuildReport:
    """Bring the index in line with the corpus and return what was done.

    Only added and changed documents are chunked and embedded; a new version is written beside
    the live one and switched to atomically. Raises BuildLocked when another build is running.
    """
    started = time.perf_counter()
    index_dir = settings.index
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise BuildLocked(
            f"Another build of {index_dir} is running (it holds {index_dir / LOCK}); "
            "wait for it to finish and run `chatbot index` again."
        ) from exc
    try:
        scan = scan_corpus(settings.corpus, settings.max_document_bytes)
        spec = index_spec(settings, encoder)
        try:
            old = read_manifest(index_dir)
        except IndexCorrupt as exc:
            log.warning("%s", exc)
            old = None
        plan = plan_build(scan, old, spec, full)
        if dry_run or plan.up_to_date:
            return BuildReport(
                plan, old.version if old else None, len(scan.documents),
                old.chunk_count if old else 0, 0, 0, time.perf_counter() - started, False,
            )
        reuse = {} if plan.full_reason or old is None else _old_chunks(index_dir, old)
        splitter = make_splitter(encoder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
        chunks: list[Chunk] = []
        records: dict[str, DocRecord] = {}
        docs: tuple[Document, ...] = scan.documents
        for doc in tqdm(docs, desc="Chunking", unit="doc", disable=not progress or len(docs) < 50):
            doc_chunks = reuse.get(doc.doc_id) if doc.doc_id in plan.unchanged else None
            if doc_chunks is None:
                doc_chunks = chunk_document(doc, splitter)
            chunks.extend(doc_chunks)
            records[doc.doc_id] = DocRecord(
                content_hash=doc.content_hash, title=doc.title, date=doc.date, chunks=len(doc_chunks)
            )
        cache = EmbeddingCache(index_dir / CACHE, spec.model_id, spec.dim)
        try:
            vectors, embedded = _embed_missing(chunks, encoder, cache, settings.embed_batch_size, progress)
            manifest = Manifest(
                version=new_version_name(),
                built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                spec=spec,
                documents=records,
                chunk_count=len(chunks),
                skipped=[{"doc_id": s.doc_id, "reason": s.reason} for s in scan.skipped],
            )
            write_version(index_dir, manifest, chunks, vectors)
            cache.retain_only({c.text_hash for c in chunks})
        finally:
            cache.close()
        prune_versions(index_dir)
        return BuildReport(
            plan, manifest.version, len(docs), len(chunks), embedded,
            len(chunks) - embedded, time.perf_counter() - started, True,
        )
    finally:
        lock.release()
