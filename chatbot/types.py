"""Plain data passed between the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Where chunks may be cut (settings.chunk_boundaries).
ChunkBoundaries = Literal["sentences", "words"]


@dataclass(frozen=True)
class Part:
    """Where a stretch of a document's text came from: a PDF page or a Word section.

    `start`/`end` are offsets into `Document.text`; chunks never cross a part's edge, so each
    passage has one page (`page` is the physical 1-based number, `page_label` the printed one)
    or one nearest heading (`section`).
    """

    start: int
    end: int
    page: int | None = None
    page_label: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class Document:
    """A cleaned corpus document; `doc_id` is its path relative to the corpus folder."""

    doc_id: str
    title: str
    date: str | None
    text: str
    content_hash: str
    # Pages or sections of the text (empty for plain text and web pages).
    parts: tuple[Part, ...] = ()


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
    # The page (physical number and printed label) or nearest heading the passage sits under.
    page: int | None = None
    page_label: str | None = None
    section: str | None = None


def location(page: int | None, page_label: str | None, section: str | None) -> str:
    """Return where a passage sits, as a citation shows it: "p. 12", "p. iv (PDF page 4)", a
    heading, or "" for a document without pages or sections."""
    if page is not None:
        if page_label and page_label != str(page):
            return f"p. {page_label} (PDF page {page})"
        return f"p. {page}"
    return section or ""


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
    page: int | None = None
    page_label: str | None = None
    section: str | None = None

    @property
    def location(self) -> str:
        """Return the page or heading the passage sits under ("p. 2"), or "" when it has none."""
        return location(self.page, self.page_label, self.section)

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
                    "page": c.page,
                    "page_label": c.page_label,
                    "section": c.section,
                }
                for c in self.citations
            ],
        }
