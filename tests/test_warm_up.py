"""Serving starts warm: the index and model load up front, and every sentence is embedded ahead."""

from __future__ import annotations

from chatbot.pipeline import Chatbot
from tests.conftest import CountingEncoder


def test_after_prewarming_no_question_waits_for_sentence_embeddings(copy_of_bundled, encoder):
    counting = CountingEncoder(encoder)
    bot = Chatbot(copy_of_bundled("prewarm"), counting)
    bot.warm_up()
    embedded = bot.prewarm_sentences()
    assert embedded > 50
    before = len(counting.passages)
    for question in ("Who is Jun Lin?", "How large is Liangjiang New Area?", "Which car makers are there?"):
        assert bot.ask(question).text
    assert len(counting.passages) == before


def test_a_large_index_is_not_prewarmed(copy_of_bundled, encoder):
    bot = Chatbot(copy_of_bundled("prewarm-off", prewarm_max_passages=1), encoder)
    assert bot.prewarm_sentences() == 0


def test_warming_up_with_an_llm_writer_quotes_and_does_not_wait_on_the_model(copy_of_bundled, encoder):
    from tests.conftest import free_port

    # Nothing listens there: the warm-up still loads everything and says so once, without failing.
    url = f"http://127.0.0.1:{free_port()}/v1"
    bot = Chatbot(copy_of_bundled("warm-llm", writer="llm", llm_base_url=url), encoder)
    bot.warm_up()
    answer = bot.ask("What was the GDP of Liangjiang New Area in 2020?")
    assert answer.writer == "extractive" and "no LLM server answers" in answer.notice
