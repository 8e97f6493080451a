"""Plain data passed between the pipeline's stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from chatbot.language import detect_language

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
    # The page (physical number and printed label) or nearest heading the passage sits under.
    page: int | None = None
    page_label: str | None = None
    section: str | None = None
    language: str = ""  # its document's language; detected from the text when not given

    def __post_init__(self) -> None:
        if not self.language:
            object.__setattr__(self, "language", detect_language(self.text))


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
class ScoredSentence:
    """A sentence of a retrieved passage and the evidence that it answers the question.

    `start`/`end` are offsets inside the passage; `coverage` is the rarity-weighted share of the
    question's terms found in the sentence, `context` the same share in the whole passage,
    `token_match` how closely its word pieces match the question's words (late_interaction.py),
    `word_score` the score without the token match (what abstention judges, see
    answer.judged_sentence);
    `untyped` says whether a kind of answer was asked for (a date for "when") and the sentence
    lacks it, `numbers_missing` whether a number of the question (a year, say) is absent from the
    passage and its date, and `focus_missing` the rarity-weighted share of what the question asks
    about ("the unemployment rate") that the passage does not name. `lead_start` is where the
    sentence before begins when this one opens by pointing back at it ("It is also …"), so that
    both are quoted together.
    """

    hit: Hit
    text: str
    start: int
    end: int
    cosine: float
    coverage: float
    context: float
    token_match: float
    untyped: bool
    numbers_missing: bool
    focus_missing: float
    score: float
    word_score: float
    lead_start: int | None = None

    @property
    def quoted_span(self) -> tuple[int, int]:
        """Return the [start, end) in the passage of what is quoted for this sentence: the sentence,
        with the one before it when it opens by pointing back at it."""
        return (self.start if self.lead_start is None else self.lead_start), self.end

    def in_document(self, with_lead: bool = True) -> DocumentSpan:
        """Return where in its document what is quoted for this sentence lies (the sentence alone
        when not `with_lead`)."""
        a, b = self.quoted_span if with_lead else (self.start, self.end)
        return self.hit.chunk.doc_id, self.hit.chunk.start + a, self.hit.chunk.start + b


# (document, start, end): a span of a document, as passages of different chunks can overlap.
DocumentSpan = tuple[str, int, int]


def overlaps(quoted: Sequence[DocumentSpan], span: DocumentSpan) -> bool:
    """Return whether `span` overlaps one of the `quoted` spans."""
    doc, a, b = span
    return any(d == doc and a < e and s < b for d, s, e in quoted)


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
    # Which writer composed the text ("extractive" or "llm"), and a one-line notice for the user
    # when the chosen writer could not answer and another did, or left sentences out ("" otherwise).
    writer: str = "extractive"
    notice: str = ""
    # How sure the extractive judge is that the passages answer (compared with settings.abstain_below),
    # and the sentence it judged; None when nothing was retrieved. The calibration script reads these.
    confidence: float | None = field(default=None, compare=False)
    judged: ScoredSentence | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, object]:
        """Return the public JSON form used by `chatbot ask --json` and the API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "index_version": self.index_version,
            "writer": self.writer,
            "notice": self.notice,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
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


@dataclass(frozen=True)
class Ranking:
    """What a reranker hands the answer writer: the passages to answer from, best first (ranks
    from 1), and the scored sentences of those passages, best first."""

    hits: tuple[Hit, ...]
    sentences: tuple[ScoredSentence, ...]
