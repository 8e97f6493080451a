"""Answer writers: turn a query and its ranked passages into a cited answer.

`AnswerWriter.write(query, ranking) -> Answer` and `stream(query, ranking)`, which yields `Delta`s
of text the user may see at once and ends with one `Final` holding the answer (whose text is what
the page shows in the end). `make_writer` picks the implementation named by `settings.writer`:
- "extractive": quotes the best sentences of the passages (extractive.py);
- "llm": a language model behind an OpenAI-compatible endpoint writes it, every sentence checked
  against the passage it cites before it is shown (llm.py), the extractive answer its fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from chatbot.embedding import Encoder
from chatbot.query import Query
from chatbot.settings import Settings
from chatbot.types import Answer, Ranking


@dataclass(frozen=True)
class Delta:
    """Text to append to what the user sees (already checked, where the writer checks)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The finished answer; what was streamed before it is replaced by its text."""

    answer: Answer


AnswerEvent = Delta | Final


class AnswerWriter(Protocol):
    """Writes the answer to one query from its ranked passages."""

    name: str

    def write(self, query: Query, ranking: Ranking) -> Answer:
        """Return the answer (index_version and built_at are the pipeline's to fill)."""
        ...

    def stream(self, query: Query, ranking: Ranking) -> Iterator[AnswerEvent]:
        """Yield the answer as it is written: Deltas, then exactly one Final."""
        ...


def make_writer(settings: Settings, encoder: Encoder, endpoint: Callable[[], str]) -> AnswerWriter:
    """Return the writer named by `settings.writer`; `endpoint()` gives the LLM's base URL when
    first needed (starting the packaged local server if the settings name none)."""
    from chatbot.writers.extractive import ExtractiveWriter

    extractive = ExtractiveWriter(settings)
    if settings.writer == "llm":
        from chatbot.writers.llm import LLMWriter

        return LLMWriter(settings, encoder, extractive, endpoint)
    return extractive


def final_answer(events: Iterator[AnswerEvent]) -> Answer:
    """Return the answer that ends `events`, consuming them."""
    for event in events:
        if isinstance(event, Final):
            return event.answer
    raise RuntimeError("an answer writer's stream ended without a Final event")
