"""What a question asks about ("the unemployment rate", "working days"), which an answer must name."""

from __future__ import annotations

import re

_COPULA = r"(?:is|was|are|were|will\s+be|has\s+been|have\s+been)"
AUXILIARIES = r"(?:does|do|did|is|are|was|were|has|have|had|will|can|could|would|should|may|might|must)"
# The thing a question asks about ("the unemployment rate" in "What is the unemployment rate in X?",
# "working days" in "How many working days does it take …"): an answer must name it. Only these
# two shapes are used; "Which sectors …" names a category whose answer lists members instead.
# The phrase ends at a preposition, a clause, "worth" ("What is X worth?" asks for a sum, the money
# answer type, not for X by name), or a second question joined by "and" ("Who is Jun Lin and what
# was her role?" asks about Jun Lin).
_FOCUS = (
    re.compile(
        rf"^\s*(?:what|which|who)\s+{_COPULA}\s+(?P<article>the\s+|an?\s+)?(?:[\w-]+(?:'s|’s)\s+)*(?P<focus>[^,?()]+?)"
        r"(?=\s*(?:\(|,|\?|$|\b(?:of|in|for|at|on|from|to|with|by|that|who|which|between|under|per"
        r"|compared|than|like|versus|vs|worth|and\s+(?:what|which|who|how|when|where|why))\b))",
        re.IGNORECASE,
    ),
    re.compile(rf"^\s*how\s+many\s+(?P<focus>[^,?]+?)\s+{AUXILIARIES}\b", re.IGNORECASE),
)
# A phrase without an article that ends in a participle (with an adverb of time or order after it)
# makes the copula an auxiliary: "Which was founded earlier", "What is Liangjiang aiming to
# become", "What are European research institutions invited to do", "What is being done" ask what
# is done, not about a thing the passage must name. "listed companies" and "the expected output"
# are things.
_ENDS_IN_VERB = re.compile(
    r"(?:^|\s)(?:[a-z]+(?:ing|ed)|being|done|meant|made|given|built|taken|held|set|paid|sold|spent|chosen"
    r"|known|seen)(?:\s+(?:earlier|first|later|last|before|after|recently|most|least))?$",
    re.IGNORECASE,
)
# Shell nouns (Schmid 2000): words that stand for an idea the sentence spells out in its own words
# ("the state of relations" → "a tense time"; "ambitions" → "plans to develop"), so an answer
# rarely repeats them. A focus headed by one names nothing the passage must contain.
_SHELL_NOUNS = frozenset(
    (
        "aim", "aims", "ambition", "ambitions", "approach", "approaches", "attitude", "attitudes",
        "challenge", "challenges", "focus", "goal", "goals", "idea", "ideas", "importance", "intention",
        "intentions", "nature", "orientation", "plan", "plans", "position", "purpose", "reason",
        "reasons", "role", "roles", "significance", "situation", "state", "status", "strategy",
        "strategies", "vision", "view", "views",
    )
)


def focus_phrase(question: str) -> str:
    """Return the words naming what `question` asks about, or "" when its shape is not recognised
    or what it asks about is a verb or a shell noun (see _SHELL_NOUNS)."""
    for pattern in _FOCUS:
        m = pattern.search(question)
        if m:
            focus = m.group("focus").strip()
            words = focus.lower().split()
            passive = (
                pattern is _FOCUS[0]
                and m.group("article") is None
                and _ENDS_IN_VERB.search(focus)
            )
            if not words or passive or words[-1] in _SHELL_NOUNS:
                return ""
            return focus
    return ""


# A title with one of these before it is another post: a deputy director is not the director.
_QUALIFIED = re.compile(r"\b(deputy|vice|former|acting|assistant|honorary)[\s-]+[\w-]+", re.IGNORECASE)


def unqualified(sentence: str, asked: frozenset[str]) -> str:
    """Return `sentence` without titles qualified by a word the question does not use ("deputy director");
    `sentence` itself when it has no qualified title. `asked` are the question's lower-case words."""
    if not _QUALIFIED.search(sentence):
        return sentence
    return _QUALIFIED.sub(lambda m: m.group(0) if m.group(1).lower() in asked else " ", sentence)
