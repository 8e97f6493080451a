"""Question sets: the JSON Lines format `chatbot eval` reads, validated line by line, and suites
of sets, each asked over its own corpus."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel


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
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f"No question set at {path}: give the path of a .jsonl file.") from None
    out = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                out.append(Question.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not a valid question ({exc})") from exc
    if not out:
        raise ValueError(f"{path} holds no questions: write one JSON object per line.")
    return out


# --- suites: question sets with the corpus each is asked over -------------------------------------

Relevance = Literal["sources", "keys"]


@dataclass(frozen=True)
class EvalSet:
    """A question set as `chatbot eval` runs it: over the bundled corpus (`corpus` None) or over
    a corpus of its own, every `every`-th question (1: all), with passages judged relevant by
    their source documents (`sources`) or by holding a key (`keys`: for corpora of a few long
    documents, where every passage of the right document would count)."""

    name: str
    questions: Path
    corpus: Path | None = None
    every: int = 1
    relevance: Relevance = "sources"

    def load(self, every: int | None = None) -> tuple[list[Question], int]:
        """Return the questions asked (every `every`-th, this set's own step when None) and the
        number in the whole set."""
        questions = load_questions(self.questions)
        step = every or self.every
        chosen = questions[::step]
        if self.relevance == "keys":
            chosen = [q.model_copy(update={"sources": []}) for q in chosen]
        return chosen, len(questions)

    def describe(self, every: int | None = None) -> str:
        """Return how the set is sampled, in words ("every 4th question")."""
        step = every or self.every
        return "every question" if step == 1 else f"every {_ordinal(step)} question"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def load_suite(path: Path) -> list[EvalSet]:
    """Return the sets of a suite file (TOML, paths relative to its folder); raises ValueError
    naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"No suite at {path}: give a TOML file of [[set]] tables.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML ({exc})") from exc
    out = []
    for n, entry in enumerate(data.get("set", []), 1):
        try:
            corpus = entry.get("corpus")
            out.append(
                EvalSet(
                    name=str(entry["name"]),
                    questions=path.parent / entry["questions"],
                    corpus=path.parent / corpus if corpus else None,
                    every=int(entry.get("every", 1)),
                    relevance=entry.get("relevance", "sources"),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: set {n} needs a name and questions ({exc!r})") from exc
        if out[-1].every < 1 or out[-1].relevance not in ("sources", "keys"):
            raise ValueError(f"{path}: set {out[-1].name!r} has a bad `every` or `relevance`")
    if not out:
        raise ValueError(f"{path} names no question sets: add [[set]] tables.")
    return out


def set_from_path(path: Path) -> EvalSet:
    """Return the set a command-line path names: a .jsonl file over the running corpus, or a
    folder holding `questions.jsonl` and its own `corpus/` (laid out as eval/data/squad5)."""
    if path.is_dir():
        if not (path / "questions.jsonl").is_file() or not (path / "corpus").is_dir():
            raise ValueError(f"{path} is a folder without questions.jsonl and corpus/: give a .jsonl file "
                             "or a folder laid out as eval/data/squad5.")
        return EvalSet(path.name, path / "questions.jsonl", path / "corpus", relevance="keys")
    return EvalSet(path.stem, path)
