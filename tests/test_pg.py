"""PostgreSQL specifics against real servers: an outage, a killed writer, the CLI, two chat
servers on one database, a streaming replica, and BM25 computed in SQL."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import psycopg
import pytest
from gradio_client import Client
from pydantic import SecretStr

from chatbot.aids import MemoryAids
from chatbot.cli import main
from chatbot.lexical import tokenize
from chatbot.pipeline import Chatbot
from chatbot.stores import IndexMismatch, StoreUnavailable, open_store
from chatbot.types import Chunk
from tests.conftest import QUESTIONS, free_port
from tests.documents import edit_document
from tests.pg_server import start_server

GDP_QUESTION = "What was the GDP of Liangjiang New Area in 2020?"
GIVE_UP_S = 120


def _edit(settings, old: str, new: str) -> None:
    edit_document(sorted(settings.corpus.iterdir())[3], old, new)


def _pg_env(dsn: str) -> dict[str, str]:
    return {**os.environ, "CHATBOT_VECTOR_STORE": "pgvector", "CHATBOT_PG_DSN": dsn, "HF_HUB_OFFLINE": "1"}


def test_database_down_says_so_in_one_line_and_chat_recovers(make_settings, encoder, capsys):
    server = start_server()
    try:
        # Trust authentication ignores the password, which must still never be shown.
        dsn = f"postgresql://postgres:s3cret-pw@127.0.0.1:{server.port}/postgres"
        settings = make_settings(vector_store="pgvector", pg_dsn=dsn, pg_connect_timeout_s=2)
        bot = Chatbot(settings, encoder)
        bot.build(progress=False)
        assert "367.5" in bot.ask(GDP_QUESTION).text
        assert "s3cret" not in repr(settings) and "s3cret" not in open_store(settings).describe()

        server.stop()
        with pytest.raises(StoreUnavailable) as down:
            bot.ask(GDP_QUESTION)
        message = str(down.value)
        assert f"postgresql://postgres@127.0.0.1:{server.port}/postgres" in message
        assert "s3cret" not in message and "\n" not in message
        folders = ["--corpus", str(settings.corpus), "--index", str(settings.index)]
        os.environ["CHATBOT_VECTOR_STORE"], os.environ["CHATBOT_PG_DSN"] = "pgvector", dsn
        try:
            capsys.readouterr()
            assert main(["ask", GDP_QUESTION, *folders]) == 2
            err = capsys.readouterr().err
            assert err.startswith("error: The index database postgresql://postgres@127.0.0.1:")
            assert err.count("\n") == 1 and "s3cret" not in err
        finally:
            del os.environ["CHATBOT_VECTOR_STORE"], os.environ["CHATBOT_PG_DSN"]

        server.start()
        assert "367.5" in bot.ask(GDP_QUESTION).text  # the same chatbot, no restart
    finally:
        server.remove()


def test_killed_writer_leaves_the_live_version_and_nothing_else(make_settings, pg_database, encoder):
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database)
    bot = Chatbot(settings, encoder)
    live = bot.build(progress=False).version
    # A writer of a large version (synthetic vectors), killed inside its transaction.
    script = (
        "import numpy as np, sys; from chatbot.settings import load_settings; "
        "from chatbot.stores import open_store, Manifest, IndexSpec; from chatbot.types import Chunk\n"
        "n = 100_000; v = np.random.default_rng(0).standard_normal((n, 384)).astype('float32')\n"
        "v /= np.linalg.norm(v, axis=1, keepdims=True)\n"
        "spec = IndexSpec(model_id='x', dim=384, chunk_tokens=128, chunk_overlap_tokens=24)\n"
        "m = Manifest(version='99991231T000000000000-killed', built_at='x', spec=spec, documents={}, "
        "chunk_count=n)\n"
        "c = [Chunk(f'c{i}', 'd', 't', None, 'text', 0, 4, 'h') for i in range(n)]\n"
        f"open_store(load_settings(vector_store='pgvector', pg_dsn={pg_database!r})).write_version(m, c, v, "
        "lexical=False)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())
    try:
        started = time.monotonic()
        with psycopg.connect(pg_database, autocommit=True) as conn:
            while not conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX%%' OR query LIKE 'COPY%%'"
            ).fetchone():
                assert writer.poll() is None, "the writer ended before it could be killed"
                assert time.monotonic() - started < GIVE_UP_S
                time.sleep(0.05)
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
    store = open_store(settings)
    assert store.current_version() == live
    answer = Chatbot(settings, encoder).ask(GDP_QUESTION)
    assert answer.index_version == live and "367.5" in answer.text
    with psycopg.connect(pg_database, autocommit=True) as conn:
        time.sleep(0.5)  # the server notices the dead client and rolls its transaction back
        tables = [
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE '%killed'")
        ]
    assert tables == []


def test_cli_end_to_end(make_settings, pg_database, monkeypatch, capsys):
    settings = make_settings()
    monkeypatch.setenv("CHATBOT_VECTOR_STORE", "pgvector")
    monkeypatch.setenv("CHATBOT_PG_DSN", pg_database)
    folders = ["--corpus", str(settings.corpus), "--index", str(settings.index)]
    assert main(["index", "--quiet", *folders]) == 0
    assert "Built index version" in capsys.readouterr().out
    assert main(["status", *folders]) == 0
    out = capsys.readouterr().out
    assert f"Index:     {pg_database} (collection chatbot)" in out and "Stale:     0 document(s)" in out
    assert main(["ask", GDP_QUESTION, *folders]) == 0
    assert "367.5" in capsys.readouterr().out
    assert not (settings.index / "versions").exists()  # nothing went to the folder


def _serve(settings, dsn: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "chatbot.cli", "serve", "--no-build", "--port", str(port)]
    cmd += ["--corpus", str(settings.corpus), "--index", str(settings.index)]
    env = {**_pg_env(dsn), "CHATBOT_REBUILD_BUTTON": "false", "CHATBOT_PREWARM_MAX_PASSAGES": "0"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _client(port: int, server: subprocess.Popen) -> Client:
    started = time.monotonic()
    while True:
        assert server.poll() is None, "the chat server exited"
        try:
            return Client(f"http://127.0.0.1:{port}/", verbose=False)
        except Exception:  # not listening yet
            assert time.monotonic() - started < GIVE_UP_S, "the chat server never started"
            time.sleep(0.5)


def test_two_chat_servers_on_one_database_switch_together(make_settings, pg_database, encoder):
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database)
    first = Chatbot(settings, encoder).build(progress=False).version
    ports = [free_port(), free_port()]
    servers = [_serve(settings, pg_database, p) for p in ports]
    try:
        clients = [_client(p, s) for p, s in zip(ports, servers, strict=True)]
        for client in clients:
            answer = client.predict(GDP_QUESTION, [], api_name="/ask")
            assert answer["index_version"] == first and "367.5" in answer["answer"]
        # One writer (here, this process) builds a new version; both servers answer from it next.
        _edit(settings, "RMB 367.5 billion", "RMB 412.8 billion")
        second = Chatbot(settings, encoder).build(progress=False).version
        for client in clients:
            answer = client.predict(GDP_QUESTION, [], api_name="/ask")
            assert answer["index_version"] == second and "412.8" in answer["answer"]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_streaming_replica_answers_after_a_rebuild_on_the_primary(
    make_settings, pg_server, pg_database, encoder
):
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database)
    Chatbot(settings, encoder).build(progress=False)
    replica = pg_server.replica()
    try:
        replica_dsn = pg_database.replace(f":{pg_server.port}/", f":{replica.port}/")
        on_replica = settings.model_copy(update={"pg_dsn": SecretStr(replica_dsn)})
        reader = Chatbot(on_replica, encoder)
        assert "367.5" in reader.ask(GDP_QUESTION).text
        _edit(settings, "RMB 367.5 billion", "RMB 412.8 billion")
        new = Chatbot(settings, encoder).build(progress=False).version
        started = time.monotonic()
        while reader.store.current_version() != new:
            assert time.monotonic() - started < GIVE_UP_S, "the replica never replayed the build"
            time.sleep(0.1)
        answer = reader.ask(GDP_QUESTION)
        assert answer.index_version == new and "412.8" in answer.text
        with pytest.raises(StoreUnavailable, match="read-only replica: build the index on the primary"):
            Chatbot(on_replica, encoder).build(progress=False, full=True)
    finally:
        replica.remove()


def test_bm25_in_sql_ranks_as_bm25s(make_settings, pg_database, encoder):
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database)
    bot = Chatbot(settings, encoder)
    bot.build(progress=False)
    index = bot.index()
    in_process = MemoryAids(index, settings.bm25_k1, settings.bm25_b)  # bm25s over every passage
    lines = (QUESTIONS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    questions = [json.loads(line)["question"] for line in lines]
    for question in questions:
        expected = in_process.bm25(tokenize(question), 10)
        got = index.bm25(tokenize(question), 10, settings.bm25_k1, settings.bm25_b)  # type: ignore[attr-defined]
        # The same scores in the same order (passages tied on a score may be listed either way).
        assert len(got) == len(expected), question
        assert np.allclose([s for _, s in got], [s for _, s in expected], rtol=1e-4), question


def _postings(dsn: str, kind: str, version: str) -> list[tuple[str, int, int, int]]:
    """Return (term, row, tf, length) of a version's exact ("t") or truncated ("i") postings."""
    table = f"chatbot_{kind}_" + "".join(ch if ch.isalnum() else "_" for ch in version.lower())
    with psycopg.connect(dsn) as conn:
        return conn.execute(f'SELECT term, row, tf, length FROM "{table}"').fetchall()


