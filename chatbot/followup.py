"""Resolve a follow-up question against the conversation before retrieval."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chatbot.clean import MONTH_NAMES, WEEKDAY_NAMES
from chatbot.lexical import tokenize
from chatbot.types import Answer

# Words that point back to something said before ("those", "he", "the two sides", "what about").
_ANAPHORA = re.compile(
    r"\b(?:it|its|they|them|their|those|these|that|this|he|him|his|she|her|there|then"
    r"|both|either|neither|the two|the same|such|former|latter|the other|others)\b"
    r"|^\s*(?:and|but|also|so|what about|how about|and what|what else)\b"
    r"|[它他她其该此这那]",
    re.IGNORECASE,
)


# Pronouns for a person, who is usually the one the previous answer named; 他 inside 其他 ("other")
# and 他们/她们 ("they") is not one person.
_PERSON_PRONOUN = re.compile(r"\b(?:he|him|his|she|her|hers)\b|(?<!其)[他她](?![们們])", re.IGNORECASE)


@dataclass(frozen=True)
class ResolvedQuestion:
    """A question as asked and the context from earlier turns it depends on ("" when standalone)."""

    question: str
    context: str

    @property
    def search_text(self) -> str:
        """Return the text to retrieve with: the context followed by the question."""
        return f"{self.context} {self.question}".strip()


def depends_on_context(question: str, min_terms: int) -> bool:
    """Return whether `question` refers back to earlier turns or is too bare to stand alone."""
    return bool(_ANAPHORA.search(question)) or len(tokenize(question)) < min_terms


def refers_to_person(question: str) -> bool:
    """Return whether `question` points back at a person ("What's his title?")."""
    return bool(_PERSON_PRONOUN.search(question))


def resolve(question: str, history: Sequence[str], min_terms: int) -> ResolvedQuestion:
    """Return `question` with the earlier user turns it depends on as context.

    A question that stands alone gets no context, so an unrelated new topic is not polluted by
    the old one; a follow-up carries the previous question (itself resolved the same way).
    """
    if not history or not depends_on_context(question, min_terms):
        return ResolvedQuestion(question, "")
    previous = resolve(history[-1], history[:-1], min_terms)
    return ResolvedQuestion(question, previous.search_text)


# The same two capitalised words anywhere on one line, for picking names out of a quoted answer.
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ \t]+[A-Z]\.)?[ \t]+[A-Z][a-z]+\b")
_INITIAL = re.compile(r"\b[A-Z]\.")
# Capitalised words that are titles or times, never part of a name ("Deputy Director", "Atlanta Thursday").
_NOT_NAME = re.compile(
    rf"\b(?:{MONTH_NAMES}|{WEEKDAY_NAMES}|Deputy|Vice|Director"
    r"|Chairman|Chairwoman|Chair|President|Minister|Mayor|Secretary|General|Governor|Professor|Head"
    r"|Chief|Officer|Manager|Committee|District|Province|City|Area|Zone|Park|Group|Company)\b"
)


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


class AnswerMemory:
    """The latest answers, so that a follow-up can see what the answer before it said.

    Shared by the chat's concurrent answers, hence the lock; past `capacity` the oldest go first.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, version: str, question: str, answer: Answer) -> None:
        """Keep `answer` as the latest one to `question` on index `version`."""
        with self._lock:
            self._answers[(version, question)] = answer
            self._answers.move_to_end((version, question))
            if len(self._answers) > self.capacity:
                self._answers.popitem(last=False)

    def latest(self, version: str, question: str) -> Answer | None:
        """Return the latest answer to `question` on index `version`, whatever history it had."""
        with self._lock:
            return self._answers.get((version, question))
