"""The same store contract for FAISS files and PostgreSQL + pgvector (a real throwaway server)."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.indexer import index_spec
from chatbot.pipeline import Chatbot
from chatbot.stores import open_store
from tests.conftest import CountingEncoder
from tests.documents import edit_document

GDP_QUESTION = "What was the GDP of Liangjiang New Area in 2020?"


@pytest.fixture(params=["faiss", "pgvector"])
def store_settings(request, make_settings):
    """Return a settings factory for the parametrised store over a temporary corpus copy."""
    extra: dict[str, object] = {"vector_store": request.param}
    if request.param == "pgvector":
        extra["pg_dsn"] = request.getfixturevalue("pg_database")

    def factory(**overrides: object):
        return make_settings(**{**extra, **overrides})

    return factory


def _edit(settings, old: str, new: str) -> None:
    edit_document(sorted(settings.corpus.iterdir())[3], old, new)  # the bundled profile is a PDF


def test_add_search_get_count(store_settings, encoder):
    settings = store_settings()
    report = Chatbot(settings, encoder).build(progress=False)
    store = open_store(settings)
    assert store.current_version() == report.version
    loaded = store.load(index_spec(settings, encoder))
    assert loaded.version == report.version
    assert loaded.count() == len(loaded.chunks) == report.chunks > 10
    assert set(loaded.manifest.documents) == {p.name for p in settings.corpus.iterdir()}
    # A passage's own vector finds it first, at cosine 1.
    row, score = loaded.search(encoder.encode_passages([loaded.chunks[3].text])[0], 3)[0]
    assert row == 3 and score == pytest.approx(1.0, abs=1e-4)
    wanted = [loaded.chunks[5].chunk_id, loaded.chunks[0].chunk_id, "no-such-passage"]
    assert [c.chunk_id for c in loaded.get(wanted)] == wanted[:2]
    assert loaded.get(wanted)[0] == loaded.chunks[5]
    vectors = loaded.all_vectors()
    assert vectors.shape == (report.chunks, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


def test_versions_switch_reuse_vectors_and_age_out(store_settings, encoder):
    settings = store_settings()
    bot = Chatbot(settings, encoder)
    first = bot.build(progress=False)
    assert not bot.build(progress=False).wrote  # nothing changed: nothing written
    assert "367.5" in bot.ask(GDP_QUESTION).text

    _edit(settings, "RMB 367.5 billion", "RMB 412.8 billion")
    counting = CountingEncoder(encoder)
    second = Chatbot(settings, counting).build(progress=False)
    # Only the changed passages went through the model; the rest came from the embedding cache.
    assert 1 <= second.embedded == len(counting.passages) < 5
    assert all("412.8" in t or "367.5" not in t for t in counting.passages)
    store = open_store(settings)
    assert store.current_version() == second.version != first.version
    answer = bot.ask(GDP_QUESTION)  # the running chatbot switches at its next question
    assert answer.index_version == second.version and "412.8" in answer.text
    spec = index_spec(settings, encoder)
    assert store.load(spec, first.version).version == first.version  # the previous one stays readable

    _edit(settings, "RMB 412.8 billion", "RMB 398.1 billion")
    third = Chatbot(settings, encoder).build(progress=False)
    assert store.read_manifest(first.version) is None  # aged out
    assert store.read_manifest(second.version) is not None
    assert store.current_version() == third.version


def test_both_stores_give_the_same_answer(make_settings, pg_database, encoder):
    faiss_bot = Chatbot(make_settings(), encoder)
    faiss_bot.build(progress=False)
    pg_bot = Chatbot(make_settings(vector_store="pgvector", pg_dsn=pg_database), encoder)
    pg_bot.build(progress=False)
    for question in (GDP_QUESTION, "Which foreign companies already operate in Liangjiang?"):
        a, b = faiss_bot.ask(question), pg_bot.ask(question)
        assert a.text == b.text
        assert [c.text for c in a.citations] == [c.text for c in b.citations]


def test_pages_sections_and_language_survive_the_store(store_settings, encoder):
    from tests.documents import brief_pdf

    settings = store_settings()
    (settings.corpus / "brief.pdf").write_bytes(brief_pdf())
    Chatbot(settings, encoder).build(progress=False)
    loaded = open_store(settings).load(index_spec(settings, encoder))
    paged = [c for c in loaded.chunks if c.doc_id == "brief.pdf"]
    assert paged and {c.page for c in paged} >= {1, 2}
    assert all(c.language == "en" for c in loaded.chunks)
    assert loaded.get([paged[-1].chunk_id]) == [paged[-1]]
