"""Run question sets through the chatbot under named configurations and measure each answer.

Metrics (the report and the README define them the same way):
  retrieval   hit@k, MRR, nDCG@5 over answerable questions; a passage is relevant when it comes
              from a listed source document, or (no sources listed) when it contains a key
  answers     key-fact accuracy, abstention accuracy, false-abstention rate
  citations   support, precision and marker validity, in the spirit of ALCE (Gao et al., 2023)
  latency     p50 and p95 seconds per question
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from chatbot.configs import CONFIGS, DEFAULT_CONFIGS, EvalConfig
from chatbot.metrics import (
    MARKER,
    answer_body,
    answer_words,
    citation_precision,
    contains_key,
    first_rank,
    hit_at,
    is_relevant,
    length_summary,
    ndcg_at,
    reciprocal_rank,
)
from chatbot.query import language_of
from chatbot.questions import EvalSet, Question, load_suite, set_from_path
from chatbot.regression import (
    FLOOR_MARGIN,
    SUMMARY_FORMAT,
    compare,
    floors_from,
    format_deltas,
    read_summary,
)
from chatbot.settings import Settings
from chatbot.types import Answer, Citation, Hit, ScoredSentence, date_note

if TYPE_CHECKING:
    from chatbot.pipeline import Chatbot

log = logging.getLogger(__name__)

# hit@k is reported for these k; nDCG is cut at NDCG_K (the answer sees the top 5 by default).
HIT_KS = (1, 3, 5)
NDCG_K = 5
VARIANTS = "variants"


# --- judging one answer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The judgement of one answer to one question."""

    answerable: bool
    relevant: tuple[bool, ...]  # per retrieved passage, best first
    relevant_total: int  # relevant passages in the whole index
    key_in_answer: bool
    citation_supported: bool
    precise_citations: int
    citations: int
    abstained: bool
    markers_valid: bool
    seconds: float
    words: int = 0  # the answer's length, its source list not counted (metrics.answer_words)
    fell_back: bool = False  # the chosen writer (the LLM) could not answer and another one did

    @property
    def first_relevant_rank(self) -> int | None:
        return first_rank(self.relevant)

    @property
    def correct(self) -> bool:
        """An answerable question answered with a key, or an unanswerable one declined."""
        if self.answerable:
            return self.key_in_answer and not self.abstained
        return self.abstained

    def problems(self) -> list[str]:
        """Return what went wrong, in words, for the failure table (empty when nothing did)."""
        out = []
        if not self.answerable:
            if not self.abstained:
                out.append("answered an unanswerable question")
        else:
            if self.abstained:
                out.append("abstained")
            elif not self.key_in_answer:
                out.append("key missing from the answer")
            if not any(self.relevant):
                out.append("no relevant passage retrieved")
            if not self.abstained and not self.citation_supported:
                out.append("cited passages lack the key")
        if self.precise_citations < self.citations and not self.abstained:
            out.append("a citation does not contain its claim")
        if not self.markers_valid:
            out.append("a marker points to no citation")
        return out


def judge(
    q: Question, answer: Answer, seconds: float, relevant_total: int, writer: str | None = None
) -> Verdict:
    """Return the verdict of `answer` against the keys and sources of `q`; `writer` is the one the
    configuration chose (settings.writer): an answer another one wrote fell back."""
    passages = {c.n: c.text for c in answer.citations}
    markers = {int(m) for m in MARKER.findall(answer.text)}
    precise, total = (0, 0) if answer.abstained else citation_precision(answer.text, passages, q.keys)
    return Verdict(
        answerable=q.answerable,
        relevant=tuple(is_relevant(h.chunk, q) for h in answer.hits),
        relevant_total=relevant_total,
        key_in_answer=bool(q.keys) and contains_key(answer_body(answer.text), q.keys),
        citation_supported=bool(q.keys)
        and any(contains_key(_supporting(c, answer.text), q.keys) for c in answer.citations),
        precise_citations=precise,
        citations=total,
        abstained=answer.abstained,
        markers_valid=markers <= set(passages),
        seconds=seconds,
        words=answer_words(answer.text),
        fell_back=writer is not None and answer.writer != writer,
    )


