"""The whole flow in one place.

Building:  corpus.scan_corpus → clean.clean_text → chunking.chunk_document
           → embedding.Encoder.encode_passages → store.write_version      (indexer.build_index)
Answering: check the question → embed it → retrieve.Retriever → answer.compose_answer
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence

from chatbot.answer import SentenceVectors, compose_answer
from chatbot.embedding import Encoder, make_encoder
from chatbot.indexer import BuildReport, build_index, index_spec
from chatbot.retrieve import DenseRetriever, Retriever
from chatbot.settings import Settings
from chatbot.store import LoadedIndex, current_version, load_index
from chatbot.types import Answer

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidQuestion(ValueError):
    """A question the chatbot cannot take; the message tells the user what to do."""


def check_question(question: str, max_chars: int) -> str:
    """Return the question with control characters removed and spaces tidied.

    Raises InvalidQuestion for an empty, over-long or wordless question.
    """
    if not isinstance(question, str):
        raise InvalidQuestion("Please type a question.")
    text = " ".join(_CONTROL.sub(" ", question).split())
    if not text:
        raise InvalidQuestion("Please type a question.")
    if len(text) > max_chars:
        raise InvalidQuestion(
            f"Your question is {len(text):,} characters long; please keep it under {max_chars:,}."
        )
    if not any(ch.isalnum() for ch in text):
        raise InvalidQuestion("Please ask your question in words.")
    return text


class Chatbot:
    """Answers questions from the live index, picking up a rebuilt index between questions."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.encoder = encoder or make_encoder(settings)
        self.retriever: Retriever = DenseRetriever()
        self.sentence_vectors = SentenceVectors(self.encoder)
        self._index: LoadedIndex | None = None
        self._lock = threading.Lock()

    def build(self, *, full: bool = False, dry_run: bool = False, progress: bool = True) -> BuildReport:
        """Bring the index up to date with the corpus (see indexer.build_index)."""
        return build_index(self.settings, self.encoder, full=full, dry_run=dry_run, progress=progress)

    def index(self) -> LoadedIndex:
        """Return the live index, loading it again if a build has switched versions since."""
        live = current_version(self.settings.index)
        with self._lock:
            if self._index is None or (live is not None and live != self._index.version):
                self._index = load_index(self.settings.index, index_spec(self.settings, self.encoder), live)
                log.info("Loaded index version %s", self._index.version)
            return self._index

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Return a cited answer to `question` (earlier user questions in `history` give context).

        Raises InvalidQuestion for input it cannot take.
        """
        question = check_question(question, self.settings.max_question_chars)
        index = self.index()  # one version for the whole question, even if a build switches now
        query = self.encoder.encode_queries([question])[0]
        hits = self.retriever.retrieve(question, query, index, self.settings.top_k)
        return compose_answer(question, query, hits, self.sentence_vectors, self.settings, index.version)
