"""Lexical matching: a tokenizer for English and Chinese, BM25 over chunks, and term weights."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from chatbot.language import is_mostly_chinese as is_mostly_chinese  # where callers find it

# bm25s sets its own logger to DEBUG at import, which would print on every index load.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Latin words and numbers ("1,205", "367.5" stay whole), or runs of CJK characters (a Latin word
# ends where Chinese begins: "force合作" is two tokens).
_TOKEN = re.compile(
    r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_\u3400-\u9fff\uf900-\ufaff]+|[\u3400-\u9fff\uf900-\ufaff]+"
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Words that shape a question rather than name what it is about (beyond the usual stopwords).
_QUESTION_WORDS = frozenset(
    [
        "many",
        "much",
        "long",
        "large",
        "big",
        "kind",
        "kinds",
        "type",
        "sort",
        "name",
        "named",
        "also",
        "according",
        "tell",
        "please",
        "know",
        "give",
        "would",
        "could",
        "might",
        "may",
        "shall",
        "must",
        "one",
        "whose",
    ]
)
STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | _QUESTION_WORDS
# British "-tre" spellings match American "-ter" ones ("kilometres" and "kilometers"), which the
# English stemmer keeps apart.
_BRITISH_TRE = re.compile(r"(?<=[a-z]{2})tre(s?)$")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def chinese_terms(run: str) -> list[str]:
    """Return the terms of a run of Chinese characters: its overlapping character pairs (a lone
    character stays one). Measured against jieba's words less bm25s's Chinese stopwords (see
    docs/quality.md): words answered 2 more cmrc15 questions but 8 more of its unanswerable ones
    and lost 2 of zh, so pairs are kept."""
    return [run[i : i + 2] for i in range(max(1, len(run) - 1))]


def tokenize(text: str) -> list[str]:
    """Return the content terms of `text`: stemmed English words and numbers without stopwords,
    and overlapping character bigrams for Chinese (a lone character stays a unigram).
    """
    out: list[str] = []
    words: list[str] = []
    for m in _TOKEN.finditer(text.lower()):
        tok = m.group(0)
        if _CJK.match(tok):
            out.extend(chinese_terms(tok))
        elif tok[0].isdigit():
            out.append(tok.replace(",", ""))
        elif tok not in STOPWORDS and len(tok) > 1:
            words.append(_BRITISH_TRE.sub(r"ter\1", tok))
    out.extend(_stemmer().stemWords(words))
    return out


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """Return each content term of `text` (see tokenize) with the [start, end) of its word."""
    # Matched on `text` itself, not its lower case, whose offsets can differ ("İ" lowers to 2 characters).
    return [(m.start(), m.end(), t) for m in _TOKEN.finditer(text) for t in tokenize(m.group(0))]


class LexicalIndex:
    """BM25 over a fixed list of texts (one index version's chunks), plus term rarity weights."""

    def __init__(self, texts: Sequence[str], k1: float, b: float) -> None:
        tokens = [tokenize(t) for t in texts]
        self.size = len(texts)
        self.term_sets = [frozenset(t) for t in tokens]  # per text, as term_set(text) would give
        self.bm25 = bm25s.BM25(k1=k1, b=b)
        # bm25s needs at least one token per text; an empty chunk gets a placeholder.
        self.bm25.index([t or ["\u2400"] for t in tokens], show_progress=False)
        df = Counter(term for terms in self.term_sets for term in terms)
        n = max(1, len(texts))
        self._df = df
        self._n = n
        # A term never seen is as rare as one seen once: asking for it is informative.
        self._max_idf = self._idf(1)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        """Return the BM25 idf of `term` (the rarest value for terms the index has not seen)."""
        df = self._df.get(term, 0)
        return self._idf(df) if df else self._max_idf

    def scores(self, query_terms: Iterable[str]) -> npt.NDArray[np.float32]:
        """Return the BM25 score of every text for the query terms (0 where none match)."""
        known = [t for t in dict.fromkeys(query_terms) if t in self._df]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


def coverage(query_terms: dict[str, float], terms: frozenset[str] | set[str]) -> float:
    """Return the weighted share of `query_terms` (term -> weight) found among `terms`, in [0, 1]."""
    total = sum(query_terms.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in query_terms.items() if t in terms) / total


@lru_cache(maxsize=65_536)
def term_set(text: str) -> frozenset[str]:
    """Return the set of `tokenize(text)`, remembered since passages recur across questions."""
    return frozenset(tokenize(text))

