"""The analysed question: everything later stages need from it, computed once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chatbot.answer_type import AnswerType, asks_for_list, expected_type
from chatbot.conflicts import measures
from chatbot.embedding import Encoder, Vectors
from chatbot.focus import focus_phrase
from chatbot.followup import ResolvedQuestion
from chatbot.late_interaction import QuestionWords, question_words
from chatbot.lexical import is_mostly_chinese, tokenize
from chatbot.retrieve import IndexAids

_WORDS = re.compile(r"[\w-]+")


@dataclass(frozen=True, eq=False)  # eq=False: numpy arrays do not compare as booleans
class Query:
    """A question as the answer stage reads it; no stage parses the question's string again.

    `text` is the question as asked (tidied), `context` the words of earlier turns it depends on
    ("" when it stands alone), `language` "zh" or "en". `terms` weighs the question's content
    terms by rarity in the index it is asked of (context terms count less), `numbers` are the
    numbers it names (a year), `kind` the kind of answer it asks for (a date for "when"),
    `wants_list` whether it asks for several things, `focus` the terms of what it asks about
    ("the unemployment rate"), `words` its lower-case words, `units`/`counted` the measures it asks
    about (an area, a count of parks) for spotting sources that disagree. `vector` is its
    embedding, `match_words` its content words' word-piece vectors for the token match (None for
    a follow-up or an encoder without word pieces). `aids` are the lexical statistics and passage
    vectors of the index version the terms were weighed in.
    """

    text: str
    context: str
    language: str
    terms: Mapping[str, float]
    numbers: frozenset[str]
    kind: AnswerType | None
    wants_list: bool
    focus: Mapping[str, float]
    words: frozenset[str]
    units: frozenset[str]
    counted: frozenset[str]
    vector: Vectors
    match_words: QuestionWords | None
    aids: IndexAids
    search_terms: tuple[str, ...] = ()  # the lexical terms of search_text, for BM25

    @property
    def search_text(self) -> str:
        """Return the text retrieval searches with: the context followed by the question."""
        return f"{self.context} {self.text}".strip()


def language_of(text: str) -> str:
    """Return "zh" for mostly Chinese text, else "en"."""
    return "zh" if is_mostly_chinese(text) else "en"


def analyse(
    resolved: ResolvedQuestion,
    aids: IndexAids,
    encoder: Encoder,
    context_weight: float,
    token_match: bool,
) -> Query:
    """Return the analysed form of `resolved`, its terms weighed in the index of `aids`.

    One run of the model gives both the vector and the word pieces of a standalone question. A
    follow-up ("Which body approved it?") gets no word pieces: it names its subject in earlier
    turns, which the token match cannot see, so its few own words would outweigh them (measured:
    matching follow-ups too moved the passage of 1 dev and 1 test follow-up off rank 1).
    """
    question = resolved.question
    focus = tokenize(focus_phrase(question))
    idf = aids.idfs([*tokenize(resolved.context), *tokenize(question), *focus])  # one look-up
    terms: dict[str, float] = {}
    for term in tokenize(resolved.context):
        terms[term] = context_weight * idf[term]
    for term in tokenize(question):
        terms[term] = idf[term]
    pieces = encoder.encode_tokens([question]) if token_match and not resolved.context else None
    if pieces:
        vector = pieces[0].pooled
        match_words: QuestionWords | None = question_words(pieces[0], question, terms)
    else:
        vector = encoder.encode_queries([resolved.search_text])[0]
        match_words = None
    units, counted = measures(question)
    return Query(
        text=question,
        context=resolved.context,
        language=language_of(question),
        terms=terms,
        numbers=frozenset(t for t in tokenize(question) if t[:1].isdigit()),
        kind=expected_type(question),
        wants_list=asks_for_list(question),
        focus={t: idf[t] for t in focus},
        words=frozenset(w.lower() for w in _WORDS.findall(question)),
        units=frozenset(units),
        counted=frozenset(counted),
        vector=vector,
        match_words=match_words,
        aids=aids,
        search_terms=tuple(tokenize(resolved.search_text)),
    )
