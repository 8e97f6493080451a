"""The whole flow in one place.

Building:  corpus.scan_corpus → clean.clean_text → chunking.chunk_document
           → embedding.Encoder.encode_passages → store.write_version      (indexer.build_index)
Answering: check the question → followup.resolve → embed it → retrieve.Retriever (dense, BM25 or
           hybrid) → rerank.SentenceScorer + rerank → answer.compose_answer
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from chatbot.answer import compose_answer
from chatbot.embedding import Encoder, TokenVectors, make_encoder
from chatbot.followup import AnswerMemory, ResolvedQuestion, person_names, refers_to_person, resolve
from chatbot.indexer import BuildReport, build_index, index_spec
from chatbot.late_interaction import PassageTokens
from chatbot.lexical import is_mostly_chinese
from chatbot.rerank import (
    SentenceScorer,
    SentenceVectors,
    question_terms,
    rerank,
)
from chatbot.retrieve import AidsCache, Retriever, make_retriever
from chatbot.settings import Settings
from chatbot.stores import IndexMissing, open_store
from chatbot.stores import IndexVersion as LoadedIndex
from chatbot.types import Answer

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

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.encoder = encoder or make_encoder(settings)
        self.aids = AidsCache(settings)  # BM25 and chunk vectors, built once per index version
        self.retriever: Retriever = make_retriever(settings, self.aids)
        # As many passages' word pieces as are embedded at start-up (prewarm_sentences).
        tokens = PassageTokens(self.encoder, max(settings.prewarm_max_passages, settings.candidates))
        self.scorer = SentenceScorer(SentenceVectors(self.encoder), tokens, settings)
        self.store = open_store(settings)  # FAISS files or PostgreSQL (settings.vector_store)
        self._index: LoadedIndex | None = None
        self._lock = threading.Lock()
        self._answers = AnswerMemory(settings.remembered_answers)  # what follow-ups refer back to
        # Chinese questions go to a second index built with a multilingual model (chinese_index).
        chinese = settings.chinese_settings()
        self.chinese = Chatbot(chinese) if chinese else None

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
        self.ask("What is Liangjiang New Area?")
        chinese = self._built_chinese()
        if chinese:
            # Only the index and model: a whole answer would embed ~80 sentences with e5 (~4 s).
            try:
                chinese.index()
                chinese.encoder.encode_queries(["两江新区"])
            except Exception as exc:  # English answers must not wait on it; logged, and asked again later
                log.warning("The Chinese index could not be loaded (%s).", exc)

    def prewarm_sentences(self) -> int:
        """Embed every sentence of the live index ahead of questions; return how many were embedded.

        Skipped (returns 0) above `settings.prewarm_max_passages` passages, where sentences are
        embedded as questions first reach their passages. Measured on the bundled corpus: a new
        question's answer takes 0.3-0.7 s when its sentences are not embedded yet, ~0.1 s when they are.
        """
        index = self.index()
        if len(index.chunks) > self.settings.prewarm_max_passages:
            return 0
        embedded = self.scorer.prewarm(index.chunks)
        # Then the Chinese index's, with e5 (about 22 sentences/s on one core; 134 in the bundled corpus).
        chinese = self._built_chinese()
        return embedded + (chinese.prewarm_sentences() if chinese else 0)

    def _built_chinese(self) -> Chatbot | None:
        """Return the chatbot of the Chinese index when there is one and it has been built."""
        if self.chinese is None or self.chinese.store.current_version() is None:
            return None
        return self.chinese

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Return a cited answer to `question` (earlier user questions in `history` give context).

        Raises InvalidQuestion for input it cannot take.
        """
        s = self.settings
        question = check_question(question, s.max_question_chars)
        if is_mostly_chinese(question) and not self.encoder.multilingual:
            if self.chinese is None:
                return Answer(question, CHINESE_UNSUPPORTED, True, (), self.index().version)
            try:
                return self.chinese.ask(question, history)
            except IndexMissing:
                return Answer(question, CHINESE_NOT_BUILT, True, (), self.index().version)
        earlier = [" ".join(h.split()) for h in history if h.strip()]
        index = self.index()  # one version for the whole question, even if a build switches now
        resolved = resolve(question, earlier, s.followup_min_terms)
        if resolved.context:
            resolved = self._with_previous_answer(resolved, earlier, index)
        answer = self._answer(question, resolved, index)
        self._answers.remember(index.version, question, answer)  # for follow-ups; never served again
        return answer

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
        previous = self._answers.latest(index.version, before) or self._answer(
            before, resolve(before, earlier[:-1], self.settings.followup_min_terms), index
        )
        if previous.abstained:
            return resolved
        said = " ".join(previous.text.split())
        idf = self.aids.get(index).lexical.idf
        names = " ".join(dict.fromkeys(person_names(said, idf, self.settings.person_name_min_idf)))
        return ResolvedQuestion(resolved.question, f"{resolved.context} {names}".strip())

    def _question_pieces(self, resolved: ResolvedQuestion) -> TokenVectors | None:
        """Return the word pieces of a standalone question for the token match (their `pooled` is
        the question's vector: one run of the model gives both), or None.

        None for a follow-up ("Which body approved it?"): it names its subject in earlier turns,
        which the match cannot see, so its few own words would outweigh them. Measured: matching
        follow-ups too (at full or half weight) moved the passage of 1 dev and 1 test follow-up
        off rank 1 (dev hit@1 0.952 → 0.944), while answering 1 more test and 1 more calib one.
        """
        if resolved.context or not self.settings.weight_token_match:
            return None
        found = self.encoder.encode_tokens([resolved.question])
        return found[0] if found else None

    def _answer(self, question: str, resolved: ResolvedQuestion, index: LoadedIndex) -> Answer:
        """Return the answer to `resolved` from `index` (retrieve, score sentences, rerank, compose)."""
        s = self.settings
        aids = self.aids.get(index)
        asked = self._question_pieces(resolved)
        query = asked.pooled if asked else self.encoder.encode_queries([resolved.search_text])[0]
        depth = s.candidates if s.rerank else s.top_k
        hits = self.retriever.retrieve(resolved.search_text, query, index, depth)
        terms = question_terms(resolved.question, resolved.context, aids, s.context_term_weight)
        sentences = self.scorer.score(terms, query, hits, aids, resolved.question, asked)
        if s.rerank:
            hits = rerank(hits, sentences, s.top_k, s.rerank_lead)
            shown = {h.chunk.chunk_id for h in hits}
            sentences = [x for x in sentences if x.hit.chunk.chunk_id in shown]
        answer = compose_answer(question, sentences, hits, s, index.version)
        return replace(answer, built_at=index.manifest.built_at)
