"""Score every sentence of the candidate passages against the question, and rerank passages by it.

No cross-encoder whose weights ship inside a PyPI wheel could be found (see the README), so the
reranker is the embedding model applied per sentence and per word piece (late_interaction.py),
combined with how much of the question's rare terms the sentence and its passage contain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from chatbot.answer_type import asks_for_list, expected_type, has_list, has_type, lacks_type
from chatbot.embedding import Encoder, TokenVectors, Vectors
from chatbot.focus import focus_phrase, unqualified
from chatbot.language import word_count
from chatbot.late_interaction import PassageMatch, PassageTokens, question_words
from chatbot.lexical import coverage, term_set, tokenize
from chatbot.retrieve import IndexAids
from chatbot.sentences import Sentence, refers_back, split_sentences
from chatbot.settings import Settings
from chatbot.text_cache import TextCache
from chatbot.types import Chunk, Hit


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


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a retrieved passage and the evidence that it answers the question.

    `start`/`end` are offsets inside the passage; `coverage` is the rarity-weighted share of the
    question's terms found in the sentence, `context` the same share in the whole passage,
    `token_match` how closely its word pieces match the question's words (late_interaction.py),
    `word_score` the score without the token match (what abstention judges, see
    answer.judged_sentence);
    `untyped` says whether a kind of answer was asked for (a date for "when") and the sentence
    lacks it, `numbers_missing` whether a number of the question (a year, say) is absent from the
    passage and its date, and `focus_missing` the rarity-weighted share of what the question asks
    about ("the unemployment rate") that the passage does not name. `lead_start` is where the
    sentence before begins when this one opens by pointing back at it ("It is also …"), so that
    both are quoted together.
    """

    hit: Hit
    text: str
    start: int
    end: int
    cosine: float
    coverage: float
    context: float
    token_match: float
    untyped: bool
    numbers_missing: bool
    focus_missing: float
    score: float
    word_score: float
    lead_start: int | None = None

    @property
    def quoted_span(self) -> tuple[int, int]:
        """Return the [start, end) in the passage of what is quoted for this sentence: the sentence,
        with the one before it when it opens by pointing back at it."""
        return (self.start if self.lead_start is None else self.lead_start), self.end

    def in_document(self, with_lead: bool = True) -> DocumentSpan:
        """Return where in its document what is quoted for this sentence lies (the sentence alone
        when not `with_lead`)."""
        a, b = self.quoted_span if with_lead else (self.start, self.end)
        return self.hit.chunk.doc_id, self.hit.chunk.start + a, self.hit.chunk.start + b


# (document, start, end): a span of a document, as passages of different chunks can overlap.
DocumentSpan = tuple[str, int, int]


def overlaps(quoted: Sequence[DocumentSpan], span: DocumentSpan) -> bool:
    """Return whether `span` overlaps one of the `quoted` spans."""
    doc, a, b = span
    return any(d == doc and a < e and s < b for d, s, e in quoted)


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


def question_numbers(question: str) -> frozenset[str]:
    """Return the numbers (years, amounts) written in `question`, as the tokenizer writes them."""
    return frozenset(t for t in tokenize(question) if t[:1].isdigit())


def question_focus(question: str, aids: IndexAids) -> dict[str, float]:
    """Return the terms naming what `question` asks about (see focus.focus_phrase), by rarity."""
    return {t: aids.lexical.idf(t) for t in tokenize(focus_phrase(question))}


def question_terms(question: str, context: str, aids: IndexAids, context_weight: float) -> dict[str, float]:
    """Return the question's content terms weighted by rarity in the index.

    Terms only found in `context` (earlier turns of a conversation) count `context_weight` as much.
    """
    weights: dict[str, float] = {}
    for term in tokenize(context):
        weights[term] = context_weight * aids.lexical.idf(term)
    for term in tokenize(question):
        weights[term] = aids.lexical.idf(term)
    return weights


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

    def _token_matcher(
        self, asked: TokenVectors | None, question: str, terms: dict[str, float], hits: list[Hit]
    ) -> Callable[[Hit, Sentence], float]:
        """Return a function giving a sentence's token match with `question`, whose word pieces
        are `asked` (always 0 when None, when the weight is 0 or the encoder has none), for the
        sentences of the first `settings.token_match_candidates` hits as retrieved (0 for the rest)."""
        def nothing(hit: Hit, sent: Sentence) -> float:
            return 0.0

        if asked is None or not self.settings.weight_token_match:
            return nothing
        matched = hits[: self.settings.token_match_candidates]
        passages = self.tokens.get([hit.chunk.text for hit in matched])
        if passages is None:
            return nothing
        words = question_words(asked, question, terms)
        pairs = zip(matched, passages, strict=True)
        by_chunk = {hit.chunk.chunk_id: PassageMatch(words, p) for hit, p in pairs}

        def match(hit: Hit, sent: Sentence) -> float:
            found = by_chunk.get(hit.chunk.chunk_id)
            return found.within(sent.start, sent.end) if found else 0.0

        return match

    def score(
        self,
        terms: dict[str, float],
        query: Vectors,
        hits: list[Hit],
        aids: IndexAids,
        question: str,
        asked: TokenVectors | None = None,
    ) -> list[ScoredSentence]:
        """Return every sentence of `hits` scored for `question` (whose weighted terms are `terms`,
        earlier turns included, and whose embedding is `query`), best first. The token match
        (late_interaction.py) reads the question's word pieces `asked`; None leaves it out."""
        s = self.settings
        kind = expected_type(question)
        numbers = question_numbers(question)
        focus = question_focus(question, aids)
        q = query.reshape(-1)
        spans = [(hit, sent, lead) for hit in hits for sent, lead in self._statements(hit.chunk.text)]
        if not spans:
            return []
        sims = self.vectors.get([sent.text for _, sent, _ in spans]) @ q
        rows = {hit.chunk.chunk_id: aids.row[hit.chunk.chunk_id] for hit in hits}
        passage_cos = {cid: float(aids.vectors[row] @ q) for cid, row in rows.items()}
        passage_terms = {cid: aids.lexical.term_sets[row] for cid, row in rows.items()}
        context = {cid: coverage(terms, words) for cid, words in passage_terms.items()}
        # A year the question names may be the source's date rather than a word of the passage.
        missing = {
            hit.chunk.chunk_id: bool(
                numbers - passage_terms[hit.chunk.chunk_id] - term_set(hit.chunk.date or "")
            )
            for hit in hits
        }
        # Measured on dev.jsonl: the passage separates answerable from unanswerable questions better
        # than the sentence alone (the answer sentence often says "it" for what the one before named).
        def named(hit: Hit) -> frozenset[str]:
            # The passage's terms, less titles qualified by a word the question does not use.
            text = unqualified(hit.chunk.text, question)
            return passage_terms[hit.chunk.chunk_id] if text is hit.chunk.text else term_set(text)

        unnamed = {hit.chunk.chunk_id: 1.0 - coverage(focus, named(hit)) if focus else 0.0 for hit in hits}
        matching = self._token_matcher(asked, question, terms, hits)
        listing = s.weight_list if asks_for_list(question) else 0.0
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


def rerank(hits: list[Hit], sentences: list[ScoredSentence], k: int, lead: int | None = None) -> list[Hit]:
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
