"""Benchmark the LLM writer per packaged model; writes benchmarks/results/llm.json.

Usage: .venv/bin/python benchmarks/bench_llm.py [--models qwen2.5-coder-1.5b ...] [--every 10]

For every n-th dev question (a fixed, stated sample), with the bundled corpus and 5-passage
prompts: the server's time to first token, the time until the first checked sentence reaches the
user, the whole answer's time, and what became of it (written by the LLM, refused, or the
extractive fallback, and why), side by side with the extractive writer in the same run. Run it on
an idle machine: with other work on the 2 cores, the figures are 3-10x slower.
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

from chatbot.llm.client import ChatClient, ChatRequest  # noqa: E402
from chatbot.llm.local import LocalServer, model_file  # noqa: E402
from chatbot.metrics import answer_body, contains_key  # noqa: E402
from chatbot.pipeline import Chatbot  # noqa: E402
from chatbot.questions import Question, load_questions  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402
from chatbot.writers import Delta, Final  # noqa: E402
from chatbot.writers.prompt import SCHEMA, messages  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "eval" / "questions" / "dev.jsonl"
OUT = REPO / "benchmarks" / "results" / "llm.json"
MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m")
TARGET_TTFT_S = 3.0


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def _time_first_token(bot: Chatbot, base_url: str, question: str) -> float:
    """Return seconds to the server's first content token for the 5-passage prompt of `question`."""
    query = bot.analyse(question)
    hits = bot.retriever.retrieve(query, bot.index(), bot.settings.candidates)
    passages = bot.reranker.rerank(query, hits).hits[: bot.settings.llm_passages]
    client = ChatClient(base_url, "local", None, bot.settings.llm_timeout_s)
    started = time.perf_counter()
    stream = client.stream(ChatRequest(messages(question, passages), 8, 0.0, SCHEMA))
    for _ in stream:
        break
    stream.close()
    return time.perf_counter() - started


def _forget_passages(base_url: str) -> None:
    """Have the server read another prompt, so that the answer timed next reads its passages
    afresh: llama.cpp keeps the last prompt's prefix, and the first-token request read these.
    The system prompt stays cached, as it does between real questions."""
    client = ChatClient(base_url, "local", None, 120)
    for _ in client.stream(ChatRequest(messages("-", []), 1, 0.0, None)):
        pass


def _run(bot: Chatbot, questions: list[Question], base_url: str | None) -> dict[str, object]:
    rows = []
    for q in questions:
        question = q.question
        ttft = None
        if base_url:
            ttft = _time_first_token(bot, base_url, question)
            _forget_passages(base_url)
        started = time.perf_counter()
        first = None
        answer = None
        for event in bot.stream(question):
            if isinstance(event, Delta) and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, Final):
                answer = event.answer
        assert answer is not None
        rows.append({
            "question": question, "ttft_s": ttft, "first_sentence_s": first,
            "total_s": time.perf_counter() - started, "writer": answer.writer,
            "abstained": answer.abstained, "notice": answer.notice, "answer": answer.text,
            "words": len(answer.text.split()), "answerable": q.answerable,
            # Right: an answerable question's answer holds a key; an unanswerable one is declined.
            "right": contains_key(answer_body(answer.text), q.keys) if q.answerable else answer.abstained,
        })  # fmt: skip
    totals = [float(r["total_s"]) for r in rows]
    ttfts = [float(r["ttft_s"]) for r in rows if r["ttft_s"] is not None]
    by_llm = [r for r in rows if r["writer"] == "llm"]
    return {
        "questions": len(rows),
        "ttft_p50_s": statistics.median(ttfts) if ttfts else None,
        "ttft_p95_s": _percentile(ttfts, 0.95) if ttfts else None,
        "total_p50_s": statistics.median(totals),
        "total_p95_s": _percentile(totals, 0.95),
        "written_by_llm": len(by_llm),
        "refused_by_llm": sum(1 for r in by_llm if r["abstained"]),
        "fell_back": sum(1 for r in rows if str(r["notice"]).startswith("The language model")),
        "median_words": statistics.median(int(r["words"]) for r in rows),
        "key_fact": _share([bool(r["right"]) for r in rows if r["answerable"]]),
        "abstention": _share([bool(r["right"]) for r in rows if not r["answerable"]]),
        "rows": rows,
    }


def main() -> None:
    """Run the benchmark and write its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--every", type=int, default=10, help="take every n-th dev question")
    # Long enough that no answer is cut off: the point is to measure how long they take.
    parser.add_argument("--timeout", type=float, default=600.0, help="llm_timeout_s for the run")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    questions = [q for q in load_questions(QUESTIONS) if not q.history][:: args.every]
    work = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    try:
        shutil.copytree(REPO / "corpus", work / "corpus")
        base = load_settings(corpus=work / "corpus", index=work / "index", chinese_index=False)
        extractive = Chatbot(base)
        extractive.build(progress=False)
        extractive.prewarm_sentences()
        results: dict[str, object] = {"extractive": _run(extractive, questions, None)}
        for name in args.models:
            path = model_file(name, base.llm_dir)
            server = LocalServer(path, threads=base.llm_threads, context=base.llm_context_tokens)
            try:
                chosen = {"writer": "llm", "llm_base_url": server.base_url, "llm_timeout_s": args.timeout}
                settings = base.model_copy(update=chosen)
                bot = Chatbot(settings, extractive.encoder)
                bot.prewarm_sentences()
                results[name] = _run(bot, questions, server.base_url)
            finally:
                server.stop()
            print(name, {k: v for k, v in results[name].items() if k != "rows"}, flush=True)  # type: ignore[union-attr]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "sample": f"every {args.every}th standalone question of {QUESTIONS.name} ({len(questions)})",
        "passages_in_prompt": base.llm_passages,
        "target_ttft_s": TARGET_TTFT_S,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
