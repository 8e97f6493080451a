"""Compose a short extractive answer from scored sentences, with numbered citations."""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.conflicts import find_conflict
from chatbot.rerank import ScoredSentence
from chatbot.settings import Settings
from chatbot.types import Answer, Citation, Hit

ABSTAIN_TEXT = "The documents don't say."

# Time words that only make sense with the article's date ("this May", "visited Atlanta Thursday").
_RELATIVE_TIME = re.compile(
    r"\b(?:this|last|next)\s+(?:year|month|week|spring|summer|autumn|fall|winter|january|february|march"
    r"|april|may|june|july|august|september|october|november|december)\b"
    r"|\b(?:yesterday|today|tomorrow|recently|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b\w+\s+(?:years?|decades?|months?)\s+ago\b",
    re.IGNORECASE,
)


def confidence(best: ScoredSentence, settings: Settings) -> float:
    """Return how sure we are that `best` answers the question (compared with abstain_below).

    The rule was chosen from the score distributions of answerable and unanswerable dev questions:
    what separates them is whether the question's rare terms occur in the best sentence and its
    passage, whether a number the question names (a year) is there, and whether the sentence holds
    the kind of answer asked for, more than how close the embeddings are.
    """
    return (
        settings.abstain_weight_coverage * best.coverage
        + (1 - settings.abstain_weight_coverage) * best.context
        + settings.abstain_weight_cosine * best.cosine
        - settings.abstain_penalty_number * best.numbers_missing
        - settings.abstain_penalty_type * best.untyped
    )


def _pick(sentences: Sequence[ScoredSentence], settings: Settings) -> list[ScoredSentence]:
    """Return the best sentence and the few close runners-up, each quoted once."""
    best = sentences[0]
    chosen = [best]
    seen = {(best.hit.chunk.doc_id, best.hit.chunk.start + best.start)}
    seen_text = {best.text}
    for c in sentences[1:]:
        if (
            len(chosen) >= settings.max_answer_sentences
            or c.score < best.score * settings.sentence_keep_ratio
        ):
            break
        key = (c.hit.chunk.doc_id, c.hit.chunk.start + c.start)
        if key in seen or c.text in seen_text:
            continue  # the same sentence reached through an overlapping chunk
        seen.add(key)
        seen_text.add(c.text)
        chosen.append(c)
    return chosen


def _dated(c: ScoredSentence) -> str:
    """Return the sentence, followed by its source's date when it speaks in relative time."""
    if c.hit.chunk.date and _RELATIVE_TIME.search(c.text):
        return f"{c.text} (source dated {c.hit.chunk.date})"
    return c.text


def _cite(
    chosen: Sequence[ScoredSentence], with_dates: bool = False
) -> tuple[list[str], tuple[Citation, ...]]:
    """Return each chosen sentence followed by its [n] marker, and the citations the markers point to."""
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
        marker = f"[{numbers[chunk.chunk_id]}]"
        if with_dates:
            parts.append(f"{c.text} {marker} ({chunk.date or 'undated'})")
        else:
            parts.append(f"{_dated(c)} {marker}")
    return parts, tuple(citations)


def _newest_first(sentences: list[ScoredSentence]) -> list[ScoredSentence]:
    # ISO dates and bare years sort correctly as text; undated sources go last.
    return sorted(sentences, key=lambda s: s.hit.chunk.date or "", reverse=True)


def compose_answer(
    question: str,
    sentences: Sequence[ScoredSentence],
    hits: Sequence[Hit],
    settings: Settings,
    index_version: str,
) -> Answer:
    """Return an answer built from the sentences that best answer the question, best first.

    Abstains (saying the documents don't say, and naming the closest thing they do say) when the
    best sentence's confidence is below `settings.abstain_below`; when documents give different
    values for the same measure, says so and cites each with its date, newest first.
    """
    if not sentences:
        return Answer(question, ABSTAIN_TEXT, True, (), index_version, tuple(hits))
    best = sentences[0]
    if confidence(best, settings) < settings.abstain_below:
        parts, citations = _cite([best])
        text = f"{ABSTAIN_TEXT} The closest they come is: {parts[0]}"
        return Answer(question, text, True, citations, index_version, tuple(hits))
    conflict = find_conflict(sentences, settings.conflict_min_share, settings.conflict_min_coverage, question)
    if conflict:
        parts, citations = _cite(_newest_first(conflict), with_dates=True)
        text = "The sources differ: " + " ".join(parts)
        return Answer(question, text, False, citations, index_version, tuple(hits))
    parts, citations = _cite(_pick(sentences, settings))
    return Answer(question, " ".join(parts), False, citations, index_version, tuple(hits))
