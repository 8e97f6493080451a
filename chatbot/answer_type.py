"""What kind of answer a question asks for (a date, a number, a person) and whether a sentence has one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from chatbot.lexical import tokenize

AnswerType = Literal["date", "money", "number", "person"]

# Question openings that ask for a kind of answer; English and Chinese. Checked in this order, so
# "How much does it cost" asks for money before "how much" asks for a number.
_ASKS = {
    "date": re.compile(
        r"\b(?:when|what\s+(?:year|date|month|day)s?|which\s+(?:year|date|month)s?|in\s+what\s+year|since\s+when)\b"
        r"|什么时候|哪一?年|何时|几月|哪天",
        re.IGNORECASE,
    ),
    # A price, or an amount of money spent or received: the answer needs a currency. "How much did
    # it get" is money, but "How much land did it get" names what it got: a quantity, not a sum.
    "money": re.compile(
        r"\b(?:cost|costs|price|prices|priced|fee|fees|rent|rents|salary|salaries|wage|wages|worth)\b"
        r"|\bhow\s+much\s+(?:money|investment|funding|capital|revenue)\b"
        r"|\bhow\s+much\s+(?:does|do|did|is|are|was|were|has|have|had|will|can|could|would|should)\b"
        r".*\b(?:invest|invested|pay|paid|spend|spent|earn|earned|raise|raised|receive|get)\b"
        r"|多少钱|价格|费用|成本|工资|租金",
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
    "money": re.compile(
        r"\d[\d,.]*\s*(?:(?:hundred|thousand|million|billion|trillion)\s+)?(?:yuan|rmb|renminbi|dollars?|euros?|usd|eur)\b"
        r"|(?:\$|€|£|¥|\brmb\s*|\byuan\s*)\s*\d"
        r"|\d\s*(?:万|亿)?\s*元",
        re.IGNORECASE,
    ),
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
# The same two capitalised words anywhere on one line, for picking names out of a quoted answer.
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ \t]+[A-Z]\.)?[ \t]+[A-Z][a-z]+\b")
_INITIAL = re.compile(r"\b[A-Z]\.")
# Capitalised words that are titles or times, never part of a name ("Deputy Director", "Atlanta Thursday").
_NOT_NAME = re.compile(
    rf"\b(?:{_MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Deputy|Vice|Director"
    r"|Chairman|Chairwoman|Chair|President|Minister|Mayor|Secretary|General|Governor|Professor|Head"
    r"|Chief|Officer|Manager|Committee|District|Province|City|Area|Zone|Park|Group|Company)\b"
)


def expected_type(question: str) -> AnswerType | None:
    """Return the kind of answer `question` asks for, or None when it asks for no particular kind."""
    for kind, pattern in _ASKS.items():
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def has_type(sentence: str, kind: AnswerType | None) -> bool:
    """Return whether `sentence` contains something of the `kind` asked for (False when None)."""
    return kind is not None and bool(_HAS[kind].search(sentence))


_COPULA = r"(?:is|was|are|were|will\s+be|has\s+been|have\s+been)"
_AUX = r"(?:does|do|did|is|are|was|were|has|have|had|will|can|could|would|should|may|might|must)"
# The thing a question asks about ("the unemployment rate" in "What is the unemployment rate in X?",
# "working days" in "How many working days does it take …"): an answer must name it. Only these
# two shapes are used; "Which sectors …" names a category whose answer lists members instead.
_FOCUS = (
    re.compile(
        rf"^\s*(?:what|which|who)\s+{_COPULA}\s+(?:the\s+|an?\s+)?(?:[\w-]+(?:'s|’s)\s+)*(?P<focus>[^,?()]+?)"
        r"(?=\s*(?:\(|,|\?|$|\b(?:of|in|for|at|on|from|to|with|by|that|who|which|between|under|per"
        r"|compared|than|like|versus|vs)\b))",
        re.IGNORECASE,
    ),
    re.compile(rf"^\s*how\s+many\s+(?P<focus>[^,?]+?)\s+{_AUX}\b", re.IGNORECASE),
)
# A title with one of these before it is another post: a deputy director is not the director.
_QUALIFIED = re.compile(r"\b(deputy|vice|former|acting|assistant|honorary)[\s-]+[\w-]+", re.IGNORECASE)


def focus_phrase(question: str) -> str:
    """Return the words naming what `question` asks about, or "" when its shape is not recognised."""
    for pattern in _FOCUS:
        m = pattern.search(question)
        if m:
            return m.group("focus")
    return ""


def unqualified(sentence: str, question: str) -> str:
    """Return `sentence` without titles qualified by a word the question does not use ("deputy director")."""
    asked = {w.lower() for w in re.findall(r"[\w-]+", question)}
    return _QUALIFIED.sub(lambda m: m.group(0) if m.group(1).lower() in asked else " ", sentence)


def person_names(text: str, idf: Callable[[str], float] | None = None, min_idf: float = 0.0) -> list[str]:
    """Return the names of people in `text` (see the "person" kind), in order of appearance.

    Titles, days and months are left out; with `idf` (a term's rarity in the index), so are pairs
    with a stopword ("By February") or a word no rarer than `min_idf` ("Liangjiang New"): a
    person's name is rare in a corpus about a place, the place's own words are common.
    """
    names = [n for n in _NAME.findall(text) if not _NOT_NAME.search(n)]
    if idf is None:
        return names
    return [
        n
        for n in names
        if len(terms := tokenize(n)) == len(_INITIAL.sub("", n).split()) and min(map(idf, terms)) > min_idf
    ]


# Words ending in s that are not plurals, or not nouns ("What is", "What does this …").
_NOT_PLURAL = r"(?:is|was|has|does|this|its|his|hers|ours|yours|theirs|us|as|yes|plus|news|less)"
# "Which sectors …", "What industries …": a plural that asks for several things, answered by a list.
# Up to three words may come before the plural ("Which well-known multinational companies"), but
# no auxiliary ("What is the …" asks about one thing); a word in s followed by an object ("the",
# a name: "Which company runs Zhubajie.com?") is a verb, not a plural.
_ASKS_LIST = re.compile(
    rf"^\s*(?:(?:in|on|with|from|at)\s+)?(?:which|what)\s+(?:(?!{_AUX}\b)[\w-]+\s+){{0,3}}?"
    rf"(?!{_NOT_PLURAL}\b)[\w-]*[a-z](?<![su])s\b(?!\s+(?:(?:the|an?)\b|(?-i:[A-Z])))",
    re.IGNORECASE,
)
_HAS_LIST = re.compile(
    r"\b(?:including|such as|include|includes|included)\b|,[^,]+,[^,]*\band\b", re.IGNORECASE
)


def asks_for_list(question: str) -> bool:
    """Return whether `question` asks for several things ("Which sectors …")."""
    return bool(_ASKS_LIST.search(question))


def has_list(sentence: str) -> bool:
    """Return whether `sentence` enumerates things ("including A, B and C", "A, B and C")."""
    return bool(_HAS_LIST.search(sentence))