def _supporting(c: Citation, answer: str) -> str:
    """Return what citation `c` shows in support of `answer`: its passage, and its date when the
    answer's note quotes it ("source 1 dated 2018-08-03"), as for "visited Atlanta Thursday"."""
    dated = c.date is not None and date_note(c.n, c.date) in answer
    return f"{c.text} {c.date}" if dated else c.text


def record(q: Question, answer: Answer, v: Verdict) -> dict[str, object]:
    """Return the per-question JSON record: the question, the answer, citations, ranks, verdicts.

    To keep result files small, passages are named by document and character offsets in the
    cleaned document (the quoted sentences are in the answer), and each retrieved passage is one
    string, best first: "doc_id@start score", then "R" when relevant and "K" when it holds a key.
    """
    return {
        "id": q.id,
        "kind": q.kind,
        "question": q.question,
        "keys": q.keys,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end, "page": c.page}
            for c in answer.citations
        ],
        "retrieved": [_retrieved(h, q, rel) for h, rel in zip(answer.hits, v.relevant, strict=True)],
        "verdict": {
            "correct": v.correct,
            "rank": v.first_relevant_rank,
            f"ndcg@{NDCG_K}": round(ndcg_at(v.relevant, v.relevant_total, NDCG_K), 3),
            "precise": [v.precise_citations, v.citations],
            "problems": v.problems(),
        },
        "words": v.words,
        "seconds": round(v.seconds, 3),
        "writer": answer.writer,
        "notice": answer.notice,
        "answerable": q.answerable,
        "confidence": None if answer.confidence is None else round(answer.confidence, 4),
        "judged": None if answer.judged is None else _judged(answer.judged),
    }


def _judged(s: ScoredSentence) -> dict[str, object]:
    """Return what abstention weighed of the sentence it judged (eval/calibrate_abstention.py fits
    the weights on these, over several corpora at once)."""
    return {
        "language": language_of(s.text),
        "context": round(s.context, 4),
        "coverage": round(s.coverage, 4),
        "cosine": round(s.cosine, 4),
        "numbers_missing": s.numbers_missing,
        "untyped": s.untyped,
        "focus_missing": round(s.focus_missing, 4),
    }


def _retrieved(h: Hit, q: Question, relevant: bool) -> str:
    flags = ("R" if relevant else "") + ("K" if q.keys and contains_key(h.chunk.text, q.keys) else "")
    return f"{h.chunk.doc_id}@{h.chunk.start} {h.score:.3f} {flags}".rstrip()


# --- summarising ---------------------------------------------------------------------------------


def _share(xs: Sequence[bool]) -> float | None:
    """Return the share of true values, or None when there is nothing to judge."""
    return round(sum(xs) / len(xs), 4) if xs else None


def _mean(xs: Sequence[float]) -> float | None:
    return round(float(np.mean(xs)), 4) if xs else None


def hit_curve(verdicts: Sequence[Verdict], depth: int) -> list[float | None]:
    """Return hit@k for k = 1..depth over the answerable questions."""
    ans = [v for v in verdicts if v.answerable]
    return [_share([hit_at(v.relevant, k) for v in ans]) for k in range(1, depth + 1)]


