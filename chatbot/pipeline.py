"""The whole flow in one place.

Building:  corpus.scan_corpus → clean.clean_text → chunking.chunk_document
           → embedding.Encoder.encode_passages → store.write_version      (indexer.build_index)
Answering: check the question → followup.resolve → query.analyse (one Query for every stage)
           → retrieve.Retriever (dense, BM25 or hybrid) → rerankers.Reranker → writers.AnswerWriter
           (extractive quotes, or an LLM's answer checked against the passages)
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from chatbot.embedding import Encoder, make_encoder
from chatbot.followup import AnswerMemory, ResolvedQuestion, person_names, refers_to_person, resolve
from chatbot.indexer import BuildReport, build_index, index_spec
from chatbot.lexical import is_mostly_chinese
from chatbot.llm.endpoint import Endpoint
from chatbot.query import Query, analyse
from chatbot.rerankers import Reranker, make_reranker
from chatbot.retrieve import AidsCache, Retriever, make_retriever
from chatbot.settings import Settings
from chatbot.stores import IndexMissing, open_store
from chatbot.stores import IndexVersion as LoadedIndex
from chatbot.types import Answer
from chatbot.writers import AnswerEvent, AnswerWriter, Final, final_answer, make_writer
from chatbot.writers.extractive import ExtractiveWriter

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


CHINESE_UNSUPPORTED = (
    "Chinese questions are not supported with the current English-only embedding model; please ask "
    "in English, or have the operator set chinese_index = true and rebuild the index."
)
CHINESE_NOT_BUILT = (
    "Chinese questions are answered from a multilingual index that has not been built yet; please "
    "ask in English, or have the operator run `chatbot index`."
)


class InvalidQuestion(ValueError):
    """A question the chatbot cannot take; the message tells the user what to do."""


def check_question(question: str, max_chars: int) -> str:
    """Return the question with control characters removed and spaces tidied.

    Raises InvalidQuestion for an empty, over-long or wordless question.
    """
    if not isinstance(question, str):
        raise InvalidQuestion("Please type a question.")
    # Lone surrogates (from broken clients) would crash the tokenizer; make them visible instead.
    question = question.encode("utf-8", "replace").decode("utf-8")
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

    def __init__(
        self, settings: Settings, encoder: Encoder | None = None, endpoint: Endpoint | None = None
    ) -> None:
        self.settings = settings
        self.encoder = encoder or make_encoder(settings)
        self.aids = AidsCache(settings)  # BM25 and chunk vectors, built once per index version
        self.retriever: Retriever = make_retriever(settings, self.aids)
        self.reranker: Reranker = make_reranker(settings, self.encoder)
        # The LLM's address, resolved when first needed; shared with the Chinese index's chatbot so
        # that one packaged local server answers both.
        self.endpoint = endpoint or Endpoint(settings)
        self.writer: AnswerWriter = make_writer(settings, self.encoder, self.endpoint.base_url)
        # Follow-ups only need the names a previous answer gave: quoting is enough, and instant.
        self.extractive = ExtractiveWriter(settings)
        self.store = open_store(settings)  # FAISS files or PostgreSQL (settings.vector_store)
        self._index: LoadedIndex | None = None
        self._chinese_documents: tuple[str, bool] | None = None  # (index version, mostly Chinese?)
        self._lock = threading.Lock()
        self._answers = AnswerMemory(settings.remembered_answers)  # what follow-ups refer back to
        # Chinese questions go to a second index built with a multilingual model (chinese_index).
        chinese = settings.chinese_settings()
        self.chinese = Chatbot(chinese, endpoint=self.endpoint) if chinese else None

    def build(
        self,
        *,
        full: bool = False,
        dry_run: bool = False,
        progress: bool = True,
        on_progress: Callable[[str, int, int], None] | None = None,
    ) -> BuildReport:
        """Bring the index up to date with the corpus and return the report (see indexer.build_index).

        `on_progress(stage, done, total)` follows the build ("scan", "chunk", "embed", "write");
        the next question after the build answers from the new version. The index for Chinese
        questions, when there is one, is brought up to date after it (its report is `.chinese`).
        """
        report = build_index(
            self.settings,
            self.encoder,
            full=full,
            dry_run=dry_run,
            progress=progress,
            on_progress=on_progress,
        )
        if self.chinese is None:
            return report

        def chinese_progress(stage: str, done: int, total: int) -> None:
            if on_progress:
                on_progress(f"{stage} (Chinese index)", done, total)

        try:
            chinese = build_index(
                self.chinese.settings,
                self.chinese.encoder,
                full=full,
                dry_run=dry_run,
                progress=progress,
                on_progress=chinese_progress,
                scan=report.plan.scan,  # the same corpus: read once, and the same snapshot for both
            )
        except Exception as exc:  # reported, not swallowed: see below
            # The English index is already live; a failure here (another build holding the
            # Chinese index's lock, a damaged folder, the e5 engine) must not hide that, nor stop
            # a watching or serving process. Chinese questions keep the previous version.
            log.warning("The Chinese index was not updated: %s", exc)
            return replace(report, chinese_error=str(exc) or type(exc).__name__)
        return replace(report, chinese=chinese)

    def index(self) -> LoadedIndex:
        """Return the live index, loading it again if a build has switched versions since."""
        live = self.store.current_version()
        with self._lock:
            if self._index is None or (live is not None and live != self._index.version):
                self._index = self.store.load(index_spec(self.settings, self.encoder), live)
                log.info("Loaded index version %s", self._index.version)
            return self._index

    def warm_up(self) -> None:
        """Load the index, the model and the lexical aids by answering one question end to end."""
        # Quoting warms the model, the index and the lexical aids; an LLM answer would only add its
        # 10-80 s. The packaged LLM server, if one is used, is started here, before the first user.
        index = self.index()
        question = check_question(self.settings.warm_up_question, self.settings.max_question_chars)
        final_answer(self._write(self._analyse(question, (), index), index, self.extractive))
        if self.settings.writer == "llm":
            try:
                self.endpoint.base_url()
            except Exception as exc:  # answers fall back to quoting, each with a notice; logged here once
                log.warning("The language model is not available (%s); answers will quote instead.", exc)
        chinese = self._built_chinese()
        if chinese:
            # Only the index and model: a whole answer would embed ~80 sentences with e5 (~4 s).
            try:
                chinese.index()
                chinese.encoder.encode_queries([self.settings.warm_up_question_zh])
            except Exception as exc:  # English answers must not wait on it; logged, and asked again later
                log.warning("The Chinese index could not be loaded (%s).", exc)

    def prewarm_sentences(self) -> int:
        """Embed every sentence of the live index ahead of questions; return how many were embedded.

        Skipped (returns 0) above `settings.prewarm_max_passages` passages, where sentences are
        embedded as questions first reach their passages. Measured on the bundled corpus: a new
        question's answer takes 0.3-0.7 s when its sentences are not embedded yet, ~0.1 s when they are.
        """
        index = self.index()
        if index.count() > self.settings.prewarm_max_passages:
            return 0
        embedded = self.reranker.prewarm(index.chunks)
        # Then the Chinese index's, with e5 (about 22 sentences/s on one core; 134 in the bundled corpus).
        chinese = self._built_chinese()
        return embedded + (chinese.prewarm_sentences() if chinese else 0)

    def _built_chinese(self) -> Chatbot | None:
        """Return the chatbot of the Chinese index when there is one and it has been built."""
        if self.chinese is None or self.chinese.store.current_version() is None:
            return None
        return self.chinese

    def _documents_chinese(self) -> bool:
        """Return whether most passages of the live index are in Chinese, which the English model
        cannot read: questions in any language over them go to the multilingual index."""
        index = self.index()
        # Counted once per index version: a loop over every passage has no place on each question.
        if self._chinese_documents is None or self._chinese_documents[0] != index.version:
            self._chinese_documents = (index.version, index.count("zh") * 2 > index.count())
        return self._chinese_documents[1]

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Return a cited answer to `question` (earlier user questions in `history` give context).

        Raises InvalidQuestion for input it cannot take.
        """
        return final_answer(self.stream(question, history))

    def stream(self, question: str, history: Sequence[str] = ()) -> Iterator[AnswerEvent]:
        """Yield the answer to `question` as it is written: text Deltas, then one Final.

        Raises InvalidQuestion (before yielding anything) for input it cannot take. Closing the
        generator early (the page's Stop button) cancels the writer's work, an LLM request included.
        """
        s = self.settings
        question = check_question(question, s.max_question_chars)
        if not self.encoder.multilingual and (is_mostly_chinese(question) or self._documents_chinese()):
            if self.chinese is None:
                yield Final(Answer(question, CHINESE_UNSUPPORTED, True, (), self.index().version))
                return
            try:
                yield from self.chinese.stream(question, history)
            except IndexMissing:
                yield Final(Answer(question, CHINESE_NOT_BUILT, True, (), self.index().version))
            return
        index = self.index()  # one version for the whole question, even if a build switches now
        query = self._analyse(question, history, index)
        for event in self._write(query, index):
            if isinstance(event, Final):
                answer = replace(
                    event.answer, question=question, index_version=index.version,
                    built_at=index.manifest.built_at,
                )  # fmt: skip
                self._answers.remember(index.version, question, answer)  # for follow-ups; never served again
                yield Final(answer)
            else:
                yield event

    def analyse(self, question: str, history: Sequence[str] = ()) -> Query:
        """Return `question` as the answer stage reads it, analysed against the live index."""
        tidy = check_question(question, self.settings.max_question_chars)
        return self._analyse(tidy, history, self.index())

    def _analyse(self, question: str, history: Sequence[str], index: LoadedIndex) -> Query:
        earlier = [" ".join(h.split()) for h in history if h.strip()]
        resolved = resolve(question, earlier, self.settings.followup_min_terms)
        if resolved.context:
            resolved = self._with_previous_answer(resolved, earlier, index)
        return self._query(resolved, index)

    def _query(self, resolved: ResolvedQuestion, index: LoadedIndex) -> Query:
        s = self.settings
        aids = self.aids.get(index)
        return analyse(resolved, aids, self.encoder, s.context_term_weight, bool(s.weight_token_match))

    def _with_previous_answer(
        self, resolved: ResolvedQuestion, earlier: list[str], index: LoadedIndex
    ) -> ResolvedQuestion:
        """Return `resolved` with the people the previous answer named added to its context.

        "he" or "her" in a follow-up usually means the person that answer named, whom the previous
        question itself does not name ("Who spoke?" → "Which organization does he chair?"). The
        previous answer is usually remembered (the newest one to that question, whatever history
        it had: the app sends only the last turns), so this costs nothing in a chat. Otherwise it
        is recomputed one level deep, without this enrichment of its own, so a chain of "he"
        questions costs one extra answer, not one per turn. An earlier question that could not
        have been asked adds nothing.
        """
        if not refers_to_person(resolved.question):
            return resolved
        try:
            before = check_question(earlier[-1], self.settings.max_question_chars)
        except InvalidQuestion as e:
            log.info("Follow-up context skipped, the previous question is not valid: %s", e)
            return resolved
        previous = self._answers.latest(index.version, before) or final_answer(
            self._write(
                self._query(resolve(before, earlier[:-1], self.settings.followup_min_terms), index),
                index,
                self.extractive,
            )
        )
        if previous.abstained:
            return resolved
        said = " ".join(previous.text.split())
        idf = self.aids.get(index).idf
        names = " ".join(dict.fromkeys(person_names(said, idf, self.settings.person_name_min_idf)))
        return ResolvedQuestion(resolved.question, f"{resolved.context} {names}".strip())

    def _write(
        self, query: Query, index: LoadedIndex, writer: AnswerWriter | None = None
    ) -> Iterator[AnswerEvent]:
        """Yield the answer to `query` from `index`: retrieve, rerank, write."""
        s = self.settings
        depth = s.candidates if s.rerank else s.top_k
        hits = self.retriever.retrieve(query, index, depth)
        ranking = self.reranker.rerank(query, hits)
        yield from (writer or self.writer).stream(query, ranking)
