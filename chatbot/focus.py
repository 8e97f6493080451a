"""What a question asks about ("the unemployment rate", "working days"), which an answer must name."""

from __future__ import annotations

import re

_COPULA = r"(?:is|was|are|were|will\s+be|has\s+been|have\s+been)"
AUXILIARIES = r"(?:does|do|did|is|are|was|were|has|have|had|will|can|could|would|should|may|might|must)"
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
    re.compile(rf"^\s*how\s+many\s+(?P<focus>[^,?]+?)\s+{AUXILIARIES}\b", re.IGNORECASE),
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
