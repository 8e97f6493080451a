"""Chunking: no chunk exceeds the model's token limit; offsets map back to the text."""

from __future__ import annotations

import pytest

from chatbot.chunking import chunk_document, make_splitter
from chatbot.corpus import scan_corpus
from chatbot.types import Document
from tests.conftest import CORPUS


@pytest.mark.parametrize(("size", "overlap"), [(64, 8), (128, 24), (254, 32)])
def test_chunks_fit_and_map_back(encoder, size, overlap):
    splitter = make_splitter(encoder.count_tokens, size, overlap)
    for doc in scan_corpus(CORPUS, 5_000_000).documents:
        chunks = chunk_document(doc, splitter)
        assert chunks
        for c in chunks:
            assert encoder.count_tokens(c.text) <= size
            assert doc.text[c.start : c.end] == c.text
            assert c.doc_id == doc.doc_id and c.title == doc.title and c.date == doc.date


def test_chunks_end_at_sentence_boundaries(encoder):
    text = " ".join(f"Sentence number {i} talks about the Liangjiang zone and its parks." for i in range(60))
    doc = Document("d.txt", "T", None, text, "h")
    chunks = chunk_document(doc, make_splitter(encoder.count_tokens, 64, 8))
    assert len(chunks) > 3
    assert all(c.text.endswith(".") for c in chunks)
    # The comparison setting cuts at any space instead, so some chunk ends mid-sentence.
    chunks = chunk_document(doc, make_splitter(encoder.count_tokens, 64, 8, "words"))
    assert not all(c.text.endswith(".") for c in chunks)
    assert all(encoder.count_tokens(c.text) <= 64 and doc.text[c.start : c.end] == c.text for c in chunks)


def test_model_limit_is_respected_by_default(encoder):
    # all-MiniLM-L6-v2 truncates at 256 pieces: a chunk over 254 text pieces would lose its tail.
    assert encoder.max_tokens <= 254
