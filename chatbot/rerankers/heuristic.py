"""The default reranker: passages ordered by their best sentence's score (scoring.py)."""

from __future__ import annotations

from collections.abc import Sequence

from chatbot.query import Query
from chatbot.rerankers.scoring import SentenceScorer, rerank
from chatbot.settings import Settings
from chatbot.types import Chunk, Hit, Ranking, ScoredSentence


class HeuristicReranker:
    """Scores every sentence of the candidates and puts the passages of the best ones first."""

    def __init__(self, scorer: SentenceScorer, settings: Settings) -> None:
        self.scorer = scorer
        self.settings = settings

    def prewarm(self, chunks: Sequence[Chunk]) -> int:
        """Embed every sentence scoring would embed for `chunks`; return how many."""
        return self.scorer.prewarm(chunks)

    def rerank(self, query: Query, hits: Sequence[Hit]) -> Ranking:
        """Return the top_k passages and their sentences, best first (see scoring.rerank)."""
        return self.order(hits, self.scorer.score(query, hits))

    def order(self, hits: Sequence[Hit], sentences: Sequence[ScoredSentence]) -> Ranking:
        """Return the top_k of `hits` ordered by `sentences` (best first), with those passages' sentences."""
        s = self.settings
        if not s.rerank:
            kept = tuple(hits[: s.top_k])
        else:
            kept = tuple(rerank(hits, sentences, s.top_k, s.rerank_lead))
        shown = {h.chunk.chunk_id for h in kept}
        return Ranking(kept, tuple(x for x in sentences if x.hit.chunk.chunk_id in shown))
