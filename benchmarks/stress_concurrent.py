"""Many users at once: N gradio_client sessions on 127.0.0.1, each asking M questions.

Usage: python benchmarks/stress_concurrent.py [--clients 32] [--questions 10] [--concurrency 1,2,4]
Writes benchmarks/results/stress_concurrent.json: per answer-concurrency setting, errors, how many
answers were cited, and latency percentiles (seconds, as a client sees them, queueing included).
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from pathlib import Path

from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stress_common import build, percentiles, questions, serve, workspace, write_result  # noqa: E402


def _client(url: str, qs: list[str], out: dict[str, list], lock: threading.Lock) -> None:
    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, none may stop the run
        with lock:
            out["errors"].extend(f"connect: {exc!r}" for _ in qs)
        return
    for q in qs:
        started = time.perf_counter()
        try:
            result = client.predict(q, [], api_name="/ask")
        except Exception as exc:  # noqa: BLE001
            with lock:
                out["errors"].append(f"{q!r}: {exc!r}")
            continue
        elapsed = time.perf_counter() - started
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", result.get("answer", ""))}
        cited = bool(result.get("citations")) and markers <= {c["n"] for c in result["citations"]}
        with lock:
            out["latency"].append(elapsed)
            if "error" in result:
                out["errors"].append(f"{q!r}: {result['error']}")
            elif result["abstained"]:
                out["abstained"].append(q)
            elif cited:
                out["cited"].append(q)
            else:
                out["uncited"].append(q)


def run_once(corpus: Path, index: Path, clients: int, per_client: int, concurrency: int) -> dict[str, object]:
    """Serve with `concurrency` answers at once, run the clients, return the figures."""
    proc, url = serve(corpus, index, answer_concurrency=concurrency)
    try:
        warm_up = Client(url, verbose=False)
        warm_up.predict("How large is Liangjiang New Area?", [], api_name="/ask")
        pool = questions()
        out: dict[str, list] = {"latency": [], "errors": [], "cited": [], "uncited": [], "abstained": []}
        lock = threading.Lock()
        threads = [
            threading.Thread(
                target=_client,
                args=(url, [pool[(c * per_client + i) % len(pool)] for i in range(per_client)], out, lock),
            )
            for c in range(clients)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    answered = len(out["latency"])
    return {
        "answer_concurrency": concurrency,
        "questions": clients * per_client,
        "answered": answered,
        "errors": len(out["errors"]),
        "error_samples": out["errors"][:5],
        "cited": len(out["cited"]),
        "abstained": len(out["abstained"]),
        "answered_without_citation": len(out["uncited"]),
        "latency_s": percentiles(out["latency"]),
        "wall_s": round(wall, 1),
        "questions_per_s": round(answered / wall, 2) if wall else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--concurrency", default="2", help="comma-separated answer_concurrency values")
    args = parser.parse_args()
    corpus, index = workspace("concurrent")
    build(corpus, index)
    runs = []
    for value in (int(v) for v in args.concurrency.split(",")):
        run = run_once(corpus, index, args.clients, args.questions, value)
        print(run, flush=True)
        runs.append(run)
    path = write_result("stress_concurrent", {
        "what": f"{args.clients} gradio_client sessions x {args.questions} answerable dev questions at once, "
                "against `chatbot serve` on 127.0.0.1 (bundled corpus)",
        "runs": runs,
    })
    print(f"wrote {path}")
    ok = all(r["errors"] == 0 and r["answered_without_citation"] == 0 for r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
