"""Plain data passed between the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chatbot.language import detect_language

# Where chunks may be cut (settings.chunk_boundaries).
ChunkBoundaries = Literal["sentences", "words"]


@dataclass(frozen=True)
class Document:
    """A cleaned corpus document; `doc_id` is its path relative to the corpus folder."""

    doc_id: str
    title: str
    date: str | None
    text: str
    content_hash: str
    language: str = ""  # "zh" or "en" (language.detect_language), detected from the text when not given

    def __post_init__(self) -> None:
        if not self.language:
            object.__setattr__(self, "language", detect_language(self.text))


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that could not be used, and why (said to the user as a warning)."""

    doc_id: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """A passage of a document; `text == document.text[start:end]`."""

    chunk_id: str
    doc_id: str
    title: str
    date: str | None
    text: str
    start: int
    end: int
    text_hash: str
    language: str = ""  # its document's language; detected from the text when not given

    def __post_init__(self) -> None:
        if not self.language:
            object.__setattr__(self, "language", detect_language(self.text))


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its retrieval score (higher is better) and 1-based rank."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the exact passage and where it came from.

    `highlight` is the [start, end) span inside `text` of the first sentence the answer quotes
    from it (the best supporting one); `highlights` every quoted span, in passage order, for when
    the answer quotes several sentences of the same passage.
    """

    n: int
    doc_id: str
    title: str
    date: str | None
    text: str
    start: int
    end: int
    score: float
    highlight: tuple[int, int]
    highlights: tuple[tuple[int, int], ...] = ()

    @property
    def quoted_spans(self) -> tuple[tuple[int, int], ...]:
        """Return every span the answer quotes from this passage (`highlights`, else `highlight`)."""
        return self.highlights or (self.highlight,)


def date_note(n: int, date: str) -> str:
    """Return how an answer dates its source `n` ("source 1 dated 2018-08-03"); the evaluation
    reads it back to tell whether a citation's date supports the answer."""
    return f"source {n} dated {date}"


@dataclass(frozen=True)
class Answer:
    """What the chatbot says to one question."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    index_version: str = ""
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)
    built_at: str = field(default="", compare=False)  # when the index version that answered was built

    def to_json(self) -> dict[str, object]:
        """Return the public JSON form used by `chatbot ask --json` and the API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "index_version": self.index_version,
            "citations": [
                {
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "title": c.title,
                    "date": c.date,
                    "text": c.text,
                    "start": c.start,
                    "end": c.end,
                    "score": round(c.score, 4),
                    "highlight": list(c.highlight),
                    "highlights": [list(span) for span in c.quoted_spans],
                }
                for c in self.citations
            ],
        }
