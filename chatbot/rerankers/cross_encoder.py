"""A reranker that reads the question against each candidate sentence with a cross-encoder.

Any local sentence-transformers CrossEncoder folder works (`settings.cross_encoder_path`); none is
bundled, because no PyPI wheel found here carries cross-encoder weights (docs/experiments.md). The
heuristic scores are still computed: abstention judges their evidence (a sentence's rare terms,
numbers, kind of answer), which a relevance score alone does not give.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from chatbot.query import Query
from chatbot.rerankers.heuristic import HeuristicReranker
from chatbot.settings import Settings
from chatbot.types import Chunk, Hit, Ranking


class CrossEncoderMissing(ValueError):
    """The configured cross-encoder folder cannot be loaded; the message says what to do."""


class CrossEncoderReranker:
    """Scores (question, sentence) pairs with a CrossEncoder; the heuristic supplies the evidence."""

    def __init__(self, heuristic: HeuristicReranker, settings: Settings) -> None:
        if settings.cross_encoder_path is None:
            raise CrossEncoderMissing(
                "reranker = 'cross-encoder' needs cross_encoder_path: a local sentence-transformers "
                "CrossEncoder folder (CHATBOT_CROSS_ENCODER_PATH)."
            )
        self.heuristic = heuristic
        self.settings = settings
        self.path: Path = settings.cross_encoder_path
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        """Return the CrossEncoder, loaded once (no download: the folder must hold the weights)."""
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                if not (self.path / "config.json").is_file():
                    raise CrossEncoderMissing(
                        f"No cross-encoder at {self.path}: expected a sentence-transformers "
                        "CrossEncoder folder (config.json, weights, tokenizer)."
                    )
                self._model = CrossEncoder(str(self.path), device="cpu", local_files_only=True)
            return self._model

    def prewarm(self, chunks: Sequence[Chunk]) -> int:
        """Load the model and embed the heuristic's sentences ahead of questions."""
        self._load()
        return self.heuristic.prewarm(chunks)

    def rerank(self, query: Query, hits: Sequence[Hit]) -> Ranking:
        """Return the top_k passages ordered by their best sentence's cross-encoder score.

        Only the sentences of the first `cross_encoder_candidates` hits are read (each pair is a
        model run); the others score 0, below any sentence read.
        """
        sentences = self.heuristic.scorer.score(query, hits)
        read = {h.chunk.chunk_id for h in hits[: self.settings.cross_encoder_candidates]}
        pairs = [(query.text, x.text) for x in sentences if x.hit.chunk.chunk_id in read]
        scores = iter(self._load().predict(pairs, show_progress_bar=False)) if pairs else iter(())
        rescored = [
            replace(x, score=float(next(scores))) if x.hit.chunk.chunk_id in read else replace(x, score=0.0)
            for x in sentences
        ]
        rescored.sort(key=lambda x: x.score, reverse=True)
        return self.heuristic.order(hits, rescored)
