"""Shared pieces of the stress scripts: a temporary corpus copy, a served chat, result files."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
CHATBOT = [sys.executable, "-m", "chatbot.cli"]
# Seconds to wait for a served chat to answer /config after start (model load included).
SERVER_START_S = 180


def workspace(name: str) -> tuple[Path, Path]:
    """Return (corpus, index) folders in a fresh temporary directory, the corpus a copy of ours."""
    root = Path(tempfile.mkdtemp(prefix=f"stress-{name}-"))
    shutil.copytree(REPO / "corpus", root / "corpus")
    return root / "corpus", root / "index"


def env(**settings: object) -> dict[str, str]:
    """Return the environment for a chatbot subprocess: offline, with CHATBOT_* settings."""
    out = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    out.update({f"CHATBOT_{k.upper()}": str(v) for k, v in settings.items()})
    return out


def build(corpus: Path, index: Path, *extra: str) -> None:
    """Run `chatbot index` over the folders and fail loudly if it fails."""
    subprocess.run([*CHATBOT, "index", "--quiet", "--corpus", str(corpus), "--index", str(index), *extra],
                   check=True, env=env(), cwd=REPO, stdout=subprocess.DEVNULL)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(corpus: Path, index: Path, **settings: object) -> tuple[subprocess.Popen[bytes], str]:
    """Start `chatbot serve` on a free loopback port; return the process and its URL once it answers."""
    port = free_port()
    log = open(index.parent / "serve.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [*CHATBOT, "serve", "--no-build", "--corpus", str(corpus), "--index", str(index),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env(**settings), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chatbot serve exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(url + "config", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"chatbot serve did not start within {SERVER_START_S} s; see {log.name}")


def questions(limit: int | None = None) -> list[str]:
    """Return the answerable questions of eval/questions/dev.jsonl without history."""
    rows = [json.loads(line) for line in (REPO / "eval/questions/dev.jsonl").read_text().splitlines() if line]
    qs = [r["question"] for r in rows if r.get("answerable", True) and not r.get("history")]
    return qs[:limit] if limit else qs


def percentiles(values: list[float]) -> dict[str, float]:
    """Return p50, p95 and max of latencies in seconds, rounded to milliseconds."""
    if not values:
        return {}
    arr = np.asarray(values)
    return {k: round(float(v), 3) for k, v in
            (("p50", np.percentile(arr, 50)), ("p95", np.percentile(arr, 95)), ("max", arr.max()))}


def write_result(name: str, result: dict[str, object]) -> Path:
    """Write benchmarks/results/<name>.json with the machine described; return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
