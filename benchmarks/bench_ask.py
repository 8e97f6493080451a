"""Benchmark warm `Chatbot.ask` latency on the dev questions; writes benchmarks/results/ask_latency.json.

Usage: .venv/bin/python benchmarks/bench_ask.py [--rounds 3] [--embedder minilm|e5] [--corpus DIR]

    .venv/bin/python benchmarks/make_corpus.py /tmp/c250 --docs 250    # ~2,000 passages
    .venv/bin/python benchmarks/bench_ask.py --corpus /tmp/c250 --out benchmarks/results/ask_latency-2000.json

The index of the bundled corpus (or of --corpus) is built in a temporary folder first, and every
question is asked once before timing, so the figures are for a warm chatbot (model, index, BM25
and sentence vectors loaded), the state a running chat server is in.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from chatbot.pipeline import Chatbot  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "eval" / "questions" / "dev.jsonl"
OUT = REPO / "benchmarks" / "results" / "ask_latency.json"
TARGET_P50_MS = 50.0


def main() -> None:
    """Run the benchmark and write its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the questions")
    parser.add_argument("--embedder", choices=["minilm", "e5"], default=None)
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="the documents to index")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(args.corpus, Path(tmp) / "corpus")
        settings = load_settings(
            corpus=Path(tmp) / "corpus", index=Path(tmp) / "index", embedder=args.embedder
        )
        bot = Chatbot(settings)
        bot.build(progress=False)
        passages = len(bot.index().chunks)
        for q in questions:  # warm-up: caches fill as in a running server
            bot.ask(q["question"], q["history"])
        times = []
        for _ in range(args.rounds):
            for q in questions:
                t = time.perf_counter()
                bot.ask(q["question"], q["history"])
                times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {
        "corpus": str(args.corpus.relative_to(REPO) if args.corpus.is_relative_to(REPO) else args.corpus),
        "passages": passages,
        "questions": len(questions),
        "timed_asks": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": statistics.median(times) <= TARGET_P50_MS,
        "settings": {
            "embedder": settings.embedder,
            "retrieval": settings.retrieval,
            "rerank": settings.rerank,
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap_tokens": settings.chunk_overlap_tokens,
            "candidates": settings.candidates,
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "note": "CPU shared with other work while measured; compare runs made side by side.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