def test_bm25_over_truncated_postings_keeps_each_terms_best(make_settings, pg_database, encoder):
    settings = make_settings(
        vector_store="pgvector", pg_dsn=pg_database, pg_bm25_postings_per_term=3, chinese_index=False
    )
    bot = Chatbot(settings, encoder)
    version = bot.build(progress=False).version
    index = bot.index()
    unscored = Chatbot(settings.model_copy(update={"pg_bm25_rescore": 0}), encoder).index()
    k1, b = settings.bm25_k1, settings.bm25_b
    exact = _postings(pg_database, "t", version)
    lengths = {row: length for _, row, _, length in exact}
    mean_length = np.mean(list(lengths.values()))
    weights: dict[str, list[tuple[float, int]]] = {}
    for term, row, tf, length in exact:
        weights.setdefault(term, []).append((tf / (tf + k1 * (1 - b + b * length / mean_length)), row))
    # Each term keeps exactly its 3 heaviest postings (ties to the lower row).
    best = {
        (term, row) for term, ws in weights.items() for _, row in sorted(ws, key=lambda w: (-w[0], w[1]))[:3]
    }
    assert {(t, r) for t, r, _, _ in _postings(pg_database, "i", version)} == best
    lines = (QUESTIONS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    lost = []
    for question in (json.loads(line)["question"] for line in lines):
        terms = tokenize(question)
        full = dict(index.bm25(terms, 10_000, k1, b, exact=True))  # type: ignore[attr-defined]
        allowed = {r for t, r in best if t in terms}
        # Candidates come from the truncated lists only; rescored, each has its exact BM25 score,
        # and without rescoring the truncated sum, never above it.
        got = index.bm25(terms, 10, k1, b)  # type: ignore[attr-defined]
        assert got and {r for r, _ in got} <= allowed, question
        assert np.allclose([s for _, s in got], [full[r] for r, _ in got], rtol=1e-6), question
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True), question
        summed = unscored.bm25(terms, 10, k1, b)  # type: ignore[attr-defined]
        assert summed and {r for r, _ in summed} <= allowed, question
        assert all(s <= full[r] + 1e-9 for r, s in summed), question
        lost.append(any(s < full[r] - 1e-6 for r, s in summed))
    assert any(lost)  # some passage ranked lost a term's share
    # Asked without the truncated table (a version built before it existed), BM25 is exact.
    table = "chatbot_i_" + "".join(ch if ch.isalnum() else "_" for ch in version.lower())
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'DROP TABLE "{table}"')
    old = Chatbot(settings, encoder).index()
    question = tokenize(GDP_QUESTION)
    assert old.bm25(question, 10, k1, b) == index.bm25(question, 10, k1, b, exact=True)  # type: ignore[attr-defined]
    assert "367.5" in Chatbot(settings, encoder).ask(GDP_QUESTION).text


