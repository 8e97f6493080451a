"""Rebuild the index whenever documents under the corpus folder change (`--watch`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, watch

from chatbot.corpus import SUPPORTED_SUFFIXES
from chatbot.indexer import BuildLocked, BuildReport, NoDocuments

log = logging.getLogger(__name__)

# Quiet time before a rebuild: an editor's save or a copied folder arrives as a burst of events
# within a few hundred ms; 1.5 s (watchfiles' own default is 1.6 s) folds a burst into one build.
DEBOUNCE_MS = 1500


def corpus_filter(corpus: Path) -> Callable[[Change, str], bool]:
    """Return a watchfiles filter passing changes the index may care about.

    Hidden paths (editor swap files, `.git`) are ignored as the corpus scan ignores them; folders
    pass too, since moving a folder away reports only the folder. A change that turns out not to
    matter costs one scan: the build then finds the index up to date and writes nothing.
    """
    root = corpus.resolve()

    def keep(change: Change, path: str) -> bool:
        p = Path(path)
        try:
            rel = p.resolve().relative_to(root)
        except ValueError:
            return False
        if any(part.startswith(".") for part in rel.parts):
            return False
        return p.suffix.lower() in SUPPORTED_SUFFIXES or not p.suffix

    return keep


def watch_corpus(
    corpus: Path,
    build: Callable[[], BuildReport],
    *,
    on_report: Callable[[BuildReport], None] | None = None,
    stop: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
) -> int:
    """Call `build` after each burst of document changes until `stop` is set; return builds run.

    A build refused because another one is running, or one finding no usable document, is
    logged and the watch goes on; the next change tries again.
    """
    builds = 0
    log.info("Watching %s for document changes", corpus)
    for changes in watch(
        corpus,
        watch_filter=corpus_filter(corpus),
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=False,
    ):
        log.info("%d change(s) under %s: rebuilding the index", len(changes), corpus)
        try:
            report = build()
        except (BuildLocked, NoDocuments) as exc:
            log.warning("%s", exc)
            continue
        builds += 1
        if on_report:
            on_report(report)
    return builds


def watch_in_background(
    corpus: Path, build: Callable[[], BuildReport], on_report: Callable[[BuildReport], None] | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Start `watch_corpus` in a daemon thread; return the thread and the event that stops it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_corpus,
        args=(corpus, build),
        kwargs={"on_report": on_report, "stop": stop},
        name="corpus-watch",
        daemon=True,
    )
    thread.start()
    return thread, stop
