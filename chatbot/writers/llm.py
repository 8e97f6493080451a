"""The LLM writer: a language model writes the answer, and only what its passages support is shown.

Each sentence is checked as soon as the model finishes it (writers/support.py) and streamed only
if it passes, so the user never sees an unsupported sentence, not even for a moment. Whatever goes
wrong (no server, a timeout, an HTTP error, a reply that is malformed, empty or in the wrong
language, a passage carrying instructions to the model, nothing left once unsupported sentences are
dropped), the user gets the extractive answer with a one-line notice, and the log says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from chatbot.embedding import Encoder
from chatbot.llm.client import ChatClient, ChatRequest, LLMError, LLMMalformed
from chatbot.llm.local import ModelUnavailable
from chatbot.query import Query, language_of
from chatbot.rerankers.scoring import SentenceVectors
from chatbot.settings import Settings
from chatbot.types import Answer, Citation, Hit, Ranking
from chatbot.writers import AnswerEvent, Delta, Final, final_answer
from chatbot.writers.extractive import ExtractiveWriter, conflicting, refusal
from chatbot.writers.prompt import SCHEMA, looks_injected, messages, read_reply
from chatbot.writers.support import Claim, SupportChecker, Verdict, split_claims

log = logging.getLogger(__name__)

QUOTING = "quoting the documents instead"


class LLMWriter:
    """Writes answers with an LLM behind an OpenAI-compatible endpoint, checked against the passages."""

    name = "llm"

    def __init__(
        self, settings: Settings, encoder: Encoder, extractive: ExtractiveWriter, endpoint: Callable[[], str]
    ) -> None:
        self.settings = settings
        self.extractive = extractive
        self.endpoint = endpoint
        # Each model's cosines have their own scale: the threshold measured for it.
        e5 = settings.embedder == "e5"
        floor = settings.llm_support_min_cosine_e5 if e5 else settings.llm_support_min_cosine
        self.checker = SupportChecker(SentenceVectors(encoder), floor)

    def write(self, query: Query, ranking: Ranking) -> Answer:
        """Return the checked LLM answer, or the extractive one with a notice (see the module)."""
        return final_answer(self.stream(query, ranking))

    def _fallback(self, answer: Answer, why: str) -> Final:
        log.warning("LLM answer not used, %s: %s", QUOTING, why)
        return Final(replace(answer, notice=f"The language model's answer was not used ({why}); {QUOTING}."))

    def stream(self, query: Query, ranking: Ranking) -> Iterator[AnswerEvent]:
        """Yield checked sentences as the model writes them, then the Final answer."""
        s = self.settings
        quoted = self.extractive.write(query, ranking)
        passages = ranking.hits[: s.llm_passages]
        if not passages or conflicting(query, ranking.sentences, s):
            # Sources that disagree are quoted with their dates, newest first: never blended.
            yield Final(quoted)
            return
        if any(looks_injected(hit.chunk.text) for hit in passages):
            yield self._fallback(quoted, "a passage contains instructions addressed to a language model")
            return
        request = ChatRequest(messages(query.text, passages), s.llm_max_tokens, s.llm_temperature, SCHEMA)
        verdicts: list[Verdict] = []
        numbers: dict[int, int] = {}  # prompt passage → number shown, in order of first citation
        raw = ""
        try:
            api_key = s.llm_api_key.get_secret_value() if s.llm_api_key else None
            client = ChatClient(self.endpoint(), s.llm_model, api_key, s.llm_timeout_s)
            for piece in client.stream(request):
                raw += piece
                reply = read_reply(raw)
                if reply.found is False or not reply.answer:
                    continue
                claims, _ = split_claims(reply.answer, final=reply.complete)
                for claim in claims[len(verdicts) :]:
                    verdict = self._check(claim, passages, query)
                    verdicts.append(verdict)
                    if verdict.supported:
                        yield Delta(_render(verdict.claim, numbers) + " ")
        except (LLMError, ModelUnavailable) as exc:
            yield self._fallback(quoted, str(exc))
            return
        reply = read_reply(raw)
        if not raw.strip() or (reply.is_json and reply.found is None):
            yield self._fallback(quoted, str(LLMMalformed("the reply was empty or not the JSON asked for")))
            return
        if reply.found is False:
            yield Final(replace(refusal(ranking, quoted.confidence), writer=self.name, judged=quoted.judged))
            return
        claims, _ = split_claims(reply.answer, final=True)
        for claim in claims[len(verdicts) :]:  # a last sentence the stream could not yet call finished
            verdict = self._check(claim, passages, query)
            verdicts.append(verdict)
            if verdict.supported:
                yield Delta(_render(verdict.claim, numbers) + " ")
        kept = [v for v in verdicts if v.supported]
        for v in verdicts:
            if not v.supported:
                log.info("Dropped an LLM sentence (%s): %r", v.reason, v.claim.text[:200])
        if not kept:
            reasons = "; ".join(dict.fromkeys(v.reason for v in verdicts)) or "no sentence"
            yield self._fallback(quoted, f"the passages do not support it: {reasons}")
            return
        dropped = len(verdicts) - len(kept)
        notice = (
            f"{dropped} sentence{'s' if dropped > 1 else ''} of the language model's answer "
            f"{'were' if dropped > 1 else 'was'} left out: the passages do not support "
            f"{'them' if dropped > 1 else 'it'}."
            if dropped
            else ""
        )
        shown: dict[int, int] = {}
        text = " ".join(_render(v.claim, shown) for v in kept)
        answer = Answer(
            "", text, False, _citations(kept, passages, shown), hits=ranking.hits, writer=self.name,
            notice=notice, confidence=quoted.confidence, judged=quoted.judged,
        )  # fmt: skip
        yield Final(answer)

    def _check(self, claim: Claim, passages: Sequence[Hit], query: Query) -> Verdict:
        """Return the support check's verdict, failing a sentence in another language than the question."""
        if claim.text and language_of(claim.text) != query.language:
            return Verdict(claim, False, "written in another language than the question")
        return self.checker.check(claim, passages)


def _render(claim: Claim, numbers: dict[int, int]) -> str:
    """Return the claim with its markers renumbered in order of first citation (updating `numbers`)."""
    marks = []
    for n in claim.cites:
        numbers.setdefault(n, len(numbers) + 1)
        marks.append(f"[{numbers[n]}]")
    return f"{claim.text} {''.join(marks)}"


def _citations(
    kept: Sequence[Verdict], passages: Sequence[Hit], numbers: dict[int, int]
) -> tuple[Citation, ...]:
    """Return one citation per cited passage, highlighting its sentences closest to the claims."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for v in kept:
        for n, span in v.spans:
            spans.setdefault(n, [])
            if span not in spans[n]:
                spans[n].append(span)
    out = []
    for n, shown in sorted(numbers.items(), key=lambda item: item[1]):
        chunk = passages[n - 1].chunk
        found = spans.get(n) or [(0, len(chunk.text))]
        out.append(
            Citation(
                n=shown, doc_id=chunk.doc_id, title=chunk.title, date=chunk.date, text=chunk.text,
                start=chunk.start, end=chunk.end, score=passages[n - 1].score, highlight=found[0],
                highlights=tuple(sorted(found)), page=chunk.page, page_label=chunk.page_label,
                section=chunk.section,
            )  # fmt: skip
        )
    return tuple(out)
