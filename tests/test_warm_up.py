"""Serving starts warm: the index and model load up front, and every sentence is embedded ahead."""

from __future__ import annotations

from chatbot.pipeline import Chatbot


class CountingEncoder:
    """The real encoder, counting the passages (sentences) it is asked to embed."""

    def __init__(self, encoder) -> None:
        self.inner = encoder
        self.model_id, self.dim, self.max_tokens = encoder.model_id, encoder.dim, encoder.max_tokens
        self.passages = 0

    def count_tokens(self, text):
        return self.inner.count_tokens(text)

    def encode_passages(self, texts):
        self.passages += len(texts)
        return self.inner.encode_passages(texts)

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)


def test_after_prewarming_no_question_waits_for_sentence_embeddings(copy_of_bundled, encoder):
    counting = CountingEncoder(encoder)
    bot = Chatbot(copy_of_bundled("prewarm"), counting)
    bot.warm_up()
    embedded = bot.prewarm_sentences()
    assert embedded > 50
    before = counting.passages
    for question in ("Who is Jun Lin?", "How large is Liangjiang New Area?", "Which car makers are there?"):
        assert bot.ask(question).text
    assert counting.passages == before


def test_a_large_index_is_not_prewarmed(copy_of_bundled, encoder):
    bot = Chatbot(copy_of_bundled("prewarm-off", prewarm_max_passages=1), encoder)
    assert bot.prewarm_sentences() == 0
