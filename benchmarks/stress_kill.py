"""Kill during rebuild: SIGKILL a full rebuild at random moments; the previous index must answer.

Usage: python benchmarks/stress_kill.py [--kills 20] [--seed 6]
A `chatbot serve` keeps answering beside the builds. Each round starts a full rebuild in a child
process (half the rounds with the embedding cache deleted, so that the kill can land while
embedding as well as while chunking and writing), waits until the model is loaded and the build
has begun, then kills it at a random moment within the build's measured duration. After every
kill the live index on disk must load and be consistent, the server must answer with citations,
and at the end one more build must complete. Writes benchmarks/results/stress_kill.json.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stress_common import REPO, build, env, serve, workspace, write_result  # noqa: E402

# The child: load the model first when the build will embed (loading is not the build), say START,
# then build with progress lines. With a full cache the build never touches the model.
CHILD = """
import sys
from chatbot.pipeline import Chatbot
from chatbot.settings import load_settings
bot = Chatbot(load_settings())
if sys.argv[1:] == ["embed"]:
    bot.encoder.encode_queries(["warm up"])
print("START", flush=True)
report = bot.build(full=True, progress=False,
                   on_progress=lambda s, d, t: print(f"STAGE {s} {d} {t}", flush=True))
print("DONE", report.version, flush=True)
"""
QUESTION = "What was Liangjiang New Area's GDP in 2020?"
CHILD_START_S = 300


def _drop_cache(index: Path) -> None:
    for path in index.glob("embeddings.sqlite*"):
        path.unlink()


def _run_child(corpus: Path, index: Path, kill_after: float | None, embeds: bool) -> dict[str, object]:
    """Run one full rebuild; kill it `kill_after` seconds after START (None: let it finish)."""
    argv = [sys.executable, "-c", CHILD, "embed" if embeds else "reuse"]
    proc = subprocess.Popen(argv, env=env(corpus=corpus, index=index), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("START"):
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not started.wait(CHILD_START_S):
        proc.kill()
        raise RuntimeError("the build child did not start")
    t0 = time.monotonic()
    if kill_after is None:
        proc.wait()
    else:
        time.sleep(kill_after)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join(timeout=10)
    stages = [ln for ln in lines if ln.startswith("STAGE")]
    return {
        "seconds_after_start": round(time.monotonic() - t0, 2),
        "finished": any(ln.startswith("DONE") for ln in lines),
        "last_stage": stages[-1][6:] if stages else "before the first stage",
        "returncode": proc.returncode,
    }


def _index_ok(index: Path) -> tuple[bool, str]:
    """Return whether the live index loads and is consistent, and its version (in a fresh process)."""
    check = (
        "from chatbot.stores.faiss_store import load_index, read_manifest; from pathlib import Path; "
        f"m = read_manifest(Path({str(index)!r})); i = load_index(Path({str(index)!r}), m.spec); "
        "print(i.version, len(i.chunks))"
    )
    run = subprocess.run([sys.executable, "-c", check], env=env(), cwd=REPO, capture_output=True, text=True)
    return run.returncode == 0, run.stdout.strip().split(" ")[0] if run.returncode == 0 else run.stderr[-300:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    corpus, index = workspace("kill")
    build(corpus, index)
    proc, url = serve(corpus, index)
    client = Client(url, verbose=False)
    try:
        client.predict(QUESTION, [], api_name="/ask")  # warm up
        # Calibrate: how long a full rebuild takes with and without the embedding cache.
        _drop_cache(index)
        cold = _run_child(corpus, index, None, embeds=True)
        warm = _run_child(corpus, index, None, embeds=False)
        durations = {True: cold["seconds_after_start"], False: warm["seconds_after_start"]}
        rounds = []
        for n in range(args.kills):
            drop = n % 2 == 0
            if drop:
                _drop_cache(index)
            before = (index / "CURRENT").read_text().strip()
            kill_after = rng.uniform(0, float(durations[drop]))  # type: ignore[arg-type]
            child = _run_child(corpus, index, kill_after, embeds=drop)
            loads, live = _index_ok(index)
            answer = client.predict(QUESTION, [], api_name="/ask")
            rounds.append({
                "cache_dropped": drop,
                "kill_after_s": round(kill_after, 2),
                **child,
                "live_version_unchanged": live == before,
                "index_loads": loads,
                "served_answer_cited": bool(answer.get("citations")) and "error" not in answer,
            })
            print(rounds[-1], flush=True)
        final = _run_child(corpus, index, None, embeds=True)
        loads, live = _index_ok(index)
        answer = client.predict(QUESTION, [], api_name="/ask")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    killed_mid_build = [r for r in rounds if not r["finished"]]
    leftovers = [p.name for p in (index / "versions").iterdir() if p.name.startswith(".tmp")]
    result = {
        "what": f"{args.kills} SIGKILLs at random moments of a full rebuild of the bundled corpus "
                "(half with the embedding cache deleted), `chatbot serve` answering beside them",
        "full_rebuild_s": {"without_cache": durations[True], "with_cache": durations[False]},
        "kills": len(rounds),
        "killed_before_finishing": len(killed_mid_build),
        "stages_hit": sorted({str(r["last_stage"]).split(" ")[0] for r in killed_mid_build}),
        "index_loadable_after_every_kill": all(r["index_loads"] for r in rounds),
        # A kill after the atomic switch but before the process ended leaves the new, complete version.
        "unfinished_builds_that_left_the_previous_version_live": sum(
            r["live_version_unchanged"] for r in killed_mid_build),
        "served_answers_cited_after_every_kill": all(r["served_answer_cited"] for r in rounds),
        "final_build": {**final, "index_loads": loads, "version": live,
                        "served_from_it": answer.get("index_version") == live},
        "leftover_temporary_folders_after_final_build": leftovers,
        "rounds": rounds,
    }
    print(f"wrote {write_result('stress_kill', result)}")
    ok = (result["index_loadable_after_every_kill"] and result["served_answers_cited_after_every_kill"]
          and final["finished"] and loads)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