def summarise(verdicts: Sequence[Verdict]) -> dict[str, float | int | None]:
    """Return the metrics over a list of verdicts (see the module docstring).

    A rate with nothing to judge (no unanswerable question, no citation) is None.
    """
    ans = [v for v in verdicts if v.answerable]
    una = [v for v in verdicts if not v.answerable]
    answered = [v for v in ans if not v.abstained]
    precise = sum(v.precise_citations for v in verdicts)
    cited = sum(v.citations for v in verdicts)
    latencies = np.array([v.seconds for v in verdicts]) * 1000
    out: dict[str, float | int | None] = {
        "questions": len(verdicts), "answerable": len(ans), "unanswerable": len(una),
    }
    out |= {f"hit@{k}": _share([hit_at(v.relevant, k) for v in ans]) for k in HIT_KS}
    out |= {
        "mrr": _mean([reciprocal_rank(v.relevant) for v in ans]),
        f"ndcg@{NDCG_K}": _mean([ndcg_at(v.relevant, v.relevant_total, NDCG_K) for v in ans]),
        "key_fact_accuracy": _share([v.key_in_answer and not v.abstained for v in ans]),
        "abstention_accuracy": _share([v.abstained for v in una]),
        "false_abstention": _share([v.abstained for v in ans]),
        "citation_support": _share([v.citation_supported for v in answered]),
        "citation_precision": round(precise / cited, 4) if cited else None,
        "markers_valid": _share([v.markers_valid for v in verdicts]),
        "answer_words_mean": length_summary([v.words for v in answered])[0],
        "answer_words_median": length_summary([v.words for v in answered])[1],
        "fell_back": _share([v.fell_back for v in verdicts]),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if len(latencies) else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if len(latencies) else None,
    }
    return out


def ask(bot: Chatbot, q: Question) -> Answer:
    """Return the chatbot's answer to `q`: the one place the evaluation asks for answers, so that
    another answer writer is evaluated by changing how `bot` is made (see `open_bot`), not this."""
    return bot.ask(q.question, q.history)


def open_bot(settings: Settings) -> Chatbot:
    """Return the chatbot the evaluation asks, for `settings` (the seam for answer writers)."""
    from chatbot.pipeline import Chatbot

    return Chatbot(settings)


def evaluate_questions(
    bot: Chatbot, questions: Sequence[Question], step: Callable[[], None] | None = None
) -> tuple[list[Verdict], list[dict[str, object]]]:
    """Ask every question, timing each answer; return the verdicts and the per-question records.

    `step` is called after each question (a progress bar's update).
    """
    chunks = bot.index().chunks
    verdicts, records = [], []
    for q in questions:
        t = time.perf_counter()
        answer = ask(bot, q)
        seconds = time.perf_counter() - t
        v = judge(q, answer, seconds, sum(is_relevant(c, q) for c in chunks), bot.settings.writer)
        verdicts.append(v)
        records.append(record(q, answer, v))
        if step:
            step()
    return verdicts, records


# --- configurations, corpora and their indexes ---------------------------------------------------


def index_folder(config: Settings, base: Settings, cache: Path) -> Path:
    """Return where the index for `config` lives: the base index when the index spec and corpus
    match, else a folder under `cache` named by a hash of the spec and the corpus folder, shared
    by configs with that spec over that corpus."""
    from chatbot.embedding import make_encoder
    from chatbot.indexer import index_spec

    spec = index_spec(config, make_encoder(config))
    same_corpus = config.corpus.resolve() == base.corpus.resolve()
    if same_corpus and spec == index_spec(base, make_encoder(base)):
        return base.index
    # Defaults left out, so that a new spec field with a default keeps existing folders valid.
    key = spec.model_dump_json(exclude_defaults=True)
    if not same_corpus:
        key += str(config.corpus.resolve())
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache / (digest if same_corpus else f"{config.corpus.resolve().parent.name}-{digest}")


@dataclass(frozen=True)
class PlannedSet:
    """A set as this run asks it: its questions (sampled), its size, and how it was sampled."""

    spec: EvalSet
    questions: list[Question]
    total: int
    every: int

    @property
    def sampling(self) -> str:
        """Return how the set was sampled, in words ("every 4th question")."""
        return self.spec.describe(self.every)


@dataclass
class ConfigRun:
    """One configuration's run over every question set."""

    config: EvalConfig
    settings: Settings | None = None
    index: dict[str, object] = field(default_factory=dict)  # of the running corpus
    indexes: dict[str, dict[str, object]] = field(default_factory=dict)  # per corpus folder
    error: str | None = None
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)
    records: dict[str, list[dict[str, object]]] = field(default_factory=dict)


