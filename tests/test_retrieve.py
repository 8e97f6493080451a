"""Dense, BM25 and hybrid retrieval over the real bundled index, and the tokenizer behind BM25."""

from __future__ import annotations

import pytest

from chatbot.lexical import LexicalIndex, coverage, tokenize
from chatbot.retrieve import BM25Retriever, DenseRetriever, HybridRetriever, make_retriever


def test_tokenizer_stems_english_drops_stopwords_and_keeps_numbers_whole():
    assert tokenize("How many consultants were hired in 2023, for 1,205 square kilometers?") == [
        "2023",
        "1205",
        "consult",
        "hire",
        "squar",
        "kilomet",
    ]


def test_british_and_american_spellings_match():
    assert tokenize("square kilometres, metre, centre") == tokenize("square kilometers, meter, center")


def test_tokenizer_cuts_chinese_into_character_bigrams():
    assert tokenize("两江新区") == ["两江", "江新", "新区"]
    assert tokenize("谁") == ["谁"]


def test_bm25_prefers_the_text_with_the_rare_term():
    index = LexicalIndex(
        ["The GDP reached 367.5 billion.", "Hankook Tires has a plant.", "Tires and GDP."], 1.5, 0.75
    )
    scores = index.scores(tokenize("Which company makes Hankook tyres?"))
    assert scores.argmax() == 1
    assert index.scores(tokenize("unrelated words")).max() == 0
    assert index.idf("hankook") > index.idf("tire")


def test_coverage_is_the_weighted_share_of_terms_found():
    assert coverage({"gdp": 2.0, "2020": 1.0, "tax": 1.0}, {"gdp", "2020"}) == pytest.approx(0.75)
    assert coverage({}, {"gdp"}) == 0.0


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_finds_the_gdp_passage(bundled_bot, mode):
    settings = bundled_bot.settings.model_copy(update={"retrieval": mode})
    retriever = make_retriever(settings, bundled_bot.aids)
    question = "What was Liangjiang New Area's GDP in 2020?"
    index = bundled_bot.index()
    hits = retriever.retrieve(bundled_bot.analyse(question), index, 5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    assert "367.5 billion" in hits[0].chunk.text


def test_modes_map_to_their_retrievers(bundled_bot):
    expected = {"dense": DenseRetriever, "bm25": BM25Retriever, "hybrid": HybridRetriever}
    for mode, cls in expected.items():
        settings = bundled_bot.settings.model_copy(update={"retrieval": mode})
        assert isinstance(make_retriever(settings, bundled_bot.aids), cls)


def test_hybrid_keeps_what_only_bm25_finds(bundled_bot):
    # A bare exact name is weak for the embedding but decisive for BM25.
    question = "Zhubajie"
    index = bundled_bot.index()
    query = bundled_bot.analyse(question)
    bm25 = BM25Retriever(bundled_bot.aids).retrieve(query, index, 3)
    hybrid = HybridRetriever(bundled_bot.aids, bundled_bot.settings).retrieve(query, index, 3)
    assert "Zhubajie" in bm25[0].chunk.text
    assert "Zhubajie" in hybrid[0].chunk.text


def test_bm25_index_is_built_once_per_index_version(bundled_bot):
    index = bundled_bot.index()
    assert bundled_bot.aids.get(index) is bundled_bot.aids.get(index)
    assert bundled_bot.aids.get(index).vectors.shape == (len(index.chunks), bundled_bot.encoder.dim)


def test_in_process_bm25_ranks_as_a_full_sort_of_every_score(bundled_bot):
    # The k best by a partial selection: the same rows in the same order (ties by row) as sorting
    # every passage's score, for every k, including ties cut at the k-th place.
    aids = bundled_bot.aids.get(bundled_bot.index())
    for question in ("GDP of Liangjiang in 2020", "Zhubajie", "investment park area", "zzzz unknown"):
        terms = tokenize(question)
        scores = aids.lexical.scores(terms)
        ranked = sorted((i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i))
        for k in (0, 1, 3, 10, 40, len(scores) + 1):
            assert [r for r, _ in aids.bm25(terms, k)] == ranked[:k], (question, k)
