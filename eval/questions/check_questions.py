#!/usr/bin/env python3
"""Validate the evaluation question sets (dev, zh, test and calib .jsonl) against the corpus.

Usage: python3 check_questions.py [CORPUS_DIR]

CORPUS_DIR defaults to <repo root>/corpus if it exists, else /work/shared/corpus.
Exits with status 1 if any problem is found.  Standard library only.
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))  # eval/questions -> repo root
KEY_ORDER = ["id", "question", "answerable", "keys", "sources", "kind", "history"]
KINDS = {"fact", "number", "person", "date", "comparison", "cross-doc",
         "conflict", "follow-up", "paraphrase", "unanswerable"}
# file name -> (id prefix, minimum count, minimum per kind)
SETS = {
    "dev.jsonl": ("dev", 90, {"follow-up": 8, "paraphrase": 10, "unanswerable": 18,
                              "conflict": 1, "cross-doc": 1, "comparison": 1}),
    "zh.jsonl": ("zh", 20, {"unanswerable": 5}),
    "test.jsonl": ("test", 50, {"follow-up": 5, "paraphrase": 6, "unanswerable": 12}),
    "calib.jsonl": ("calib", 60, {"follow-up": 4, "paraphrase": 6, "unanswerable": 30}),
}


def default_corpus():
    local = os.path.join(REPO_ROOT, "corpus")
    return local if os.path.isdir(local) else "/work/shared/corpus"


def load_corpus(folder):
    docs = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and name.endswith(".txt"):
            with open(path, encoding="utf-8", errors="replace") as f:
                docs[name] = f.read().casefold()
    return docs


def check_file(path, prefix, min_count, min_kinds, docs, problems):
    where = os.path.basename(path)
    if not os.path.isfile(path):
        problems.append(f"{where}: file missing")
        return Counter()
    kinds = Counter()
    seen = set()
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    n = 0
    for lineno, line in enumerate(lines, 1):
        loc = f"{where}:{lineno}"
        if not line.strip():
            problems.append(f"{loc}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{loc}: invalid JSON ({e})")
            continue
        n += 1
        if not isinstance(obj, dict):
            problems.append(f"{loc}: not a JSON object")
            continue
        missing = [k for k in KEY_ORDER if k not in obj]
        if missing:
            problems.append(f"{loc}: missing keys {missing}")
            continue
        if list(obj.keys()) != KEY_ORDER:
            problems.append(f"{loc}: keys not in order {KEY_ORDER} (got {list(obj.keys())})")
        qid = obj["id"]
        loc = f"{where}:{lineno} ({qid})"
        if not isinstance(qid, str) or not re.fullmatch(rf"{prefix}-\d{{3,}}", qid):
            problems.append(f"{loc}: id should look like {prefix}-001")
        if qid in seen:
            problems.append(f"{loc}: duplicate id")
        seen.add(qid)
        if not isinstance(obj["question"], str) or not obj["question"].strip():
            problems.append(f"{loc}: empty question")
        if not isinstance(obj["answerable"], bool):
            problems.append(f"{loc}: answerable must be a boolean")
        for field in ("keys", "sources", "history"):
            v = obj[field]
            if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
                problems.append(f"{loc}: {field} must be a list of non-empty strings")
        kind = obj["kind"]
        kinds[kind] += 1
        if kind not in KINDS:
            problems.append(f"{loc}: unknown kind {kind!r}")
        if obj["answerable"] is True:
            if kind == "unanswerable":
                problems.append(f"{loc}: kind 'unanswerable' but answerable is true")
            if not obj["keys"]:
                problems.append(f"{loc}: answerable question without keys")
            if not obj["sources"]:
                problems.append(f"{loc}: answerable question without sources")
            srcs = [s for s in obj["sources"] if isinstance(s, str)]
            for s in srcs:
                if s not in docs:
                    problems.append(f"{loc}: source {s!r} not found in corpus")
            texts = [docs[s] for s in srcs if s in docs]
            for key in obj["keys"]:
                if not isinstance(key, str):
                    continue
                if not any(key.casefold() in t for t in texts):
                    problems.append(f"{loc}: key {key!r} not found verbatim in sources {srcs}")
        elif obj["answerable"] is False:
            if kind != "unanswerable":
                problems.append(f"{loc}: answerable is false but kind is {kind!r}")
            if obj["keys"] or obj["sources"]:
                problems.append(f"{loc}: unanswerable question must have empty keys and sources")
        if kind == "follow-up" and not obj["history"]:
            problems.append(f"{loc}: follow-up without history")
        if kind != "follow-up" and obj["history"]:
            problems.append(f"{loc}: history given but kind is {kind!r}")
    if n < min_count:
        problems.append(f"{where}: only {n} questions (need at least {min_count})")
    for k, m in min_kinds.items():
        if kinds[k] < m:
            problems.append(f"{where}: only {kinds[k]} '{k}' questions (need at least {m})")
    return kinds


def main(argv):
    corpus = argv[1] if len(argv) > 1 else default_corpus()
    if not os.path.isdir(corpus):
        print(f"corpus folder not found: {corpus}")
        return 1
    docs = load_corpus(corpus)
    if not docs:
        print(f"no .txt documents in {corpus}")
        return 1
    problems = []
    for fname, (prefix, min_count, min_kinds) in SETS.items():
        kinds = check_file(os.path.join(HERE, fname), prefix, min_count, min_kinds, docs, problems)
        total = sum(kinds.values())
        print(f"{fname}: {total} questions; " +
              ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print(f"corpus: {corpus} ({len(docs)} documents)")
    for p in problems:
        print("PROBLEM:", p)
    if problems:
        print(f"{len(problems)} problem(s) found")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
