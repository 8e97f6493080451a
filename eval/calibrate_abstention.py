"""Fit the abstention weights (settings.abstain_*) by logistic regression on a question set.

Usage: python eval/calibrate_abstention.py [QUESTIONS.jsonl ...] [--max-false 0.05] [--check HELD_OUT.jsonl]
       python eval/calibrate_abstention.py --results eval/reports/suite/results.jsonl [--max-false 0.10]

Answers every question with the running settings, takes the features of the sentence whose confidence
decides abstention (`answer.judged_sentence`), fits answerable-vs-unanswerable with class-balanced logistic
regression, and prints the weights scaled so that the passage's term coverage ("context") weighs
1, with abstention and false-abstention rates in-sample, leave-one-out and over random split
halves. The threshold printed is the highest with false abstention <= --max-false in-sample.
Several question files are fitted together (default: dev.jsonl); `--check` scores a held-out file
with the fitted weights and threshold, without fitting on it.

With --results (a `chatbot eval` results file, which records each judged sentence's features), the
fit is across corpora: the suite's sets are grouped by the corpus they are asked over (the bundled
corpus, squad5, cmrc15), each (corpus, answerable or not) cell weighs the same, and every corpus in
turn is held out: the weights and threshold fitted on the others are scored on it
(leave-one-corpus-out), beside the running settings' rule. Questions in another language than
their judged sentence are left out: the cosine rule (abstain_cosine_below) decides those.
Offline only: scikit-learn is a development tool here, never imported by the chatbot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import chatbot.pipeline as pipeline  # noqa: E402
from chatbot.query import language_of  # noqa: E402
from chatbot.questions import load_questions, load_suite  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402

# (feature, sign in the confidence): weights are added, penalties subtracted.
FEATURES = (
    ("context", "abstain_weight_context", 1),
    ("coverage", "abstain_weight_coverage", 1),
    ("cosine", "abstain_weight_cosine", 1),
    ("numbers_missing", "abstain_penalty_number", -1),
    ("untyped", "abstain_penalty_type", -1),
    ("focus_missing", "abstain_penalty_focus", -1),
)


def collect(bot: pipeline.Chatbot, paths: list[Path]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return the best-sentence features, answerable flags and ids of the questions in `paths`."""
    rows, answerable, ids = [], [], []
    for q in [q for path in paths for q in load_questions(path)]:
        best = bot.ask(q.question, q.history).judged  # the sentence abstention judged
        if best is None:
            continue
        rows.append([float(getattr(best, name)) for name, _, _ in FEATURES])
        answerable.append(q.answerable)
        ids.append(q.id)
    return np.array(rows), np.array(answerable), ids


def fit(x: np.ndarray, y: np.ndarray, c: float, weight: np.ndarray | None = None) -> LogisticRegression:
    balance = None if weight is not None else "balanced"
    return LogisticRegression(C=c, class_weight=balance, max_iter=10_000).fit(x, y, sample_weight=weight)


Corpora = dict[str, tuple[np.ndarray, np.ndarray]]


