"""Lexical ranking in PostgreSQL against the product's bm25s ranking, on the dev questions.

Two ways to rank passages lexically in the database, each compared with bm25s's top 10 over the
bundled corpus: BM25 computed in SQL from the stored postings (PgIndexVersion.bm25) and PostgreSQL's
own full-text search (ts_rank_cd, English stemming; PgIndexVersion.full_text). Writes
benchmarks/results/lexical-pg.json.

    .venv/bin/python benchmarks/bench_lexical_pg.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chatbot.aids import MemoryAids  # noqa: E402
from chatbot.lexical import tokenize  # noqa: E402
from chatbot.pipeline import Chatbot  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402
from tests.pg_server import start_server  # noqa: E402


def main() -> None:
    """Build the bundled corpus into a throwaway server and compare the rankings."""
    server = start_server()
    try:
        root = Path(tempfile.mkdtemp())
        shutil.copytree(REPO / "corpus", root / "corpus")
        st = load_settings(
            corpus=root / "corpus",
            index=root / "index",
            vector_store="pgvector",
            pg_dsn=server.dsn,
            chinese_index=False,
        )
        bot = Chatbot(st)
        bot.build(progress=False)
        ix = bot.index()
        ref = MemoryAids(ix, st.bm25_k1, st.bm25_b)  # bm25s in this process
        lines = (REPO / "eval" / "questions" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
        qs = [json.loads(line)["question"] for line in lines]
        totals = dict.fromkeys(
            ("sql_bm25_overlap@10", "sql_bm25_same_top1", "fts_overlap@10", "fts_same_top1"), 0.0
        )
        for q in qs:
            e = [r for r, _ in ref.bm25(tokenize(q), 10)]
            a = [r for r, _ in ix.bm25(tokenize(q), 10, st.bm25_k1, st.bm25_b)]  # type: ignore[attr-defined]
            f = [r for r, _ in ix.full_text(q, 10)]  # type: ignore[attr-defined]
            d = max(1, len(e))
            totals["sql_bm25_overlap@10"] += len(set(a) & set(e)) / d
            totals["fts_overlap@10"] += len(set(f) & set(e)) / d
            totals["sql_bm25_same_top1"] += bool(e) and a[:1] == e[:1]
            totals["fts_same_top1"] += bool(e) and f[:1] == e[:1]
        result = {"questions": len(qs), **{k: v / len(qs) for k, v in totals.items()}}
        out = REPO / "benchmarks" / "results" / "lexical-pg.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result))
    finally:
        server.remove()


if __name__ == "__main__":
    main()
