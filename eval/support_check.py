"""Measure the LLM writer's support check on labelled answer sentences (eval/support/labelled.jsonl).

Usage: python eval/support_check.py [--out eval/reports/support.json]

Each line holds a passage, a sentence citing it, and whether the passage supports the sentence
(25 copies and paraphrases of what the passages say; 26 with a number or name changed, true of
another passage, or plausible but unsaid). Prints precision and recall of "supported" for a range
of cosine thresholds, with the number and name checks on, and which threshold keeps precision at
1.0 with the most recall: the value of settings.llm_support_min_cosine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatbot.embedding import make_encoder  # noqa: E402
from chatbot.rerankers.scoring import SentenceVectors  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402
from chatbot.types import Chunk, Hit  # noqa: E402
from chatbot.writers.support import Claim, SupportChecker  # noqa: E402

LABELLED = Path(__file__).parent / "support" / "labelled.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("eval/reports/support.json"))
    parser.add_argument("--embedder", choices=["minilm", "e5"], default="minilm")
    args = parser.parse_args()
    settings = load_settings(embedder=args.embedder)
    vectors = SentenceVectors(make_encoder(settings))
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Judge once with no cosine floor: the verdict's cosine then decides for every threshold.
    judged = []
    for r in rows:
        chunk = Chunk("p#0", r["doc_id"], "", None, r["passage"], 0, len(r["passage"]), "h")
        verdict = SupportChecker(vectors, -1.0).check(Claim(r["claim"], (1,)), [Hit(chunk, 1.0, 1)])
        judged.append((r, verdict))
    table = []
    for t in [x / 100 for x in range(30, 91, 5)]:
        kept = [(r, v) for r, v in judged if v.supported and v.cosine >= t]
        right = sum(r["supported"] for r, _ in kept)
        precision = right / len(kept) if kept else 1.0
        recall = right / sum(r["supported"] for r in rows)
        table.append({"threshold": t, "precision": round(precision, 3), "recall": round(recall, 3)})
        print(f"cosine >= {t:.2f}: precision {precision:.3f}, recall {recall:.3f}, kept {len(kept)}")
    exact = [row for row in table if row["precision"] == 1.0]
    # Ties go to the highest threshold: the widest margin from the unsupported sentences.
    best = max(exact, key=lambda row: (row["recall"], row["threshold"])) if exact else None
    wrong = [
        {"claim": r["claim"], "kind": r["kind"], "cosine": round(v.cosine, 3), "reason": v.reason}
        for r, v in judged
        if v.supported and not r["supported"]
    ]
    for w in wrong:
        print(f"unsupported, passes the word checks ({w['kind']}, cosine {w['cosine']}): {w['claim']}")
    if best:
        print(f"precision 1.0, most recall: cosine >= {best['threshold']:.2f} (recall {best['recall']})")
    else:
        print("no threshold reaches precision 1.0")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "embedder": args.embedder, "labelled": len(rows), "thresholds": table, "chosen": best,
        "wrongly_passing": wrong,
    }  # fmt: skip
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
