"""What kind of answer a question asks for (a date, a number, a person) and whether a sentence has one."""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["date", "number", "person"]

# Question openings that ask for a kind of answer; English and Chinese.
_ASKS = {
    "date": re.compile(
        r"\b(?:when|what\s+(?:year|date|month|day)s?|which\s+(?:year|date|month)s?|in\s+what\s+year|since\s+when)\b"
        r"|什么时候|哪一?年|何时|几月|哪天",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\bhow\s+(?:many|much|large|big|long|far|high|fast)\b"
        r"|\bwhat\s+(?:share|percentage|proportion|portion|number|amount|value|size|total|area|population)\b"
        r"|多少|几个|几家|多大|多长|比例",
        re.IGNORECASE,
    ),
    "person": re.compile(r"\b(?:who|whom|whose)\b|谁|哪位", re.IGNORECASE),
}
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_HAS = {
    "date": re.compile(
        rf"\b(?:1[89]\d\d|20\d\d)\b|\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b(?:this|last|next)\s+(?:year|{_MONTHS})\b"
        r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bago\b",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
        r"|hundreds?|thousands?|millions?|billions?|trillions?|half|third|quarter|dozens?)\b",
        re.IGNORECASE,
    ),
    # Two capitalised words in a row that do not start the sentence: a name, most of the time.
    "person": re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z]+\b"),
}


def expected_type(question: str) -> AnswerType | None:
    """Return the kind of answer `question` asks for, or None when it asks for no particular kind."""
    for kind, pattern in _ASKS.items():
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def has_type(sentence: str, kind: AnswerType | None) -> bool:
    """Return whether `sentence` contains something of the `kind` asked for (False when None)."""
    return kind is not None and bool(_HAS[kind].search(sentence))
