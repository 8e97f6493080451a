"""Score every sentence of the candidate passages against the question, and rerank passages by it.

No cross-encoder whose weights ship inside a PyPI wheel could be found (see docs/experiments.md), so the
reranker is the embedding model applied per sentence and per word piece (late_interaction.py),
combined with how much of the question's rare terms the sentence and its passage contain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from chatbot.answer_type import has_list, has_type, lacks_type
from chatbot.embedding import Encoder, Vectors
from chatbot.focus import unqualified
from chatbot.language import word_count
from chatbot.late_interaction import PassageMatch, PassageTokens
from chatbot.lexical import coverage, term_set
from chatbot.query import Query
from chatbot.sentences import Sentence, refers_back, split_sentences
from chatbot.settings import Settings
from chatbot.text_cache import TextCache
from chatbot.types import Chunk, Hit, ScoredSentence


class SentenceVectors:
    """Sentence embeddings computed on demand and kept, since passages recur across questions."""

    def __init__(self, encoder: Encoder, max_entries: int = 50_000) -> None:
        self.encoder = encoder
        self._cache: TextCache[Vectors] = TextCache(max_entries)

    def get(self, texts: list[str]) -> Vectors:
        """Return one normalised vector per text."""
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        rows = self._cache.get(texts, self.encoder.encode_passages)
        assert rows is not None  # encode_passages always computes
        return np.vstack(rows)


def is_statement(text: str, min_words: int) -> bool:
    """Return whether `text` reads as a full sentence, not a headline, label or caption.

    Headlines and section labels ("Logistics and trade.", a bare title) carry no answer on
    their own yet often share the question's words, so they are never quoted.
    """
    ended = text.rstrip("\"”’)」』）").endswith((".", "!", "?", "。", "！", "？"))
    return ended and word_count(text) >= min_words  # Chinese words: no spaces (language.word_count)


@lru_cache(maxsize=16_384)
def statements(text: str, min_words: int) -> tuple[tuple[Sentence, Sentence | None], ...]:
    """Return the sentences of passage `text` that may be quoted (see is_statement), each with the
    one before it when it opens by pointing back at it ("It is …"), else None.

    Remembered, since passages recur across questions.
    """
    sentences = split_sentences(text)
    return tuple(
        (sent, sentences[i - 1] if i and refers_back(sent.text) else None)
        for i, sent in enumerate(sentences)
        if is_statement(sent.text, min_words)
    )


class SentenceScorer:
    """Scores sentences by a weighted sum of cosine and term coverage (weights from settings)."""

    def __init__(self, vectors: SentenceVectors, tokens: PassageTokens, settings: Settings) -> None:
        self.vectors = vectors
        self.tokens = tokens
        self.settings = settings

    def _statements(self, passage: str) -> tuple[tuple[Sentence, Sentence | None], ...]:
        """Return the sentences of `passage` that are scored, with their leads (see statements)."""
        return statements(passage, self.settings.min_sentence_words)

    def prewarm(self, chunks: Sequence[Chunk]) -> int:
        """Embed every sentence `score` would embed for `chunks` ahead of questions; return how many."""
        texts = [sent.text for chunk in chunks for sent, _ in self._statements(chunk.text)]
        self.vectors.get(texts)
        if self.settings.weight_token_match:
            self.tokens.get([chunk.text for chunk in chunks])
        return len(texts)

    def _token_matcher(self, query: Query, hits: Sequence[Hit]) -> Callable[[Hit, Sentence], float]:
        """Return a function giving a sentence's token match with the question (late_interaction.py)
        for the sentences of the first `settings.token_match_candidates` hits as retrieved, and 0
        for the rest; always 0 when the query has no word pieces or the weight is 0."""
        def nothing(hit: Hit, sent: Sentence) -> float:
            return 0.0

        if query.match_words is None or not self.settings.weight_token_match:
            return nothing
        matched = hits[: self.settings.token_match_candidates]
        passages = self.tokens.get([hit.chunk.text for hit in matched])
        if passages is None:
            return nothing
        pairs = zip(matched, passages, strict=True)
        by_chunk = {hit.chunk.chunk_id: PassageMatch(query.match_words, p) for hit, p in pairs}

        def match(hit: Hit, sent: Sentence) -> float:
            found = by_chunk.get(hit.chunk.chunk_id)
            return found.within(sent.start, sent.end) if found else 0.0

        return match

    def score(self, query: Query, hits: Sequence[Hit]) -> list[ScoredSentence]:
        """Return every sentence of `hits` scored for `query`, best first."""
        s = self.settings
        aids = query.aids
        terms = dict(query.terms)
        q = query.vector.reshape(-1)
        spans = [(hit, sent, lead) for hit in hits for sent, lead in self._statements(hit.chunk.text)]
        if not spans:
            return []
        sims = self.vectors.get([sent.text for _, sent, _ in spans]) @ q
        passages = list({hit.chunk.chunk_id: hit.chunk for hit in hits}.values())
        ids = [c.chunk_id for c in passages]
        passage_cos = {cid: float(v @ q) for cid, v in zip(ids, aids.vectors_of(ids), strict=True)}
        passage_terms = dict(zip(ids, aids.term_sets_of(passages), strict=True))
        context = {cid: coverage(terms, words) for cid, words in passage_terms.items()}
        # A year the question names may be the source's date rather than a word of the passage.
        missing = {
            hit.chunk.chunk_id: bool(
                query.numbers - passage_terms[hit.chunk.chunk_id] - term_set(hit.chunk.date or "")
            )
            for hit in hits
        }
        # Measured on dev.jsonl: the passage separates answerable from unanswerable questions better
        # than the sentence alone (the answer sentence often says "it" for what the one before named).
        def named(hit: Hit) -> frozenset[str]:
            # The passage's terms, less titles qualified by a word the question does not use.
            text = unqualified(hit.chunk.text, query.words)
            return passage_terms[hit.chunk.chunk_id] if text is hit.chunk.text else term_set(text)

        focus = dict(query.focus)
        unnamed = {hit.chunk.chunk_id: 1.0 - coverage(focus, named(hit)) if focus else 0.0 for hit in hits}
        matching = self._token_matcher(query, hits)
        listing = s.weight_list if query.wants_list else 0.0
        kind = query.kind
        out = []
        for (hit, sent, lead), sim in zip(spans, sims, strict=True):
            # A sentence that points back ("It is …") is read with the one it points at.
            words = term_set(sent.text) | (term_set(lead.text) if lead else frozenset())
            cov = coverage(terms, words)
            cid = hit.chunk.chunk_id
            typed = has_type(sent.text, kind)
            match = matching(hit, sent)
            word_score = (
                s.weight_answer_type * typed
                + listing * has_list(sent.text)
                + s.weight_cosine * float(sim)
                + s.weight_passage_cosine * passage_cos[cid]
                + s.weight_coverage * cov
                + s.weight_context * context[cid]
            )
            out.append(
                ScoredSentence(
                    hit,
                    sent.text,
                    sent.start,
                    sent.end,
                    cosine=float(sim),
                    coverage=cov,
                    context=context[cid],
                    token_match=match,
                    untyped=lacks_type(sent.text, kind),
                    numbers_missing=missing[cid],
                    focus_missing=unnamed[cid],
                    score=word_score + s.weight_token_match * match,
                    word_score=word_score,
                    lead_start=lead.start if lead and s.quote_lead_sentence else None,
                )
            )
        return sorted(out, key=lambda c: c.score, reverse=True)


def rerank(
    hits: Sequence[Hit], sentences: Sequence[ScoredSentence], k: int, lead: int | None = None
) -> list[Hit]:
    """Return `k` hits, re-ranked from 1: the `lead` best by their best sentence's score, then the
    rest in their first-stage order (`hits` as retrieved). `lead` None orders all `k` by sentence.
    """
    best: dict[str, float] = {}
    for sent in sentences:
        best.setdefault(sent.hit.chunk.chunk_id, sent.score)
    ordered = sorted(hits, key=lambda h: best.get(h.chunk.chunk_id, float("-inf")), reverse=True)
    if lead is not None:
        ahead = ordered[:lead]
        ordered = ahead + [h for h in hits if h not in ahead]
    return [
        replace(h, score=best.get(h.chunk.chunk_id, h.score), rank=i + 1) for i, h in enumerate(ordered[:k])
    ]