def _index_info(bot: Chatbot) -> dict[str, object]:
    loaded = bot.index()
    return {
        "folder": str(bot.settings.index),
        "spec": loaded.manifest.spec.describe(),
        "version": loaded.version,
        "built_at": loaded.manifest.built_at,
        "passages": loaded.manifest.chunk_count,
        "documents": len(loaded.manifest.documents),
    }


def _by_corpus(sets: Mapping[str, PlannedSet], base: Settings) -> dict[Path, list[str]]:
    """Return the set names grouped by the corpus folder they are asked over, in run order."""
    groups: dict[Path, list[str]] = {}
    for name, planned in sets.items():
        groups.setdefault(planned.spec.corpus or base.corpus, []).append(name)
    return groups


def needs_chinese_index(questions: Sequence[Question], settings: Settings) -> bool:
    """Return whether asking `questions` over `settings.corpus` needs the second (e5) index: when
    some are in Chinese, or when most documents are (then every question is answered from it).
    Otherwise it is not built, which saves an e5 pass over the corpus."""
    from chatbot.corpus import scan_corpus
    from chatbot.language import is_mostly_chinese

    if any(is_mostly_chinese(q.question) for q in questions):
        return True
    documents = scan_corpus(settings.corpus, settings.max_document_bytes, None, settings.cleaning()).documents
    return sum(d.language == "zh" for d in documents) * 2 > len(documents)


def run_config(
    config: EvalConfig,
    base: Settings,
    sets: Mapping[str, PlannedSet],
    cache: Path,
    bar: tqdm,
    make_bot: Callable[[Settings], Chatbot] = open_bot,
) -> ConfigRun:
    """Build (or reuse) the config's index of each corpus and ask its sets; a failure is
    recorded, not raised."""
    out = ConfigRun(config)
    total = sum(len(p.questions) for p in sets.values())
    done_before = bar.n
    try:
        configured = config.settings(base)
        out.settings = configured
        for corpus, names in _by_corpus(sets, base).items():
            settings = configured.model_copy(update={"corpus": corpus})
            asked = [q for n in names for q in sets[n].questions]
            chinese = settings.chinese_index and needs_chinese_index(asked, settings)
            where = {"index": index_folder(settings, base, cache), "chinese_index": chinese}
            bot = make_bot(settings.model_copy(update=where))
            bar.set_postfix_str(f"{config.name}: indexing {corpus}")
            bot.build(progress=False)
            out.indexes[str(corpus)] = _index_info(bot)
            if corpus == base.corpus:
                out.index = out.indexes[str(corpus)]
            # One untimed question first, so that loading the models is not counted as latency.
            warm_up = sets[names[0]].questions[0]
            ask(bot, warm_up)
            for name in names:
                bar.set_postfix_str(f"{config.name} on {name}")
                out.verdicts[name], out.records[name] = evaluate_questions(
                    bot, sets[name].questions, lambda: bar.update(1)
                )
    except Exception as exc:  # a broken configuration must not stop the others; it is reported
        log.debug("Configuration %s failed", config.name, exc_info=True)
        out.error = f"{type(exc).__name__}: {exc}"
        out.verdicts.clear()
        out.records.clear()
        bar.update(total - (bar.n - done_before))
        tqdm.write(f"Configuration {config.name!r} failed and is skipped: {out.error}")
    return out


