"""How one answer is scored: key facts, relevance, ranking metrics and citation precision."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence

from chatbot.language import CJK, word_count
from chatbot.questions import Question
from chatbot.types import Chunk

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
# The [n] markers that point into an answer's source list (its date notes are what it says, kept).
_SOURCE_LIST = re.compile(r"\s*\[\d+\]")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _no_punctuation(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def squad_normalise(text: str) -> str:
    """Return `text` normalised as SQuAD's official scorer does: lower case, punctuation and the
    articles a, an, the removed, spacing collapsed."""
    return " ".join(_ARTICLES.sub(" ", _no_punctuation(text.lower())).split())


def chinese_normalise(text: str) -> str:
    """Return `text` lower-cased with all spaces and punctuation removed (CMRC 2018's scoring)."""
    return "".join(_no_punctuation(text.lower()).split())


def contains_key(text: str, keys: Sequence[str]) -> bool:
    """Return whether `text` contains any of `keys` after SQuAD-style normalisation; a key with
    Chinese characters is compared with spaces and punctuation removed from both."""
    english, chinese = squad_normalise(text), chinese_normalise(text)
    for k in keys:
        if CJK.search(k):
            key = chinese_normalise(k)
            if key and key in chinese:
                return True
        else:
            key = squad_normalise(k)
            if key and key in english:
                return True
    return False


def answer_body(answer: str) -> str:
    """Return an answer's text without the [n] markers pointing into its source list."""
    return _SOURCE_LIST.sub("", answer).strip()


def answer_words(answer: str) -> int:
    """Return the length of an answer in words, its source list not counted (see language.word_count)."""
    return word_count(answer_body(answer))


def length_summary(words: Sequence[int]) -> tuple[float | None, float | None]:
    """Return the mean and median of answer lengths in words (None, None for no answers)."""
    if not words:
        return None, None
    return round(statistics.fmean(words), 1), float(statistics.median(words))


def is_relevant(chunk: Chunk, q: Question) -> bool:
    """Return whether a passage is relevant: from a listed source, or else containing a key."""
    if q.sources:
        return chunk.doc_id in q.sources
    return contains_key(chunk.text, q.keys)


# --- ranking metrics over a list of relevance flags, best-ranked first -------------------------


def first_rank(flags: Sequence[bool]) -> int | None:
    """Return the 1-based rank of the first relevant passage, or None when none is."""
    return next((i for i, f in enumerate(flags, 1) if f), None)


def hit_at(flags: Sequence[bool], k: int) -> bool:
    """Return whether a relevant passage is among the first `k`."""
    return any(flags[:k])


def reciprocal_rank(flags: Sequence[bool]) -> float:
    """Return 1 / rank of the first relevant passage, 0 when none was retrieved."""
    rank = first_rank(flags)
    return 1.0 / rank if rank else 0.0


def ndcg_at(flags: Sequence[bool], relevant_total: int, k: int) -> float:
    """Return binary nDCG@k: DCG of the ranking over the DCG of an ideal one.

    The ideal ranking puts min(k, relevant_total) relevant passages first, where
    `relevant_total` counts the relevant passages in the whole index.
    """
    dcg = sum(1 / math.log2(i + 1) for i, f in enumerate(flags[:k], 1) if f)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(k, relevant_total) + 1))
    return dcg / ideal if ideal else 0.0


# --- citations -------------------------------------------------------------------------------

MARKER = re.compile(r"\[(\d+)\]")


def attached_claims(answer: str) -> list[tuple[str, int]]:
    """Return (claim, n) for every [n] marker: the text the marker closes, back to the previous one.

    Markers that follow each other ("… [1][2]") all attach to the same claim.
    """
    out: list[tuple[str, int]] = []
    last, claim = 0, ""
    for m in MARKER.finditer(answer):
        text = answer[last : m.start()].strip()
        if text:
            claim = text
        out.append((claim, int(m.group(1))))
        last = m.end()
    return out


def citation_precision(answer: str, passages: Mapping[int, str], keys: Sequence[str]) -> tuple[int, int]:
    """Return (precise, total) over the answer's citation markers.

    A marker is precise when its passage contains the claim it closes (answers are extractive)
    or, for a reworded claim, when the claim and the passage share one of the question's keys.
    A marker pointing at no listed citation is never precise.
    """
    claims = attached_claims(answer)
    precise = 0
    for claim, n in claims:
        passage = passages.get(n)
        if passage is None:
            continue
        shared_key = any(contains_key(claim, [k]) and contains_key(passage, [k]) for k in keys)
        if _norm(claim) in _norm(passage) or shared_key:
            precise += 1
    return precise, len(claims)
