"""Rebuild while serving: clients ask without pause while a document changes and the index is rebuilt.

Usage: python benchmarks/stress_rebuild.py [--clients 8] [--rebuilds 2]
Each rebuild changes one fact in a temporary corpus copy and runs `chatbot index` beside the
running `chatbot serve`. Writes benchmarks/results/stress_rebuild.json: questions asked, failed
ones (must be 0), the index versions answers came from, and how soon answers switched.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stress_common import build, questions, serve, workspace, write_result  # noqa: E402

FACT_DOC = "falcon.txt"
FACT_QUESTION = "What score did the Liangjiang Falcon Index reach in 2025?"
# Seconds to wait for the served answers to come from a freshly built version.
SWITCH_TIMEOUT_S = 120


def _fact(score: int) -> str:
    return (
        "Liangjiang Falcon Index\n\nThe Liangjiang Falcon Index tracks new investment in the area. "
        f"In 2025 the Liangjiang Falcon Index reached {score} points, its highest level so far.\n"
    )


def _asker(url: str, pool: list[str], stop: threading.Event, log: list[tuple[float, str, str]],
           lock: threading.Lock) -> None:
    client = Client(url, verbose=False)
    i = 0
    while not stop.is_set():
        q = pool[i % len(pool)]
        i += 1
        try:
            result = client.predict(q, [], api_name="/ask")
            outcome = "error: " + result["error"] if "error" in result else "ok"
            version = result.get("index_version", "")
        except Exception as exc:  # noqa: BLE001 - counted as a failed question
            outcome, version = f"error: {exc!r}", ""
        with lock:
            log.append((time.monotonic(), version, outcome))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rebuilds", type=int, default=2)
    args = parser.parse_args()
    corpus, index = workspace("rebuild")
    (corpus / FACT_DOC).write_text(_fact(100), encoding="utf-8")
    build(corpus, index)
    first = (index / "CURRENT").read_text().strip()
    proc, url = serve(corpus, index)
    log: list[tuple[float, str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    pool = [FACT_QUESTION, *questions(20)]
    try:
        Client(url, verbose=False).predict(FACT_QUESTION, [], api_name="/ask")  # warm up
        threads = [threading.Thread(target=_asker, args=(url, pool[c:] + pool[:c], stop, log, lock))
                   for c in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(5)
        rebuilds = []
        checker = Client(url, verbose=False)
        for n in range(1, args.rebuilds + 1):
            score = 100 + n
            (corpus / FACT_DOC).write_text(_fact(score), encoding="utf-8")
            started = time.monotonic()
            build(corpus, index)
            built = time.monotonic()
            version = (index / "CURRENT").read_text().strip()
            switched = None
            while time.monotonic() - built < SWITCH_TIMEOUT_S and switched is None:
                with lock:
                    switched = next((t for t, v, _ in log if v == version and t >= built), None)
                time.sleep(0.2)
            answer = checker.predict(FACT_QUESTION, [], api_name="/ask")
            after = None if switched is None else round(switched - built, 2)
            rebuilds.append({
                "version": version,
                "build_s": round(built - started, 2),
                "first_answer_from_new_version_after_s": after,
                "new_fact_answered": f"{score} points" in answer["answer"],
                "answered_from": answer["index_version"],
            })
            time.sleep(3)
        stop.set()
        for t in threads:
            t.join(timeout=120)
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)
    versions_in_order: list[str] = []
    for _, v, _ in sorted(log):
        if v and (not versions_in_order or versions_in_order[-1] != v):
            versions_in_order.append(v)
    failed = [o for _, _, o in log if o != "ok"]
    result = {
        "what": f"{args.clients} clients asking without pause while the index is rebuilt "
                f"{args.rebuilds} times (one document changed before each), `chatbot serve` on 127.0.0.1",
        "questions": len(log),
        "failed": len(failed),
        "failed_samples": failed[:5],
        "first_version": first,
        "versions_answered_from_in_order": versions_in_order,
        "rebuilds": rebuilds,
    }
    print(result)
    print(f"wrote {write_result('stress_rebuild', result)}")
    ok = not failed and all(r["new_fact_answered"] and r["first_answer_from_new_version_after_s"] is not None
                            for r in rebuilds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
