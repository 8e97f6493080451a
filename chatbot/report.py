"""Write an evaluation run as a report: Markdown and self-contained HTML, with matplotlib plots."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.regression import GATED, SAME_LATENCY_SHARE, Delta, changed_first

# Per-question records (as in results.jsonl) by configuration, then question set.
Records = Mapping[str, Mapping[str, Sequence[Mapping]]]

# The bars and tables show the gated metrics, in this order; counts and latency have their own places.
TABLE = (*GATED, "answer_words_mean", "answer_words_median", "latency_p50_ms", "latency_p95_ms")
# The side-by-side table of every set: what a change must not lose anywhere.
SIDE_BY_SIDE = (
    "hit@1", "hit@5", "key_fact_accuracy", "abstention_accuracy", "false_abstention",
    "citation_support", "citation_precision", "answer_words_mean", "answer_words_median", "fell_back",
    "latency_p50_ms",
)
# Long answers and questions are cut in the failure table so it stays readable.
CELL_CHARS = 220
PLOT_DPI = 110

DEFINITIONS = (
    ("hit@k", "share of answerable questions with a relevant passage among the first k retrieved. "
     "A passage is relevant when it comes from one of the question's `sources` documents, or, for a "
     "question without sources, when it contains one of its `keys`."),
    ("MRR", "mean over answerable questions of 1 / rank of the first relevant passage (0 when none "
     "is retrieved)."),
    ("nDCG@5", "binary-relevance nDCG of the top 5: DCG = Σ rel_i / log2(i + 1), divided by the DCG "
     "of an ideal ranking that puts min(5, R) relevant passages first, R being the relevant passages "
     "in the whole index; mean over answerable questions."),
    ("key-fact accuracy", "share of answerable questions answered (not abstained) with an answer "
     "that contains one of the keys, its source list ([n] markers, date notes) not counted, after "
     "SQuAD-style normalisation (lower case, punctuation and the articles a/an/the removed); a key "
     "in Chinese is compared with every space and punctuation mark removed."),
    ("answer words", "mean and median length of the answers to answerable questions that were "
     "answered, in words, the source list not counted; Chinese text counts jieba's words."),
    ("abstention accuracy", "share of unanswerable questions where the chatbot said the documents "
     "don't say."),
    ("false abstention", "share of answerable questions where it abstained (lower is better)."),
    ("citation support", "share of answered answerable questions whose cited passages contain a key "
     "(ALCE's citation recall, judged by the keys)."),
    ("citation precision", "share of [n] markers in answered answers whose passage contains the "
     "claim the marker closes (the answers are extractive), or shares a key with a reworded claim "
     "(ALCE's citation precision)."),
    ("fell back", "share of answers the chosen writer could not give (an LLM that failed, timed out "
     "or wrote nothing the passages support), so that the extractive answer was shown instead."),
    ("markers valid", "share of answers in which every [n] marker points to a listed citation."),
    ("latency p50 / p95", "median and 95th-percentile seconds per question (shown in ms), measured "
     "around `Chatbot.ask` after one untimed warm-up question per configuration (which loads the "
     "models); comparable within a run, noisy across machines. A rate with nothing to judge "
     "(e.g. no citations at all) shows as —."),
)


@dataclass(frozen=True)
class Table:
    """A table block; cells are plain text."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Image:
    path: str  # relative to the report folder
    alt: str


Block = Table | Heading | Para | Image


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.0f}"
    return str(value)


def _fmt_metric(metric: str, value: object) -> str:
    """Return a metric's cell: rates to 3 places, word counts and milliseconds as measured."""
    if metric.startswith(("latency", "answer_words")) and isinstance(value, float):
        return f"{value:g}"
    return _fmt(value)


