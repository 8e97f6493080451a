"""Run question sets through the chatbot and measure retrieval, answers and citations."""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel
from tqdm import tqdm

from chatbot.settings import Settings
from chatbot.types import Answer, Hit


class Question(BaseModel, frozen=True):
    """One line of a question set (JSON Lines)."""

    id: str
    question: str
    answerable: bool = True
    keys: list[str] = []
    sources: list[str] = []
    kind: str = ""
    history: list[str] = []


def load_questions(path: Path) -> list[Question]:
    """Return the questions of a JSON Lines file; raises ValueError naming the bad line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(Question.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not a valid question ({exc})") from exc
    return out


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def contains_key(text: str, keys: list[str]) -> bool:
    """Return whether `text` contains any of `keys`, ignoring case and spacing."""
    t = _norm(text)
    return any(_norm(k) in t for k in keys)


def is_relevant(hit: Hit, q: Question) -> bool:
    """A passage is relevant when it comes from a listed source, or else contains a key."""
    if q.sources:
        return hit.chunk.doc_id in q.sources
    return contains_key(hit.chunk.text, q.keys)


@dataclass
class Verdict:
    """The judgement of one answer."""

    id: str
    answerable: bool
    first_relevant_rank: int | None
    key_in_answer: bool
    citation_supported: bool
    abstained: bool
    markers_valid: bool
    seconds: float
    record: dict[str, object] = field(repr=False)


_MARKER = re.compile(r"\[(\d+)\]")


def judge(q: Question, answer: Answer, seconds: float) -> Verdict:
    """Return the verdict of `answer` against the expected keys and sources of `q`."""
    ranks = [h.rank for h in answer.hits if is_relevant(h, q)]
    numbers = {c.n for c in answer.citations}
    markers = {int(m) for m in _MARKER.findall(answer.text)}
    record = answer.to_json() | {
        "id": q.id,
        "retrieved": [{"rank": h.rank, "doc_id": h.chunk.doc_id, "score": round(h.score, 4)} for h in answer.hits],
    }
    return Verdict(
        id=q.id,
        answerable=q.answerable,
        first_relevant_rank=min(ranks) if ranks else None,
        key_in_answer=contains_key(answer.text, q.keys) if q.keys else False,
        citation_supported=any(contains_key(c.text, q.keys) for c in answer.citations) if q.keys else False,
        abstained=answer.abstained,
        markers_valid=markers <= numbers,
        seconds=seconds,
        record=record,
    )


def summarise(verdicts: list[Verdict]) -> dict[str, float | int]:
    """Return the metrics over a list of verdicts."""
    ans = [v for v in verdicts if v.answerable]
    una = [v for v in verdicts if not v.answerable]
    answered = [v for v in ans if not v.abstained]

    def share(xs: list[bool]) -> float:
        return round(sum(xs) / len(xs), 4) if xs else 0.0

    latencies = sorted(v.seconds for v in verdicts)
    return {
        "questions": len(verdicts),
        "answerable": len(ans),
        "unanswerable": len(una),
        "hit@1": share([v.first_relevant_rank == 1 for v in ans]),
        "hit@5": share([v.first_relevant_rank is not None and v.first_relevant_rank <= 5 for v in ans]),
        "key_fact_accuracy": share([v.key_in_answer and not v.abstained for v in ans]),
        "citation_support": share([v.citation_supported for v in answered]),
        "abstention_accuracy": share([v.abstained for v in una]),
        "false_abstention": share([v.abstained for v in ans]),
        "markers_valid": share([v.markers_valid for v in verdicts]),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `chatbot eval` arguments to its sub-parser."""
    parser.add_argument("files", nargs="+", type=Path, help="question sets (JSON Lines)")
    parser.add_argument("--out", type=Path, default=Path("eval/reports/latest"), help="report folder")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run `chatbot eval`; return the exit status."""
    from chatbot.pipeline import Chatbot

    bot = Chatbot(settings)
    if bot.build(progress=False).wrote:
        pass
    questions = [q for f in args.files for q in load_questions(f)]
    verdicts = []
    for q in tqdm(questions, desc="Evaluating", unit="q"):
        t = time.perf_counter()
        answer = bot.ask(q.question, q.history)
        verdicts.append(judge(q, answer, time.perf_counter() - t))
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "results.jsonl", "w", encoding="utf-8") as fh:
        for v in verdicts:
            fh.write(json.dumps(v.record, ensure_ascii=False) + "\n")
    summary = summarise(verdicts)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for k, v in summary.items():
        print(f"{k:>20}: {v}")
    return 0
