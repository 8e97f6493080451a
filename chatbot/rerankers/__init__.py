"""Rerankers: reorder the retrieved passages for a query and score their sentences.

`Reranker.rerank(query, hits) -> Ranking` is the whole interface; `make_reranker` picks the
implementation named by `settings.reranker`:
- "heuristic": sentence scores from the packaged embedding model (cosine and word-piece match)
  and the question's rare terms (scoring.py);
- "cross-encoder": a sentence-transformers CrossEncoder folder the operator points at
  (`settings.cross_encoder_path`), read with the heuristic's evidence kept for abstention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chatbot.embedding import Encoder
from chatbot.late_interaction import PassageTokens
from chatbot.query import Query
from chatbot.rerankers.scoring import SentenceScorer, SentenceVectors
from chatbot.settings import Settings
from chatbot.types import Chunk, Hit, Ranking


class Reranker(Protocol):
    """Orders retrieved passages for one query."""

    def rerank(self, query: Query, hits: Sequence[Hit]) -> Ranking:
        """Return the passages to answer from (at most settings.top_k, ranked from 1) and their
        scored sentences, best first."""
        ...

    def prewarm(self, chunks: Sequence[Chunk]) -> int:
        """Compute ahead of questions what scoring `chunks` needs; return how many sentences."""
        ...


def make_scorer(settings: Settings, encoder: Encoder) -> SentenceScorer:
    """Return the sentence scorer every reranker builds on."""
    # As many passages' word pieces as are embedded at start-up (prewarm_sentences).
    tokens = PassageTokens(encoder, max(settings.prewarm_max_passages, settings.candidates))
    return SentenceScorer(SentenceVectors(encoder), tokens, settings)


def make_reranker(settings: Settings, encoder: Encoder) -> Reranker:
    """Return the reranker named by `settings.reranker`."""
    from chatbot.rerankers.heuristic import HeuristicReranker

    heuristic = HeuristicReranker(make_scorer(settings, encoder), settings)
    if settings.reranker == "cross-encoder":
        from chatbot.rerankers.cross_encoder import CrossEncoderReranker

        return CrossEncoderReranker(heuristic, settings)
    return heuristic
