"""Question sets: the JSON Lines format `chatbot eval` reads, validated line by line."""

from __future__ import annotations

from pathlib import Path

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
