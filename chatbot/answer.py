"""Compose a short extractive answer from the retrieved passages, with numbered citations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chatbot.chunking import text_hash
from chatbot.embedding import Encoder, Vectors
from chatbot.sentences import split_sentences
from chatbot.settings import Settings
from chatbot.types import Answer, Citation, Hit

ABSTAIN_TEXT = "The documents don't say."


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored for how well it answers the question."""

    hit: Hit
    text: str
    start: int  # offset inside the passage
    end: int
    score: float


class SentenceVectors:
    """Sentence embeddings computed on demand and kept, since passages recur across questions."""

    def __init__(self, encoder: Encoder, max_entries: int = 50_000) -> None:
        self.encoder = encoder
        self.max_entries = max_entries
        self._cache: dict[str, Vectors] = {}

    def get(self, texts: list[str]) -> Vectors:
        """Return one normalised vector per text."""
        keys = [text_hash(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            vectors = self.encoder.encode_passages([by_key[k] for k in missing])
            if len(self._cache) + len(missing) > self.max_entries:
                self._cache.clear()
            self._cache.update(zip(missing, vectors, strict=True))
        if not keys:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.vstack([self._cache[k] for k in keys])


def score_sentences(
    query: Vectors, hits: list[Hit], vectors: SentenceVectors, passage_weight: float
) -> list[Candidate]:
    """Return every sentence of the hits, scored and sorted best first.

    The score mixes the sentence's own similarity to the question with its passage's, so a
    sentence that only makes sense in context (a figure after its subject) still ranks.
    """
    spans = [(hit, s) for hit in hits for s in split_sentences(hit.chunk.text)]
    if not spans:
        return []
    sims = vectors.get([s.text for _, s in spans]) @ query.reshape(-1)
    candidates = [
        Candidate(hit, s.text, s.start, s.end, (1 - passage_weight) * float(sim) + passage_weight * hit.score)
        for (hit, s), sim in zip(spans, sims, strict=True)
    ]
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def _pick(candidates: list[Candidate], settings: Settings) -> list[Candidate]:
    """Return the best sentence and the few close runners-up, each quoted once."""
    best = candidates[0]
    chosen = [best]
    seen = {(best.hit.chunk.doc_id, best.hit.chunk.start + best.start)}
    seen_text = {best.text}
    for c in candidates[1:]:
        if len(chosen) >= settings.max_answer_sentences or c.score < best.score * settings.sentence_keep_ratio:
            break
        key = (c.hit.chunk.doc_id, c.hit.chunk.start + c.start)
        if key in seen or c.text in seen_text:
            continue  # the same sentence reached through an overlapping chunk
        seen.add(key)
        seen_text.add(c.text)
        chosen.append(c)
    return chosen


def _cite(chosen: list[Candidate]) -> tuple[str, tuple[Citation, ...]]:
    """Return the answer text with [n] markers and the citations the markers point to."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for c in chosen:
        chunk = c.hit.chunk
        if chunk.chunk_id not in numbers:
            numbers[chunk.chunk_id] = len(numbers) + 1
            citations.append(
                Citation(
                    n=numbers[chunk.chunk_id],
                    doc_id=chunk.doc_id,
                    title=chunk.title,
                    date=chunk.date,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    score=c.score,
                    highlight=(c.start, c.end),
                )
            )
        parts.append(f"{c.text} [{numbers[chunk.chunk_id]}]")
    return " ".join(parts), tuple(citations)


def compose_answer(
    question: str,
    query: Vectors,
    hits: list[Hit],
    vectors: SentenceVectors,
    settings: Settings,
    index_version: str,
) -> Answer:
    """Return an answer built from the sentences that best answer the question.

    When even the best sentence scores below `settings.abstain_below`, the answer says the
    documents don't say, and names the closest passage they do have.
    """
    candidates = score_sentences(query, hits, vectors, settings.passage_weight)
    if not candidates:
        return Answer(question, ABSTAIN_TEXT, True, (), index_version, tuple(hits))
    if candidates[0].score < settings.abstain_below:
        closest, citations = _cite(candidates[:1])
        text = f"{ABSTAIN_TEXT} The closest they come is: {closest}"
        return Answer(question, text, True, citations, index_version, tuple(hits))
    text, citations = _cite(_pick(candidates, settings))
    return Answer(question, text, False, citations, index_version, tuple(hits))