def identical_pairs(runs: Sequence[ConfigRun]) -> list[str]:
    """Return notes on configurations whose settings differ but whose answers are all identical,
    a sign that a setting is not implemented yet."""
    notes = []
    ok = [r for r in runs if r.error is None and r.settings is not None]

    def fingerprint(r: ConfigRun) -> str:
        keep = [(x["answer"], x["retrieved"]) for name in sorted(r.records) for x in r.records[name]]
        return json.dumps(keep, sort_keys=True, default=str)

    for (a, fa), (b, fb) in combinations([(r, fingerprint(r)) for r in ok], 2):
        assert a.settings is not None and b.settings is not None
        da, db = a.settings.model_dump(exclude={"index"}), b.settings.model_dump(exclude={"index"})
        diff = sorted(k for k in da if da[k] != db[k])
        if diff and fa == fb:
            what = ", ".join(f"{k}: {da[k]} vs {db[k]}" for k in diff)
            notes.append(
                f"{a.config.name} and {b.config.name} retrieved and answered identically on every "
                f"question although their settings differ ({what}): the setting may not be in effect."
            )
    return notes


SHOWN_SETTINGS = ("retrieval", "rerank", "embedder", "top_k", "chunk_tokens", "chunk_overlap_tokens")


def build_summary(
    runs: Sequence[ConfigRun], sets: Mapping[str, PlannedSet], base: Settings
) -> dict[str, object]:
    """Return the summary.json object: sets, configurations with their index, metrics, curves."""
    depth = max((r.settings.top_k for r in runs if r.settings), default=max(HIT_KS))
    ok = [r for r in runs if not r.error]
    return {
        "format": SUMMARY_FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": str(base.corpus),
        "default_settings": {k: getattr(base, k) for k in SHOWN_SETTINGS},
        "sets": {
            name: {
                "file": str(p.spec.questions),
                "corpus": str(p.spec.corpus or base.corpus),
                "questions": len(p.questions),
                "of": p.total,
                "every": p.every,
                "sampling": p.sampling,
                "relevance": p.spec.relevance,
            }
            for name, p in sets.items()
        },
        "configs": {
            r.config.name: {
                "description": r.config.description,
                "overrides": dict(r.config.overrides),
                "settings": {k: getattr(r.settings, k) for k in SHOWN_SETTINGS} if r.settings else {},
                "index": r.index,
                "indexes": r.indexes,
                "error": r.error,
            }
            for r in runs
        },
        "metrics": {name: {r.config.name: summarise(r.verdicts[name]) for r in ok} for name in sets},
        "hit_curves": {n: {r.config.name: hit_curve(r.verdicts[n], depth) for r in ok} for n in sets},
        "notes": identical_pairs(runs),
    }


# --- the command ---------------------------------------------------------------------------------

