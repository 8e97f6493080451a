"""A build killed with SIGKILL mid-way leaves the old index answering; the next build finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatbot.indexer import BuildLocked, index_spec
from chatbot.pipeline import Chatbot
from chatbot.stores.faiss_store import CACHE, VERSIONS, EmbeddingCache, current_version, load_index

GDP_QUESTION = "What was the GDP of Liangjiang New Area in 2020?"
# Generated documents: enough passages that the killed build is still embedding when the first
# ones reach the cache (it commits every 8 passages with a batch size of 1).
EXTRA_DOCS = 4
PARAGRAPHS_PER_DOC = 8
# Only a broken build takes this long to embed its first passages; the test then fails.
GIVE_UP_S = 300


def add_generated_documents(corpus: Path) -> None:
    """Write documents whose paragraphs are bundled ones, each made unique by a tag."""
    paragraphs = [
        p.strip()
        for doc in sorted(corpus.glob("*.txt"))
        for p in doc.read_text(encoding="utf-8").split("\n\n")
        if len(p.strip()) > 80
    ]
    for i in range(EXTRA_DOCS):
        body = [
            f"Crash note {i}-{j}. {paragraphs[(i * PARAGRAPHS_PER_DOC + j) % len(paragraphs)]}"
            for j in range(PARAGRAPHS_PER_DOC)
        ]
        text = f"Extra briefing {i}\n\n" + "\n\n".join(body)
        (corpus / f"extra_{i}.txt").write_text(text, encoding="utf-8")


def cached_vectors(settings, encoder) -> int:
    cache = EmbeddingCache(settings.index / CACHE, encoder.model_id, encoder.dim)
    try:
        return len(cache)
    finally:
        cache.close()


def test_killed_build_leaves_old_index_and_next_build_reuses_its_work(copy_of_bundled, encoder):
    settings = copy_of_bundled("crash")
    first = load_index(settings.index, index_spec(settings, encoder)).manifest
    before = cached_vectors(settings, encoder)
    add_generated_documents(settings.corpus)

    env = {**os.environ, "CHATBOT_EMBED_BATCH_SIZE": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "chatbot.cli", "index", "--quiet"]
    cmd += ["--corpus", str(settings.corpus), "--index", str(settings.index)]
    build = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        while cached_vectors(settings, encoder) == before:
            assert build.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() - started < GIVE_UP_S, "the build never started embedding"
            time.sleep(0.02)
        # Mid-embedding it holds the lock: a second build is refused, not run alongside.
        with pytest.raises(BuildLocked, match="Another build"):
            Chatbot(settings, encoder).build(progress=False)
        build.send_signal(signal.SIGKILL)
        assert build.wait(timeout=30) == -signal.SIGKILL
    finally:
        if build.poll() is None:
            build.kill()
    embedded_before_kill = cached_vectors(settings, encoder) - before
    assert embedded_before_kill > 0

    # The old version is still live, loads and answers.
    assert current_version(settings.index) == first.version
    answer = Chatbot(settings, encoder).ask(GDP_QUESTION)
    assert answer.index_version == first.version and "367.5" in answer.text

    # The next build completes, embedding only what the killed one had not.
    report = Chatbot(settings, encoder).build(progress=False)
    assert report.wrote and sorted(report.plan.added) == [f"extra_{i}.txt" for i in range(EXTRA_DOCS)]
    new_chunks = report.chunks - first.chunk_count
    assert report.embedded == new_chunks - embedded_before_kill
    assert report.reused == first.chunk_count + embedded_before_kill
    loaded = load_index(settings.index, index_spec(settings, encoder))
    assert loaded.version == report.version == current_version(settings.index)
    assert len({c.doc_id for c in loaded.chunks}) == 5 + EXTRA_DOCS
    assert sorted(p.name for p in (settings.index / VERSIONS).iterdir()) == sorted(
        [first.version, report.version]
    )
    answer = Chatbot(settings, encoder).ask(GDP_QUESTION)
    assert answer.index_version == report.version and "367.5" in answer.text