def test_a_chat_server_over_pgvector_answers_as_faiss_does(make_settings, pg_database, encoder):
    on_disk = Chatbot(make_settings(), encoder)
    on_disk.build(progress=False)
    expected = on_disk.ask(GDP_QUESTION).to_json()
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database)
    Chatbot(settings, encoder).build(progress=False)
    port = free_port()
    server = _serve(settings, pg_database, port)
    try:
        got = _client(port, server).predict(GDP_QUESTION, [], api_name="/ask")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "367.5" in got["answer"]
    for key in ("answer", "abstained", "confidence", "citations"):
        assert got[key] == expected[key], key


def _chunks_alive() -> int:
    gc.collect()
    return sum(isinstance(o, Chunk) for o in gc.get_objects())


def test_a_chatbot_over_pgvector_holds_only_its_candidates(make_settings, pg_database, encoder):
    # Few candidates, so that what an answer reads is well short of the bundled corpus's passages.
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database, chinese_index=False, candidates=8)
    # Built by another process, so every passage this one holds was read to answer.
    folders = ["--corpus", str(settings.corpus), "--index", str(settings.index)]
    build = [sys.executable, "-m", "chatbot.cli", "index", "--quiet", *folders]
    subprocess.run(build, env={**_pg_env(pg_database), "CHATBOT_CHINESE_INDEX": "false"}, check=True)
    before = _chunks_alive()
    bot = Chatbot(settings, encoder)
    assert "367.5" in bot.ask(GDP_QUESTION).text
    bot.ask("Which industries does Liangjiang New Area focus on?")
    held = _chunks_alive() - before
    passages = bot.index().count()
    assert 0 < held <= 2 * settings.candidates < passages
    # FAISS holds every passage of its version, by design.
    on_disk = Chatbot(make_settings(chinese_index=False), encoder)
    on_disk.build(progress=False)
    on_disk.ask(GDP_QUESTION)
    assert len(on_disk.index().chunks) == passages


def test_a_version_without_term_frequencies_asks_for_a_full_rebuild(make_settings, pg_database, encoder):
    settings = make_settings(vector_store="pgvector", pg_dsn=pg_database, chinese_index=False)
    version = Chatbot(settings, encoder).build(progress=False).version
    table = "chatbot_d_" + "".join(ch if ch.isalnum() else "_" for ch in version.lower())
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f'DROP TABLE "{table}"')  # as a version written before the table existed
    with pytest.raises(IndexMismatch, match=r"earlier version of this program .* `chatbot index --full`"):
        Chatbot(settings, encoder).ask(GDP_QUESTION)
    Chatbot(settings, encoder).build(progress=False, full=True)
    assert "367.5" in Chatbot(settings, encoder).ask(GDP_QUESTION).text
