"""Comparing evaluation runs and holding metrics to recorded floors (the regression gate)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SUMMARY_FORMAT = 2
# Metrics where a smaller value is better; every other rate is better larger.
LOWER_IS_BETTER = frozenset({"false_abstention", "latency_p50_ms", "latency_p95_ms"})
# Metrics the regression gate holds to a floor (or, for LOWER_IS_BETTER ones, a ceiling).
# Latency is left out: timings on a shared machine are not a pass/fail matter (see benchmarks/).
GATED = (
    "hit@1", "hit@3", "hit@5", "mrr", "ndcg@5", "key_fact_accuracy", "abstention_accuracy",
    "false_abstention", "citation_support", "citation_precision", "markers_valid",
)
# Slack under a measured value when recording floors: 0.02 is 2-3 of dev's 126 answerable
# questions, so one borderline question flipping does not fail the gate but a real drop does.
FLOOR_MARGIN = 0.02
# Changes smaller than this (rates) or this share (latency) print as "=" in a comparison. Rates
# are rounded to 4 places. The latency share is a judgement, not a measurement: on the shared
# 2-core machine p50 moved far more than 15% between runs of the same code, so read latency
# deltas only between runs on a quiet machine.
SAME_RATE = 0.0005
SAME_LATENCY_SHARE = 0.15


@dataclass(frozen=True)
class Delta:
    """How one metric of one set × configuration moved between two runs."""

    set: str
    config: str
    metric: str
    old: float
    new: float

    @property
    def is_latency(self) -> bool:
        """Return whether the metric is a latency (milliseconds) rather than a rate."""
        return self.metric.startswith("latency")

    @property
    def diff_text(self) -> str:
        """Return the signed change as text: milliseconds to 0.1 for latency, else 4 places."""
        diff = self.new - self.old
        return f"{diff:+.1f}" if self.is_latency else f"{diff:+.4f}"

    @property
    def change(self) -> str:
        """Return "better", "worse" or "same" (within the noise allowed for the metric)."""
        diff = self.new - self.old
        if self.is_latency:
            same = abs(diff) <= SAME_LATENCY_SHARE * max(self.old, 1e-9)
        else:
            same = abs(diff) < SAME_RATE
        if same:
            return "same"
        return "better" if (diff < 0) == (self.metric in LOWER_IS_BETTER) else "worse"

    @property
    def arrow(self) -> str:
        return {"better": "▲", "worse": "▼", "same": "="}[self.change]


def read_summary(path: Path) -> dict[str, object]:
    """Return a summary.json written by `chatbot eval`; raises ValueError for anything else."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"No summary at {path}: give the summary.json of an earlier run.") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON ({exc}); give the summary.json of an earlier run.") from exc
    if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT or "metrics" not in data:
        raise ValueError(
            f"{path} is not a summary written by this version of `chatbot eval`; run the old "
            "version's evaluation again with this one to compare."
        )
    return data


def compare(old: Mapping[str, object], new: Mapping[str, object]) -> list[Delta]:
    """Return the per-metric changes for every set × configuration present in both summaries."""
    out = []
    old_m, new_m = old["metrics"], new["metrics"]
    assert isinstance(old_m, dict) and isinstance(new_m, dict)
    for set_name, configs in new_m.items():
        for config, metrics in configs.items():
            before = old_m.get(set_name, {}).get(config)
            if not before:
                continue
            for metric, value in metrics.items():
                if before.get(metric) is None or value is None:
                    continue
                d = Delta(set_name, config, metric, float(before[metric]), float(value))
                if metric in GATED or d.is_latency:
                    out.append(d)
    return out


def changed_first(deltas: Sequence[Delta]) -> tuple[list[Delta], int]:
    """Return the deltas that moved, worse ones first, and how many stayed the same."""
    order = {"worse": 0, "better": 1}
    moved = [d for d in deltas if d.change != "same"]
    same = sum(1 for d in deltas if d.change == "same")
    return sorted(moved, key=lambda d: order[d.change]), same


def format_deltas(deltas: Sequence[Delta]) -> str:
    """Return the metrics that moved as aligned text lines, worse ones first and marked."""
    moved, same = changed_first(deltas)
    lines = [f"  {same} metric(s) unchanged" + (", all others:" if moved else ".")] if deltas else []
    for d in moved:
        flag = "  <-- worse" if d.change == "worse" else ""
        lines.append(
            f"{d.set:>8} {d.config:<14} {d.metric:<20} {d.old:>9.4g} -> {d.new:<9.4g} "
            f"{d.diff_text:>9} {d.arrow}{flag}"
        )
    return "\n".join(lines)


def floors_from(summary: Mapping[str, object], margin: float) -> dict[str, object]:
    """Return a floors file: per set and configuration, the measured gated metrics less `margin`
    (or plus it, as a ceiling, for those where lower is better)."""
    metrics = summary["metrics"]
    assert isinstance(metrics, dict)
    out: dict[str, object] = {
        "recorded": summary["created"],
        "margin": margin,
        "how": "chatbot eval --record-floors eval/floors.json (the sets of eval/suite.toml)",
        "sets": {},
    }
    for set_name, configs in metrics.items():
        about = summary.get("sets", {}).get(set_name, {})  # type: ignore[attr-defined]
        out["sets"][set_name] = {  # type: ignore[index]
            config: {
                "corpus": about.get("corpus"),
                "every": about.get("every", 1),
                "questions": about.get("questions"),
                "min": {
                    k: round(max(0.0, m[k] - margin), 4)
                    for k in GATED if k not in LOWER_IS_BETTER and m[k] is not None
                },
                "max": {
                    k: round(min(1.0, m[k] + margin), 4)
                    for k in GATED if k in LOWER_IS_BETTER and m[k] is not None
                },
                "measured": {k: m[k] for k in GATED},
                "settings": summary["configs"][config]["settings"],  # type: ignore[index]
            }
            for config, m in configs.items()
        }
    return out


def check_floors(
    metrics: Mapping[str, float | int | None], floors: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """Return one message per metric below its floor or above its ceiling (empty when all pass)."""
    out = []
    for k, floor in floors.get("min", {}).items():
        value = metrics.get(k)
        if value is None or value < floor:
            out.append(f"{k} = {value} fell below its floor {floor}")
    for k, ceiling in floors.get("max", {}).items():
        value = metrics.get(k)
        if value is None or value > ceiling:
            out.append(f"{k} = {value} rose above its ceiling {ceiling}")
    return out
