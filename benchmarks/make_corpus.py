"""Generate a larger corpus from the bundled documents, deterministically, for the index benchmarks.

Document i starts from bundled document i mod 5 and borrows two paragraphs from another bundled
document (chosen by the seeded generator), then varies the text so that no two documents share a
chunk, which would let the embedding cache skip work and flatter the build:
- the paragraphs are shuffled (the title line stays first);
- every number but a year is scaled by a factor between 0.5 and 1.5 drawn for that document;
- each paragraph opens with a tag naming the document ("Briefing 0042, part 3.").
The result reads like a set of similar briefings with different figures (about 8 passages each).

    .venv/bin/python benchmarks/make_corpus.py OUT_DIR [--docs 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "corpus"
NUMBER = re.compile(r"\d+(?:\.\d+)?")
YEAR = re.compile(r"(19|20)\d\d")
BORROWED_PARAGRAPHS = 2


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _scale_numbers(text: str, factor: float) -> str:
    def scaled(m: re.Match[str]) -> str:
        if YEAR.fullmatch(m.group()):
            return m.group()  # years stay, so the briefings still read as dated
        value = float(m.group()) * factor
        return f"{value:.1f}" if "." in m.group() else str(round(value))

    return NUMBER.sub(scaled, text)


def make_document(i: int, sources: list[list[str]], rng: random.Random) -> str:
    """Return the text of generated document `i` (see the module docstring for how)."""
    base = sources[i % len(sources)]
    other = sources[rng.randrange(len(sources))]
    body = base[1:] + rng.sample(other, min(BORROWED_PARAGRAPHS, len(other)))
    rng.shuffle(body)
    factor = rng.uniform(0.5, 1.5)
    tagged = [f"Briefing {i:04d}, part {n + 1}. {_scale_numbers(p, factor)}" for n, p in enumerate(body)]
    return "\n\n".join([f"{base[0]} (briefing {i:04d})", *tagged]) + "\n"


def make_corpus(out: Path, docs: int, seed: int = 7) -> Path:
    """Write `docs` generated documents into `out` (emptied first) and return it."""
    sources = [_paragraphs(p.read_text(encoding="utf-8")) for p in sorted(BUNDLED.glob("*.txt"))]
    rng = random.Random(seed)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for i in range(docs):
        (out / f"briefing_{i:04d}.txt").write_text(make_document(i, sources, rng), encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    make_corpus(args.out, args.docs, args.seed)
    print(f"Wrote {args.docs} documents to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
