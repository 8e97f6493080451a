"""What kind of answer a question asks for (a date, a number, a person) and whether a sentence has one."""

from __future__ import annotations

import re
from typing import Literal

from chatbot.clean import MONTH_NAMES, WEEKDAY_NAMES, WEEKDAY_WORDS
from chatbot.focus import AUXILIARIES
from chatbot.language import is_mostly_chinese

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
        rf"|\bhow\s+much\s+{AUXILIARIES}\b"
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
_HAS = {
    "money": re.compile(
        r"\d[\d,.]*\s*(?:(?:hundred|thousand|million|billion|trillion)\s+)?(?:yuan|rmb|renminbi|dollars?|euros?|usd|eur)\b"
        r"|(?:\$|€|£|¥|\brmb\s*|\byuan\s*)\s*\d"
        r"|\d\s*(?:万|亿)?\s*元",
        re.IGNORECASE,
    ),
    "date": re.compile(
        rf"\b(?:1[89]\d\d|20\d\d)\b|\b(?:{MONTH_NAMES})\.?\s+\d{{1,2}}\b"
        # Chinese writes dates as numbers before 年, 月 and 日 ("2008年1月12日"), with no space.
        r"|\d\s*(?:年|月|日)"
        rf"|\b(?:this|last|next)\s+(?:year|{MONTH_NAMES})\b|\b(?:{WEEKDAY_WORDS})\b|\bago\b",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
        r"|hundreds?|thousands?|millions?|billions?|trillions?|half|third|quarter|dozens?)\b",
        re.IGNORECASE,
    ),
    # Two capitalised words in a row that do not start the sentence: a name, most of the time; at
    # the start only when a comma follows them ("Tang Zongwei, deputy director of …"), as the first
    # words are capitalised anyway ("Liangjiang New Area is …"), and not after an opening time or
    # place phrase ("In March, …", "On Thursday, …").
    "person": re.compile(
        r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z]+\b"
        rf"|^[\"“]?(?!(?:In|On|At|By|For|From|Since|Until|After|Before|During|Last|This|Next|The|Every)\b)"
        rf"(?!(?:{MONTH_NAMES}|{WEEKDAY_NAMES})\b)"
        r"[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z]+(?=,)"
    ),
}


# "Who is Jun Lin?" names the person (two capitalised words at least: "Who is CEO?" does not) and
# asks what they are: a description, not a name.
_WHO_IS_NAMED = re.compile(
    r"\b(?i:who\s+(?:is|was))\s+(?:[A-Z][\w.-]*\s+)+[A-Z][\w.-]*(?<!['’]s)\s*(?:\?|,|$|\band\b)"
)


def expected_type(question: str) -> AnswerType | None:
    """Return the kind of answer `question` asks for, or None when it asks for no particular kind."""
    for kind, pattern in _ASKS.items():
        if kind == "person" and _WHO_IS_NAMED.search(question):
            continue
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def has_type(sentence: str, kind: AnswerType | None) -> bool:
    """Return whether `sentence` contains something of the `kind` asked for (False when None)."""
    return kind is not None and bool(_HAS[kind].search(sentence))


def lacks_type(sentence: str, kind: AnswerType | None) -> bool:
    """Return whether `sentence` is known to lack the `kind` asked for: a person's name is told by
    its capitals, which Chinese does not write, so a Chinese sentence is never known to lack one."""
    if kind is None or has_type(sentence, kind):
        return False
    return not (kind == "person" and is_mostly_chinese(sentence))


# Words ending in s that are not plurals, or not nouns ("What is", "What does this …").
_NOT_PLURAL = r"(?:is|was|has|does|this|its|his|hers|ours|yours|theirs|us|as|yes|plus|news|less)"
# "Which sectors …", "What industries …": a plural that asks for several things, answered by a list.
# Up to three words may come before the plural ("Which well-known multinational companies"), but
# no auxiliary ("What is the …" asks about one thing); a word in s followed by an object ("the",
# a name: "Which company runs Zhubajie.com?") is a verb, not a plural.
_ASKS_LIST = re.compile(
    rf"^\s*(?:(?:in|on|with|from|at)\s+)?(?:which|what)\s+(?:(?!{AUXILIARIES}\b)[\w-]+\s+){{0,3}}?"
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
