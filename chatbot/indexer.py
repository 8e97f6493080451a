"""Build or update the index: diff the corpus against the manifest, embed only what changed."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from tqdm import tqdm

from chatbot.corpus import CorpusScan, scan_corpus
from chatbot.embedding import Encoder, Vectors
from chatbot.readers.ocr import make_ocr
from chatbot.settings import Settings
from chatbot.stores import EmbeddingCache, VectorStore, open_store
from chatbot.stores.common import (
    BuildLocked,
    DocRecord,
    IndexCorrupt,
    IndexSpec,
    Manifest,
    new_version_name,
)
from chatbot.stores.faiss_store import LOCK
from chatbot.types import Chunk, Document

log = logging.getLogger(__name__)

__all__ = ["LOCK", "BuildLocked", "BuildPlan", "BuildReport", "NoDocuments", "build_index", "index_spec"]
# Encoder calls per cache commit: a killed build loses at most this many batches of work, and
# a commit per call costs nothing next to the encoding (one SQLite transaction per ~256 chunks).
BATCHES_PER_COMMIT = 8

# Receives (stage, done, total) as a build goes: stages "scan", "chunk", "embed", "write".
Progress = Callable[[str, int, int], None]


class NoDocuments(ValueError):
    """The corpus has no usable document, so building would empty a good index."""


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
        """Return True when the live index already matches the corpus."""
        return not (self.added or self.changed or self.removed or self.full_reason)

    def counts(self) -> str:
        """Return the per-document counts in words ("1 added, 0 changed, …"), for reports."""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.scan.skipped)} skipped"
        )


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
    # The build of the index that answers Chinese questions, when there is one (see Chatbot.build),
    # or why it failed after this one had gone live.
    chinese: BuildReport | None = None
    chinese_error: str | None = None

    def chinese_summary(self) -> str | None:
        """Return one sentence on the Chinese index's part of this build, or None when it has none."""
        if self.chinese_error:
            return (
                "The Chinese index was not updated (Chinese questions use its last version): "
                f"{self.chinese_error}"
            )
        c = self.chinese
        if c is None:
            return None
        rebuilt = f" (full rebuild: {c.plan.full_reason})" if c.plan.full_reason else ""
        if not c.wrote:
            return f"Chinese index (e5) is up to date ({c.chunks} passages)."
        return (
            f"Built the Chinese index (e5) version {c.version}{rebuilt}: {c.chunks} passages "
            f"({c.embedded} embedded, {c.reused} reused) in {c.seconds:.1f} s."
        )


def index_spec(settings: Settings, encoder: Encoder) -> IndexSpec:
    """Return the spec an index built with these settings and this encoder must carry."""
    return IndexSpec(
        model_id=encoder.model_id,
        dim=encoder.dim,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap_tokens=settings.chunk_overlap_tokens,
        chunk_boundaries=settings.chunk_boundaries,
        boilerplate=_boilerplate_key(settings),
    )


def _boilerplate_key(settings: Settings) -> str:
    """Return "" for the default boilerplate patterns, else a digest of them: documents cleaned
    with other patterns are other documents, so the index is rebuilt."""
    fields = ("boilerplate_lines", "boilerplate_inline")
    defaults = tuple(Settings.model_fields[f].default for f in fields)
    chosen = tuple(getattr(settings, f) for f in fields)
    if chosen == defaults:
        return ""
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()[:16]


def plan_build(
    scan: CorpusScan, old: Manifest | None, spec: IndexSpec, full: bool, unreadable: str | None = None
) -> BuildPlan:
    """Return the per-document differences between the scanned corpus and the old manifest."""
    reason = None
    if full:
        reason = "full rebuild requested"
    elif unreadable:
        reason = f"the live index is unreadable ({unreadable})"
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