def from_results(path: Path, suite: Path) -> Corpora:
    """Return the judged features and answerable flags of a results file's default configuration,
    grouped by the corpus each set is asked over (sets without a corpus of their own: "bundled")."""
    corpus_of = {s.name: s.corpus.parent.name if s.corpus else "bundled" for s in load_suite(suite)}
    rows: dict[str, tuple[list[list[float]], list[bool]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        judged = r.get("judged")
        if r["config"] != "default" or judged is None or judged["language"] != language_of(r["question"]):
            continue
        x, y = rows.setdefault(corpus_of.get(r["set"], r["set"]), ([], []))
        x.append([float(judged[name]) for name, _, _ in FEATURES])
        y.append(bool(r["answerable"]))
    return {c: (np.array(x), np.array(y)) for c, (x, y) in rows.items()}


def cell_weights(groups: list[np.ndarray]) -> np.ndarray:
    """Return sample weights giving each (corpus, answerable or not) cell the same total weight."""
    out = []
    for y in groups:
        w = np.zeros(len(y))
        for flag in (True, False):
            w[y == flag] = 1.0 / max(1, int((y == flag).sum()))
        out.append(w)
    return np.concatenate(out) * len(np.concatenate(groups)) / (2 * len(groups))


def mean_false(scores: list[np.ndarray], ys: list[np.ndarray], t: float) -> float:
    return float(np.mean([(s[y] < t).mean() for s, y in zip(scores, ys, strict=True) if y.any()]))


def pooled_threshold(scores: list[np.ndarray], ys: list[np.ndarray], max_false: float) -> float:
    """Return the highest threshold whose false abstention, averaged over the corpora, is at most
    `max_false`."""
    candidates = np.unique(np.concatenate(scores))
    allowed = [t for t in candidates if mean_false(scores, ys, t) <= max_false]
    return float(max(allowed)) if allowed else float(candidates.min())


def running_rule() -> tuple[np.ndarray, float]:
    """Return the running settings' weights (signed, in FEATURES order) and abstain_below."""
    s = load_settings()
    return np.array([sign * getattr(s, setting) for _, setting, sign in FEATURES]), s.abstain_below


def _share(mask: np.ndarray, flags: np.ndarray) -> str:
    return f"{mask[flags].mean():.3f}" if flags.any() else "—"


def leave_one_corpus_out(corpora: Corpora, max_false: float, c: float) -> None:
    """Print, per corpus held out, the rule fitted on the others against the running one, then
    the weights fitted on all corpora."""
    weights, below = running_rule()
    print(
        "| held out | questions (unanswerable) | fitted on | abstention | false abstention | "
        "running rule: abstention | false abstention |"
    )
    print("|---|---|---|---|---|---|---|")
    for held in corpora:
        train = [k for k in corpora if k != held]
        xs, ys = [corpora[k][0] for k in train], [corpora[k][1] for k in train]
        model = fit(np.vstack(xs), np.concatenate(ys), c, cell_weights(ys))
        t = pooled_threshold([model.decision_function(x) for x in xs], ys, max_false)
        hx, hy = corpora[held]
        fitted = model.decision_function(hx) < t
        running = hx @ weights < below
        print(
            f"| {held} | {len(hy)} ({int((~hy).sum())}) | {' + '.join(train)} | {_share(fitted, ~hy)} | "
            f"{_share(fitted, hy)} | {_share(running, ~hy)} | {_share(running, hy)} |"
        )
    xs, ys = [x for x, _ in corpora.values()], [y for _, y in corpora.values()]
    model = fit(np.vstack(xs), np.concatenate(ys), c, cell_weights(ys))
    coef, scale = model.coef_[0], model.coef_[0][0]
    t = pooled_threshold([model.decision_function(x) for x in xs], ys, max_false)
    print(f"\nFitted on all of {' + '.join(corpora)} (mean false abstention <= {max_false}):")
    for (name, setting, sign), w in zip(FEATURES, coef, strict=True):
        print(f"  {setting} = {max(0.0, sign * w / scale):.3f}   # raw coefficient of {name}: {w:+.3f}")
    print(f"  abstain_below = {(t - model.intercept_[0]) / scale:.3f}")


def threshold(scores: np.ndarray, y: np.ndarray, max_false: float) -> float:
    """Return the highest threshold whose false abstention on `scores` is at most `max_false`."""
    allowed = [t for t in np.unique(scores) if (scores[y] < t).mean() <= max_false]
    return float(max(allowed)) if allowed else float(scores.min())


def misjudged(ids: list[str], scores: np.ndarray, y: np.ndarray, t: float) -> str:
    """Return the ids of the questions judged wrongly at threshold `t`."""
    return " ".join(i for i, s, a in zip(ids, scores, y, strict=True) if (s < t) == a)


def rates(scores: np.ndarray, y: np.ndarray, threshold: float) -> str:
    abstain = scores < threshold
    return f"abstention {abstain[~y].mean():.3f}, false abstention {abstain[y].mean():.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, default=[Path("eval/questions/dev.jsonl")])
    parser.add_argument("--max-false", type=float, default=0.05)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--check", type=Path, help="a held-out question file to score, not fitted on")
    parser.add_argument(
        "--results", type=Path, help="fit across the corpora of a `chatbot eval` results file"
    )
    parser.add_argument("--suite", type=Path, default=Path("eval/suite.toml"))
    args = parser.parse_args()
    if args.results:
        leave_one_corpus_out(from_results(args.results, args.suite), args.max_false, args.c)
        return
    if args.check and args.check.resolve() in {p.resolve() for p in args.questions}:
        parser.error(f"{args.check} is among the fitted files: a held-out check must not be fitted on")
    bot = pipeline.Chatbot(load_settings())
    x, y, ids = collect(bot, args.questions)
    model = fit(x, y, args.c)
    coef, intercept = model.coef_[0], model.intercept_[0]
    scale = coef[0]
    print(f"{len(y)} questions, {int((~y).sum())} unanswerable")
    for (name, setting, sign), w in zip(FEATURES, coef, strict=True):
        print(f"  {setting} = {max(0.0, sign * w / scale):.3f}   # raw coefficient of {name}: {w:+.3f}")
    insample = x @ (coef / scale)
    held_out = [fit(np.delete(x, i, 0), np.delete(y, i), args.c) for i in range(len(y))]
    loo = np.array([m.decision_function(x[i : i + 1])[0] for i, m in enumerate(held_out)])
    best = threshold(insample, y, args.max_false)
    print(f"  abstain_below = {best:.3f}   # highest with in-sample false abstention <= {args.max_false}")
    print(f"in-sample at {best:.3f}: {rates(insample, y, best)}")
    # The same threshold in decision-function units, for the held-out scores.
    print(f"leave-one-out:     {rates(loo, y, best * scale + intercept)}")
    halves = []
    rng = np.random.default_rng(0)
    for _ in range(20):
        train = rng.permutation(len(y)) < len(y) // 2
        m = fit(x[train], y[train], args.c)
        s = m.decision_function(x)
        t = threshold(s[train], y[train], args.max_false)
        test = ~train
        halves.append(((s[test][~y[test]] < t).mean(), (s[test][y[test]] < t).mean()))
    h = np.array(halves)
    print(
        f"split halves (20, threshold fitted on the train half): abstention {h[:, 0].mean():.3f} "
        f"± {h[:, 0].std():.3f}, false abstention {h[:, 1].mean():.3f} ± {h[:, 1].std():.3f}"
    )
    print("misjudged in-sample:", misjudged(ids, insample, y, best))
    if args.check:
        hx, hy, hids = collect(bot, [args.check])
        scores = hx @ (coef / scale)
        print(f"held out ({args.check.name}, {len(hy)} questions) at {best:.3f}: {rates(scores, hy, best)}")
        print("misjudged held out:", misjudged(hids, scores, hy, best))


if __name__ == "__main__":
    main()
