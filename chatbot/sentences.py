"""Split passages into sentences with character offsets (the unit an answer quotes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.clean import MONTH_WORDS

# A sentence ends at . ! ? (or a Chinese full stop), optionally followed by a closing quote or
# bracket, before whitespace and a capital, digit or opening quote; a blank line also ends one.
# A Chinese sentence end needs no space after it, and keeps the closing quotes that follow it.
_BOUNDARY = re.compile(
    r"(?<=[.!?。！？])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9\u4e00-\u9fff])|\n\s*\n|(?<=[。！？])[」』”’）)]*"
)
# Abbreviations after which a full stop does not end the sentence.
_ABBREVIATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Co.", "Ltd.", "St.", "U.S.", "No.", "Prof.", "Inc.", "vs.")

# A single capital and a full stop is an initial ("John Z. Zhang"), not a sentence end.
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")


# "This year", "This May" point at the article's time, not at the sentence before.
_TIME_WORDS = (
    r"(?:years?|months?|weeks?|quarters?|decades?|days?|time|spring|summer|autumn|fall|winter"
    rf"|{MONTH_WORDS})"
)
# A sentence that opens by pointing back ("It's also a logistics hub", "The company, established
# in 2006, …", "Both areas will …") is about what the sentence before it named.
_REFERS_BACK = re.compile(
    r"^[\"“‘(]?(?:it|its|it[’']s|they|their|them|he|his|she|her|those|both"
    rf"|(?:this|these|such)(?!\s+(?:past\s+|coming\s+)?{_TIME_WORDS}\b)"
    r"|the\s+(?:company|firm|group|city|area|zone|two|former|latter))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    """A sentence and its [start, end) span in the text it was cut from."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Return the sentences of `text`, stripped, with offsets such that text[start:end] == sentence."""
    sentences: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + _closing_len(m.group(0))
        before = text[start:end].rstrip()
        paragraph_break = m.group(0).count("\n") >= 2
        if not paragraph_break and (before.endswith(_ABBREVIATIONS) or _INITIAL.search(before)):
            continue  # "U.S." ends a sentence only where a paragraph ends too
        _append(sentences, text, start, end)
        start = m.end()
    _append(sentences, text, start, len(text))
    return sentences


def _closing_len(sep: str) -> int:
    """Length of the closing quote or bracket that belongs to the sentence before `sep`."""
    return len(sep) - len(sep.lstrip('"”’)」』）'))


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = start + lead
    out.append(Sentence(stripped, s, s + len(stripped)))


def refers_back(sentence: str) -> bool:
    """Return whether `sentence` opens with a pronoun or "the company"-like reference to the one before."""
    return bool(_REFERS_BACK.match(sentence))