DEFAULT_SUITE = Path("eval/suite.toml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `chatbot eval` arguments to its sub-parser."""
    parser.add_argument(
        "files", nargs="*", type=Path,
        help="question sets: .jsonl files (over --corpus) or folders holding questions.jsonl and "
             "their own corpus/ (default: every set of --suite)",
    )
    parser.add_argument(
        "--suite", type=Path, default=DEFAULT_SUITE,
        help=f"the sets to run when no file is named (default {DEFAULT_SUITE})",
    )
    parser.add_argument("--only", nargs="+", metavar="SET", help="run only these sets of the suite")
    parser.add_argument(
        "--every", type=int, metavar="N",
        help="ask every N-th question of each set (default: each suite set's own step; 1 for files)",
    )
    parser.add_argument("--full", action="store_true", help="ask every question of every set (--every 1)")
    parser.add_argument(
        "--config", nargs="+", action="extend", choices=list(CONFIGS), metavar="NAME",
        help=f"configurations to compare side by side (default: default); one of {', '.join(CONFIGS)}",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("eval/reports/latest"),
        help="report folder (default eval/reports/latest)",
    )
    parser.add_argument("--compare", type=Path, metavar="OLD_SUMMARY", help="summary.json of an earlier run")
    parser.add_argument("--record-floors", type=Path, metavar="FLOORS", help="write the measured floors here")
    parser.add_argument(
        "--floor-margin", type=float, default=FLOOR_MARGIN,
        help=f"slack under each measured value when recording floors (default {FLOOR_MARGIN})",
    )
    parser.add_argument(
        "--index-cache", type=Path,
        help="where configurations that change the index, and sets with their own corpus, keep "
             "their indexes (default: INDEX/variants)",
    )


def plan_sets(args: argparse.Namespace) -> dict[str, PlannedSet]:
    """Return the sets to run, by name: the files named, else the suite's (those in --only).

    Raises ValueError for a malformed set, suite or unknown --only name.
    """
    specs = [set_from_path(f) for f in args.files] if args.files else load_suite(args.suite)
    if args.only:
        unknown = set(args.only) - {s.name for s in specs}
        if unknown:
            raise ValueError(f"--only names sets the suite lacks: {', '.join(sorted(unknown))}")
        specs = [s for s in specs if s.name in args.only]
    every = 1 if args.full else args.every
    if every is not None and every < 1:
        raise ValueError("--every takes a whole number of at least 1")
    out: dict[str, PlannedSet] = {}
    for spec in specs:
        name = spec.name if spec.name not in out else str(spec.questions)
        questions, total = spec.load(every)
        out[name] = PlannedSet(spec, questions, total, every or spec.every)
    return out


def _headline(summary: Mapping[str, object]) -> str:
    metrics = summary["metrics"]
    assert isinstance(metrics, dict)
    cols = ("hit@1", "hit@5", "key_fact_accuracy", "abstention_accuracy", "false_abstention",
            "citation_precision", "answer_words_mean", "answer_words_median", "latency_p50_ms")
    width = max([len(s) for s in metrics] + [8])
    lines = [f"{'set':>{width}} {'config':<14} " + " ".join(f"{c[:10]:>10}" for c in cols)]
    for set_name, configs in metrics.items():
        for config, m in configs.items():
            cells = (str(m[c]) if m[c] is not None else "-" for c in cols)
            lines.append(f"{set_name:>{width}} {config:<14} " + " ".join(f"{x:>10}" for x in cells))
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run `chatbot eval`; write results, summary and report; return the exit status.

    The status is 1 when a configuration failed (the others are still reported), else 0.
    """
    from chatbot.report import write_report

    try:
        old = read_summary(args.compare) if args.compare else None
        sets = plan_sets(args)
    except ValueError as exc:  # a malformed question set or summary: the message says what to fix
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configs = [CONFIGS[name] for name in dict.fromkeys(args.config or DEFAULT_CONFIGS)]
    cache = args.index_cache or settings.index / VARIANTS
    total = len(configs) * sum(len(p.questions) for p in sets.values())
    with tqdm(total=total, desc="Evaluating", unit="q") as bar:
        runs = [run_config(c, settings, sets, cache, bar) for c in configs]

    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "results.jsonl", "w", encoding="utf-8") as fh:
        for r in runs:
            for set_name, records in r.records.items():
                for rec in records:
                    line = {"set": set_name, "config": r.config.name} | rec
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    summary = build_summary(runs, sets, settings)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
    deltas = compare(old, summary) if old else None
    write_report(summary, {r.config.name: r.records for r in runs if not r.error}, args.out, deltas)

    out = sys.stdout
    out.write(_headline(summary) + "\n")
    for note in summary["notes"]:  # type: ignore[attr-defined]
        out.write(f"note: {note}\n")
    if deltas is not None:
        table = format_deltas(deltas) or "  no set and configuration in common to compare"
        out.write(f"\nCompared with {args.compare}:\n{table}\n")
    if args.record_floors:
        args.record_floors.parent.mkdir(parents=True, exist_ok=True)
        floors = floors_from(summary, args.floor_margin)
        args.record_floors.write_text(json.dumps(floors, indent=2) + "\n", "utf-8")
        out.write(f"Recorded floors in {args.record_floors} (measured values less {args.floor_margin}).\n")
    out.write(f"Report: {args.out / 'report.md'} and {args.out / 'report.html'}\n")
    failed = [r.config.name for r in runs if r.error]
    if failed:
        out.write(f"Failed configurations: {', '.join(failed)} (see the report).\n")
    return 1 if failed else 0