def _cut(text: str, n: int = CELL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _configs_with(records: Records, set_name: str) -> list[str]:
    """Return the configurations that have records for `set_name`, in run order."""
    return [c for c in records if records[c].get(set_name)]


# --- plots -----------------------------------------------------------------------------------------


def _save(plt: Any, fig: Any, path: Path, title: str) -> Image:
    """Write `fig` to `path`, free it, and return its image block."""
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    plt.close(fig)
    return Image(path.name, title)


def _plots(summary: Mapping, records: Records, out: Path) -> list[Image]:
    """Draw the metric bars, latency distribution and hit@k curves; return them as image blocks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics, curves = summary["metrics"], summary["hit_curves"]
    sets = [s for s in metrics if metrics[s]]
    if not sets:
        return []
    images = []

    fig, axes = plt.subplots(len(sets), 1, figsize=(12, 3.6 * len(sets)), squeeze=False)
    for ax, s in zip(axes[:, 0], sets, strict=True):
        configs = list(metrics[s])
        width = 0.8 / len(configs)
        for i, c in enumerate(configs):
            xs = [j + (i - (len(configs) - 1) / 2) * width for j in range(len(GATED))]
            ax.bar(xs, [metrics[s][c][m] or 0.0 for m in GATED], width, label=c)
        ax.set_xticks(range(len(GATED)), GATED, rotation=25, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{s}: metrics per configuration (false_abstention: lower is better)", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    images.append(_save(plt, fig, out / "metrics.png", "Metrics per configuration"))

    fig, axes = plt.subplots(1, len(sets), figsize=(5.5 * len(sets), 3.8), squeeze=False)
    for ax, s in zip(axes[0], sets, strict=True):
        configs = _configs_with(records, s)
        ax.boxplot([[rec["seconds"] * 1000 for rec in records[c][s]] for c in configs], showfliers=True)
        ax.set_xticks(range(1, len(configs) + 1), configs, rotation=25, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("ms per question")
        ax.set_title(f"{s}: latency per question", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    images.append(_save(plt, fig, out / "latency.png", "Latency distribution"))

    fig, axes = plt.subplots(1, len(sets), figsize=(5.5 * len(sets), 3.8), squeeze=False)
    for ax, s in zip(axes[0], sets, strict=True):
        for c, ys in curves[s].items():
            ax.plot(range(1, len(ys) + 1), [y or 0.0 for y in ys], marker="o", label=c)
        ax.set_xlabel("k (passages retrieved)")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("hit@k")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{s}: hit@k", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    images.append(_save(plt, fig, out / "hit_curve.png", "hit@k curve"))
    return images


# --- content -------------------------------------------------------------------------------------


def _config_table(summary: Mapping) -> Table:
    rows = []
    for name, c in summary["configs"].items():
        s = c["settings"]
        setting = ", ".join(f"{k}={v}" for k, v in s.items()) if s else ""
        idx = c["index"]
        index = f"{idx['spec']}; version {idx['version']}, {idx['passages']} passages" if idx else ""
        status = f"FAILED: {c['error']}" if c["error"] else "ok"
        rows.append([name, c["description"], setting, index, status])
    return Table(["config", "what", "settings", "index (model, chunking, version)", "status"], rows)


def _side_by_side(summary: Mapping) -> list[Block]:
    """Return one table per configuration with every set as a row (corpus and sampling named)."""
    sets, metrics = summary["sets"], summary["metrics"]
    configs = list(dict.fromkeys(c for m in metrics.values() for c in m))
    blocks: list[Block] = []
    for config in configs:
        rows = []
        for name, info in sets.items():
            m = metrics.get(name, {}).get(config)
            if m is None:
                continue
            asked = f"{info['questions']} of {info.get('of', info['questions'])}"
            rows.append([name, info.get("corpus", summary["corpus"]), asked,
                         *(_fmt_metric(k, m[k]) for k in SIDE_BY_SIDE)])
        if rows:
            blocks += [Para(f"Configuration `{config}`:"),
                       Table(["set", "corpus", "questions asked", *SIDE_BY_SIDE], rows)]
    return blocks


def _metric_table(metrics: Mapping) -> Table:
    rows = [[c, *(_fmt_metric(k, m.get(k)) for k in TABLE)] for c, m in metrics.items()]
    return Table(["config", *TABLE], rows)


def _kind_table(records: Records, set_name: str) -> Table | None:
    configs = _configs_with(records, set_name)
    if not configs:
        return None
    first = records[configs[0]][set_name]
    rows = []
    for kind in sorted({rec["kind"] or "-" for rec in first}):
        row: list[object] = [kind, sum(1 for rec in first if (rec["kind"] or "-") == kind)]
        for c in configs:
            got = [rec["verdict"]["correct"] for rec in records[c][set_name] if (rec["kind"] or "-") == kind]
            row.append(_fmt(sum(got) / len(got)) if got else "")
        rows.append(row)
    return Table(["kind", "questions", *configs], rows)


def _short_hit(rank: int, hit: str) -> str:
    """Return "rank:doc✓*" from a record's "doc_id@start score RK" string."""
    doc_id, _, rest = hit.partition("@")
    flags = rest.split(" ")[-1] if rest.count(" ") else ""
    return f"{rank}:{doc_id[:3]}{'✓' if 'R' in flags else ''}{'*' if 'K' in flags else ''}"


def _failures(records: Records, set_name: str) -> Table | None:
    configs = _configs_with(records, set_name)
    if not configs:
        return None
    wrong = {c: {rec["id"] for rec in records[c][set_name] if not rec["verdict"]["correct"]} for c in configs}
    rows = []
    for rec in records[configs[0]][set_name]:
        verdict = rec["verdict"]
        if verdict["correct"]:
            continue
        keys = " / ".join(rec["keys"]) or "(unanswerable)"
        retrieved = ", ".join(_short_hit(i, h) for i, h in enumerate(rec["retrieved"], 1))
        rows.append([
            rec["id"], rec["kind"], _cut(rec["question"]), _cut(keys, 80), retrieved, _cut(rec["answer"]),
            "; ".join(verdict["problems"]), ", ".join(c for c in configs[1:] if rec["id"] in wrong[c]) or "—",
        ])
    return Table(["id", "kind", "question", "expected keys", "retrieved", "answered", "problems",
                  "also failed by"], rows)


def _comparison(deltas: Sequence[Delta]) -> Table:
    rows = [
        [d.set, d.config, d.metric, _fmt(d.old), _fmt(d.new), d.diff_text, f"{d.arrow} {d.change}"]
        for d in changed_first(deltas)[0]
    ]
    return Table(["set", "config", "metric", "before", "now", "±", "change"], rows)


def build_blocks(
    summary: Mapping, records: Records, images: Sequence[Image], deltas: Sequence[Delta] | None
) -> list[Block]:
    """Return the report's content, top to bottom, independent of the output format."""
    sets = summary["sets"]
    blocks: list[Block] = [
        Heading("Evaluation report", 1),
        Para(f"Run {summary['created']}; running corpus `{summary['corpus']}`; question sets: "
             + ", ".join(f"{n}: `{s['file']}` over `{s.get('corpus', summary['corpus'])}` "
                         f"({s['questions']} questions, {s.get('sampling', 'every question')})"
                         for n, s in sets.items()) + "."),
        Heading("All sets side by side"),
        Para("A change is kept only if it loses on no set: each corpus has its own floors "
             "(eval/floors.json)."),
        *_side_by_side(summary),
        Heading("Configurations"),
        Para("The running settings (configuration `default`): "
             + ", ".join(f"{k}={v}" for k, v in summary.get("default_settings", {}).items())
             + ". Configurations are defined in `chatbot/configs.py`."),
        _config_table(summary),
    ]
    blocks += [Para(f"Note: {n}") for n in summary["notes"]]
    if deltas is not None:
        worse = [d for d in deltas if d.change == "worse"]
        blocks += [
            Heading("Change since the previous run"),
            Para(f"Compared with the previous run's summary: {len(worse)} metric(s) got worse (▼), "
                 f"{sum(d.change == 'better' for d in deltas)} better (▲), "
                 f"{sum(d.change == 'same' for d in deltas)} unchanged (not listed). Latency counts as "
                 f"unchanged within the noise of a shared machine (±{SAME_LATENCY_SHARE:.0%})."),
            _comparison(deltas),
        ]
    for name in sets:
        if summary["metrics"].get(name):
            blocks += [Heading(f"Results on {name}"), _metric_table(summary["metrics"][name])]
            kinds = _kind_table(records, name)
            if kinds:
                blocks += [Para("Share of questions answered correctly, by kind of question:"), kinds]
    blocks += [Heading("Plots"), *images]
    for name in sets:
        table = _failures(records, name)
        if table is not None:
            first = _configs_with(records, name)[0]
            blocks += [
                Heading(f"Failures on {name} ({first})"),
                Para(f"{len(table.rows)} question(s) answered wrongly by `{first}`. Retrieved: rank:document "
                     "(first 3 characters of its id), ✓ relevant, * contains a key."),
                table,
            ]
    blocks += [Heading("Metric definitions"), Table(["metric", "definition"], [list(d) for d in DEFINITIONS])]
    return blocks


# --- rendering -----------------------------------------------------------------------------------


def to_markdown(blocks: Sequence[Block]) -> str:
    """Return the blocks as GitHub-flavoured Markdown."""
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + b.text)
        elif isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, Image):
            out.append(f"![{b.alt}]({b.path})")
        else:
            def cell(x: object) -> str:
                return str(x).replace("|", "\\|").replace("\n", " ")

            lines = ["| " + " | ".join(b.headers) + " |", "|" + "---|" * len(b.headers)]
            lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;
vertical-align:top;text-align:left}th{background:#f3f3f3}img{max-width:100%}code{background:#f3f3f3}"""


def _inline(text: str) -> str:
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def to_html(blocks: Sequence[Block], folder: Path) -> str:
    """Return the blocks as one self-contained HTML page (images embedded as data URIs)."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>Evaluation report</title>"
           f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{_inline(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Image):
            data = base64.b64encode((folder / b.path).read_bytes()).decode()
            out.append(f"<p><img alt='{html.escape(b.alt)}' src='data:image/png;base64,{data}'></p>")
        else:
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in r) + "</tr>" for r in b.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(
    summary: Mapping, records: Records, out: Path, deltas: Sequence[Delta] | None = None
) -> Path:
    """Write report.md, report.html and the PNG plots into `out`; return the Markdown report's path.

    Everything comes from the summary and the per-question records, so a report can be drawn
    again from a run's summary.json and results.jsonl.
    """
    out.mkdir(parents=True, exist_ok=True)
    blocks = build_blocks(summary, records, _plots(summary, records, out), deltas)
    (out / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
    (out / "report.html").write_text(to_html(blocks, out), encoding="utf-8")
    return out / "report.md"
