"""The extractive writer: a short answer quoting the best sentences, with numbered citations."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from chatbot.clean import MONTH_WORDS, WEEKDAY_WORDS
from chatbot.conflicts import find_conflict
from chatbot.introductions import introduce
from chatbot.query import Query, language_of
from chatbot.settings import Settings
from chatbot.types import Answer, Citation, DocumentSpan, Ranking, ScoredSentence, date_note, overlaps
from chatbot.writers import AnswerEvent, Delta, Final

ABSTAIN_TEXT = "The documents don't say."

# Time words that only make sense with the article's date ("this May", "visited Atlanta Thursday").
_RELATIVE_TIME = re.compile(
    rf"\b(?:this|last|next)\s+(?:year|month|week|spring|summer|autumn|fall|winter|{MONTH_WORDS})\b"
    rf"|\b(?:yesterday|today|tomorrow|recently|{WEEKDAY_WORDS})\b"
    r"|\b\w+\s+(?:years?|decades?|months?)\s+ago\b",
    re.IGNORECASE,
)


def confidence(best: ScoredSentence, settings: Settings) -> float:
    """Return how sure we are that `best` answers the question (compared with abstain_below).

    A weighted sum fitted by logistic regression on the dev questions (eval/calibrate_abstention.py):
    what separates answerable from unanswerable questions is whether the question's rare terms
    occur in the best sentence's passage, whether a number the question names (a year) is there,
    whether the sentence holds the kind of answer asked for, and whether the passage names what
    the question asks about ("the unemployment rate"), far more than how close the embeddings are.
    """
    return (
        settings.abstain_weight_context * best.context
        + settings.abstain_weight_coverage * best.coverage
        + settings.abstain_weight_cosine * best.cosine
        - settings.abstain_penalty_number * best.numbers_missing
        - settings.abstain_penalty_type * best.untyped
        - settings.abstain_penalty_focus * best.focus_missing
    )


def judged_sentence(sentences: Sequence[ScoredSentence]) -> ScoredSentence:
    """Return the sentence whose confidence decides whether to abstain: the best by its score
    without the token match (`word_score`).

    The token match may rank first a sentence that says the answer in other words than the
    question's, with little of the lexical evidence the confidence weighs; the confidence was fitted
    on the sentence words rank first (measured: judging the token-matched best sentence instead
    added false abstentions on dev, test and calib; the best of the first two answered more
    unanswerable questions).
    """
    return max(sentences, key=lambda c: c.word_score)


def _quote(c: ScoredSentence) -> str:
    """Return the text quoted for `c`, on one line: a lead may end a paragraph before the sentence."""
    a, b = c.quoted_span
    return c.text if a == c.start else " ".join(c.hit.chunk.text[a:b].split())


def _pick(sentences: Sequence[ScoredSentence], settings: Settings) -> list[ScoredSentence]:
    """Return the best sentence and the few close runners-up, each quoted once.

    The best is always kept, even with a negative score (where the keep ratio would reject it).
    """
    best = sentences[0]
    chosen: list[ScoredSentence] = []
    quoted: list[DocumentSpan] = []  # what is already quoted
    seen_text: set[str] = set()
    for c in sentences:
        if len(chosen) >= settings.max_answer_sentences or (
            chosen and c.score < best.score * settings.sentence_keep_ratio
        ):
            break
        # The same sentence reached through an overlapping chunk, or already quoted as a lead.
        if c.text in seen_text or overlaps(quoted, c.in_document(with_lead=False)):
            continue
        if overlaps(quoted, c.in_document()):
            c = replace(c, lead_start=None)  # its lead is already quoted: the sentence alone follows on
        quoted.append(c.in_document())
        seen_text.add(c.text)
        chosen.append(c)
    return chosen


def _date_notes(chosen: Sequence[ScoredSentence], numbers: dict[str, int], every: bool) -> str:
    """Return "(source 1 dated …; …)" for the sources whose sentences need their date, or "".

    The note follows the last marker, so every [n] still closes a verbatim quotation of its passage;
    `every` dates every source (for conflicting sources), otherwise only sentences in relative time
    ("this May", "visited Atlanta Thursday") are dated.
    """
    dated: dict[int, str] = {}
    for c in chosen:
        if every or (c.hit.chunk.date and _RELATIVE_TIME.search(c.text)):
            dated.setdefault(numbers[c.hit.chunk.chunk_id], c.hit.chunk.date or "undated")
    return "; ".join(date_note(n, d) for n, d in dated.items())


def _cite(
    chosen: Sequence[ScoredSentence], with_dates: bool = False
) -> tuple[list[str], str, tuple[Citation, ...]]:
    """Return each chosen sentence followed by its [n] marker, the date note (see _date_notes), and
    the citations the markers point to."""
    numbers: dict[str, int] = {}
    first: dict[str, ScoredSentence] = {}  # the first sentence quoted from each passage
    spans: dict[str, list[tuple[int, int]]] = {}
    parts: list[str] = []
    for c in chosen:
        chunk_id = c.hit.chunk.chunk_id
        if chunk_id not in numbers:
            numbers[chunk_id] = len(numbers) + 1
            first[chunk_id] = c
        spans.setdefault(chunk_id, []).append(c.quoted_span)
        parts.append(f"{_quote(c)} [{numbers[chunk_id]}]")
    citations = tuple(
        Citation(
            n=numbers[chunk_id],
            doc_id=c.hit.chunk.doc_id,
            title=c.hit.chunk.title,
            date=c.hit.chunk.date,
            text=c.hit.chunk.text,
            start=c.hit.chunk.start,
            end=c.hit.chunk.end,
            score=c.score,
            highlight=c.quoted_span,
            highlights=tuple(sorted(spans[chunk_id])),
            page=c.hit.chunk.page,
            page_label=c.hit.chunk.page_label,
            section=c.hit.chunk.section,
        )
        for chunk_id, c in first.items()
    )
    return parts, _date_notes(chosen, numbers, with_dates), citations


def _newest_first(sentences: list[ScoredSentence]) -> list[ScoredSentence]:
    # ISO dates and bare years sort correctly as text; undated sources go last.
    return sorted(sentences, key=lambda s: s.hit.chunk.date or "", reverse=True)


def conflicting(
    query: Query, sentences: Sequence[ScoredSentence], settings: Settings
) -> list[ScoredSentence]:
    """Return one sentence per document when the documents disagree on what `query` asks, else []."""
    return find_conflict(
        sentences, settings.conflict_min_share, settings.conflict_min_coverage, query.units, query.counted
    )


def refusal(ranking: Ranking, confidence_: float | None = None) -> Answer:
    """Return the answer that declines, naming the closest thing the passages do say."""
    hits = ranking.hits
    if not ranking.sentences:
        return Answer("", ABSTAIN_TEXT, True, (), hits=hits, confidence=confidence_)
    best = ranking.sentences[0]
    parts, note, citations = _cite([best])
    text = _with_note(f"{ABSTAIN_TEXT} The closest they come is: {parts[0]}", note)
    return Answer("", text, True, citations, hits=hits, confidence=confidence_,
                  judged=judged_sentence(ranking.sentences))  # fmt: skip


def compose_answer(query: Query, ranking: Ranking, settings: Settings) -> Answer:
    """Return an answer built from the sentences that best answer the question, best first.

    Abstains (saying the documents don't say, and naming the closest thing they do say) when the
    sentence that words alone rank first is not confident enough (`settings.abstain_below`; or,
    for a question in another language than the best sentence, whose words it cannot share, when
    that sentence's cosine is below `settings.abstain_cosine_below`); when documents give different
    values for the same measure, quotes each, newest first, and then says that the sources differ
    and how old each is. Notes come after the last marker, so each [n] closes a verbatim quotation.
    The answer's `question` and index version are the pipeline's to fill.
    """
    sentences, hits = ranking.sentences, ranking.hits
    if not sentences:
        return refusal(ranking)
    judged = judged_sentence(sentences)
    sure = confidence(judged, settings)
    if (
        sure < settings.abstain_below
        if query.language == language_of(judged.text)
        else judged.cosine < settings.abstain_cosine_below
    ):
        return refusal(ranking, sure)
    conflict = conflicting(query, sentences, settings)
    if conflict:
        parts, note, citations = _cite(_newest_first(conflict), with_dates=True)
        text = " ".join(parts) + f" The sources differ: {note}."
        return Answer("", text, False, citations, hits=hits, confidence=sure, judged=judged)
    parts, note, citations = _cite(introduce(_pick(sentences, settings), sentences))
    return Answer("", _with_note(" ".join(parts), note), False, citations, hits=hits, confidence=sure,
                  judged=judged)  # fmt: skip


class ExtractiveWriter:
    """Quotes the passages: the default writer, and every other writer's fallback."""

    name = "extractive"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def write(self, query: Query, ranking: Ranking) -> Answer:
        """Return the extractive answer (see compose_answer)."""
        return compose_answer(query, ranking, self.settings)

    def stream(self, query: Query, ranking: Ranking) -> Iterator[AnswerEvent]:
        """Yield the answer a few words at a time (it is composed at once), then the Final."""
        answer = self.write(query, ranking)
        words = answer.text.split(" ")
        step = self.settings.stream_words
        for i in range(0, len(words), step):
            yield Delta(" ".join(words[i : i + step]) + (" " if i + step < len(words) else ""))
        yield Final(answer)


def _with_note(text: str, note: str) -> str:
    return f"{text} ({note})" if note else text
