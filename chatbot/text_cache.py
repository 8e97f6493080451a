"""A thread-safe cache of values computed per text (embeddings), keyed by the text's hash."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from chatbot.chunking import text_hash

T = TypeVar("T")


class TextCache(Generic[T]):
    """Values computed on demand for texts and kept, since passages recur across questions.

    Shared by the chat's concurrent answers, so lookups and updates hold a lock; the model runs
    outside it. Emptied when full: the texts of one index fit many times over.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._cache: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, texts: Sequence[str], compute: Callable[[list[str]], Iterable[T] | None]) -> list[T] | None:
        """Return one value per text, computing the missing ones in one call of `compute` (each
        distinct text once); None when `compute` returns None (it cannot compute them)."""
        keys = [text_hash(t) for t in texts]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            computed = compute([by_key[k] for k in missing])
            if computed is None:
                return None
            found.update(zip(missing, computed, strict=True))
            with self._lock:
                if len(self._cache) + len(missing) > self.max_entries:
                    self._cache.clear()
                self._cache.update(zip(missing, computed, strict=True))
        return [found[k] for k in keys]