def _embed_missing(
    chunks: list[Chunk],
    encoder: Encoder,
    cache: EmbeddingCache,
    batch: int,
    progress: bool,
    on_progress: Progress | None,
) -> tuple[Vectors, int]:
    """Return vectors for all chunks (cached ones reused) and how many texts were embedded."""
    cached = cache.get_many([c.text_hash for c in chunks])
    todo: dict[str, str] = {}
    for c in chunks:
        if c.text_hash not in cached:
            todo.setdefault(c.text_hash, c.text)
    # Longest first across the whole build, as sentence-transformers does within one call: each
    # encoder batch then holds texts of similar length and pads little.
    hashes = sorted(todo, key=lambda h: -len(todo[h]))
    bar = tqdm(total=len(hashes), desc="Embedding", unit="chunk", disable=not progress or not hashes)
    step = batch * BATCHES_PER_COMMIT
    if on_progress:
        on_progress("embed", 0, len(hashes))
    for i in range(0, len(hashes), step):
        part = hashes[i : i + step]
        vectors = encoder.encode_passages([todo[h] for h in part])
        cache.put_many(part, vectors)
        cached.update(zip(part, vectors, strict=True))
        bar.update(len(part))
        if on_progress:
            on_progress("embed", i + len(part), len(hashes))
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
    on_progress: Progress | None = None,
    scan: CorpusScan | None = None,
) -> BuildReport:
    """Bring the index in line with the corpus and return what was done.

    `scan` is a scan of `settings.corpus` already made (another index's build of the same corpus),
    so that the corpus is read once; by default it is scanned here.

    Only added and changed documents are chunked, and only chunk texts missing from the
    embedding cache are embedded; a new version is written beside the live one and switched to
    atomically. `on_progress(stage, done, total)` is called as the build goes. Raises BuildLocked
    when another build is running and NoDocuments when the corpus has no usable document.
    """
    started = time.perf_counter()
    store = open_store(settings)
    with store.build_lock():
        if not dry_run:
            store.prune()  # leftovers of a killed build go before anything else
        return _build_locked(store, settings, encoder, full, dry_run, progress, on_progress, started, scan)


def _build_locked(
    store: VectorStore,
    settings: Settings,
    encoder: Encoder,
    full: bool,
    dry_run: bool,
    progress: bool,
    on_progress: Progress | None,
    started: float,
    scan: CorpusScan | None,
) -> BuildReport:
    tell = on_progress or (lambda stage, done, total: None)
    tell("scan", 0, 1)
    if scan is None:
        # Warns of each skipped file.
        s = settings
        scan = scan_corpus(
            s.corpus, s.max_document_bytes, s.max_binary_document_bytes, s.cleaning(), make_ocr(s)
        )
    tell("scan", 1, 1)
    spec = index_spec(settings, encoder)
    unreadable = None
    try:
        old = store.read_manifest()
    except IndexCorrupt as exc:
        log.warning("%s", exc)
        old, unreadable = None, "its manifest cannot be parsed"
    plan = plan_build(scan, old, spec, full, unreadable)
    if plan.full_reason and old is not None and not full:
        log.info("Full rebuild: %s.", plan.full_reason)
    if dry_run or plan.up_to_date:
        return BuildReport(
            plan, old.version if old else None, len(scan.documents),
            old.chunk_count if old else 0, 0, 0, time.perf_counter() - started, False,
        )
    if not scan.documents:
        raise NoDocuments(
            f"No usable document in {settings.corpus} ({len(scan.skipped)} skipped), so the index was left "
            "as it is: add .txt, .md, .html, .pdf or .docx documents and run `chatbot index` again."
        )
    reuse: dict[str, list[Chunk]] = {}
    if not plan.full_reason and old is not None:
        try:
            reuse = store.old_chunks(old)
        except IndexCorrupt as exc:
            log.warning("%s Re-chunking every document.", exc)
    # Imported here: langchain's import costs about a second, which `chatbot serve` and `status`
    # with an up-to-date index never need (measured with python -X importtime).
    from chatbot.chunking import chunk_document, make_splitter

    splitter = make_splitter(
        encoder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens, settings.chunk_boundaries
    )
    chunks: list[Chunk] = []
    records: dict[str, DocRecord] = {}
    docs: tuple[Document, ...] = scan.documents
    unchanged = set(plan.unchanged)
    for n, doc in enumerate(tqdm(docs, desc="Chunking", unit="doc", disable=not progress or len(docs) < 50)):
        doc_chunks = reuse.get(doc.doc_id) if doc.doc_id in unchanged else None
        if doc_chunks is None:
            doc_chunks = chunk_document(doc, splitter)
        chunks.extend(doc_chunks)
        records[doc.doc_id] = DocRecord(
            content_hash=doc.content_hash, title=doc.title, date=doc.date, chunks=len(doc_chunks)
        )
        tell("chunk", n + 1, len(docs))
    cache = store.embedding_cache(spec.model_id, spec.dim)
    try:
        vectors, embedded = _embed_missing(
            chunks, encoder, cache, settings.embed_batch_size, progress, on_progress
        )
        manifest = Manifest(
            version=new_version_name(),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            spec=spec,
            documents=records,
            chunk_count=len(chunks),
            skipped=[{"doc_id": s.doc_id, "reason": s.reason} for s in scan.skipped],
        )
        tell("write", 0, 1)
        store.write_version(manifest, chunks, vectors)
        # Vectors of texts no longer indexed go; a killed build's vectors stay until then.
        cache.retain_only({c.text_hash for c in chunks})
    finally:
        cache.close()
    store.prune()
    tell("write", 1, 1)
    return BuildReport(
        plan, manifest.version, len(docs), len(chunks), embedded,
        len(chunks) - embedded, time.perf_counter() - started, True,
    )
