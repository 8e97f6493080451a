"""What a chat server over pgvector holds in memory: its RSS after answering, for two versions of the code.

Writes N synthetic passages (bench_scale's texts and clustered vectors, the real index spec) to a
throwaway PostgreSQL, then answers a few dev questions in a fresh process per code tree given
(`--code DIR`, e.g. a `git archive` of an older commit) and records that process's resident memory
after loading the model and after the answers. The version is written by this tree's code, which
older readers also read.

    nice .venv/bin/python benchmarks/bench_memory_pg.py --n 100000 --code /tmp/before --code .
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_scale import VERSION, bench_questions, synthetic, texts  # noqa: E402
from chatbot.embedding import make_encoder  # noqa: E402
from chatbot.indexer import index_spec  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402
from chatbot.stores import Manifest, open_store  # noqa: E402
from tests.pg_server import start_server  # noqa: E402

# Run in a fresh interpreter with the code tree under test first on sys.path.
READER = """
import json, sys, psutil
from chatbot.embedding import make_encoder
from chatbot.pipeline import Chatbot
from chatbot.settings import load_settings
settings = load_settings(vector_store="pgvector", pg_dsn=sys.argv[1], chinese_index=False)
encoder = make_encoder(settings)
encoder.encode_queries(["warm"])
model = psutil.Process().memory_info().rss
bot = Chatbot(settings, encoder)
for question in json.loads(sys.argv[2]):
    bot.ask(question)
print(json.dumps({"model_mb": model / 2**20, "answered_mb": psutil.Process().memory_info().rss / 2**20}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--code", type=Path, action="append", required=True, help="a code tree to measure")
    args = parser.parse_args()
    server = start_server("-c shared_buffers=1GB", "-c max_wal_size=4GB")
    try:
        settings = load_settings(vector_store="pgvector", pg_dsn=server.dsn, pg_statement_timeout_s=600)
        spec = index_spec(settings, make_encoder(settings))
        vectors, _ = synthetic(args.n, 1)
        chunks = texts(args.n)
        manifest = Manifest(version=VERSION, built_at="now", spec=spec, documents={}, chunk_count=args.n)
        open_store(settings).write_version(manifest, chunks, vectors)
        del vectors, chunks
        questions = json.dumps(bench_questions(5))
        result: dict = {"n": args.n, "questions": 5, "readers": {}}
        for code in args.code:
            env = {**os.environ, "PYTHONPATH": str(code.resolve())}
            done = subprocess.run(
                [sys.executable, "-c", READER, server.dsn, questions],
                env=env, capture_output=True, text=True, check=True, cwd=code,
            )  # fmt: skip
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures["index_mb"] = figures["answered_mb"] - figures["model_mb"]
            result["readers"][str(code)] = figures
            print(f"{code}: {figures}", flush=True)
    finally:
        server.remove()
    out = REPO / "benchmarks" / "results" / f"memory-pg-{args.n}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
