"""Check a written answer against the passages it cites, sentence by sentence.

A sentence is shown only if every [n] it carries names a passage of the prompt, every number and
capitalised name it states occurs in a passage it cites (or that passage's title and date), and
its embedding is close enough to a sentence of a cited passage (`llm_support_min_cosine`,
measured on eval/support/labelled.jsonl). The checks use the product's own encoder: no second model.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chatbot.rerankers.scoring import SentenceVectors
from chatbot.sentences import split_sentences
from chatbot.types import Hit

# One [n] or [n, m] marker group.
_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# A claim ends after terminal punctuation (and its closing quote and markers) followed by a space
# or the end; CJK terminals need no space.
_CLAIM_END = re.compile(
    r"(?:[.!?][\"”’)]*(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*(?=\s|$)|[。！？；](?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*)"
)
_NUMBER = re.compile(r"(?<![^\W\d_])\d(?:[\d,.]*\d)?")  # not inside a word ("a52c", but "5G" counts)
# Numbers written as words count as numbers: "five parks" is not "four industrial parks".
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_TENS = "thirty forty fifty sixty seventy eighty ninety"
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(_UNITS.split())} | {
    w: str(10 * i) for i, w in enumerate(_TENS.split(), 3)
}
_SCALE_WORDS = re.compile(r"\b(hundred|thousand|million|billion|trillion|dozen)s?\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+")
_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’&-]*")


@dataclass(frozen=True)
class Claim:
    """An answer sentence: its words without markers, and the passage numbers it cites."""

    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Verdict:
    """Whether a claim is supported; if so by which cited passage and sentence span, else why not."""

    claim: Claim
    supported: bool
    reason: str = ""
    cosine: float = 0.0  # with the closest sentence of any cited passage
    # For each cited passage (1-based in the prompt), the span of its sentence closest to the claim.
    spans: tuple[tuple[int, tuple[int, int]], ...] = ()


def split_claims(text: str, final: bool) -> tuple[list[Claim], str]:
    """Return the finished claims of `text` and what is left unfinished.

    A sentence without a marker joins the next one (an abbreviation's full stop, or two sentences
    cited together). Unless `final`, an ending at the very end of `text` does not count (more
    markers, or the rest of "3.5", may follow); with `final`, whatever is left is a last claim.
    """
    claims: list[Claim] = []
    start = 0
    pending = ""
    for m in _CLAIM_END.finditer(text):
        if not final and m.end() == len(text):
            break
        piece = pending + text[start : m.end()]
        start = m.end()
        cites = _cites(piece)
        if cites:
            claims.append(Claim(_words(piece), cites))
            pending = ""
        else:
            pending = piece
    rest = pending + text[start:]
    if final and rest.strip():
        claims.append(Claim(_words(rest), _cites(rest)))
        rest = ""
    return claims, rest


def _cites(text: str) -> tuple[int, ...]:
    found = [int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]
    return tuple(dict.fromkeys(found))


def _words(text: str) -> str:
    return " ".join(_MARKER.sub("", text).split())


def _dated(date: str | None) -> str:
    """Return a source's date as written in numbers and in words ("2018-08-03 August 3 2018"), so
    that a sentence may say "in August" of a source dated 2018-08-03."""
    if not date:
        return ""
    try:
        day = datetime.date.fromisoformat(date)
    except ValueError:
        return date  # a bare year, or a date in another form: as it is
    return f"{date} {day.strftime('%B')} {day.day} {day.year}"


def _numbers(text: str) -> set[str]:
    """Return the numbers `text` states: digits without thousands separators, number words as
    digits ("five" is "5"), and scale words ("millions" is "million")."""
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w.lower()] for w in _WORD.findall(text) if w.lower() in _NUMBER_WORDS}
    return found | {m.group(1).lower() for m in _SCALE_WORDS.finditer(text)}


class SupportChecker:
    """Judges claims against the passages of one prompt."""

    def __init__(self, vectors: SentenceVectors, min_cosine: float) -> None:
        self.vectors = vectors
        self.min_cosine = min_cosine

    def check(self, claim: Claim, passages: Sequence[Hit]) -> Verdict:
        """Return whether `claim` is supported by the passages it cites among `passages` ([1] first)."""
        if not claim.text:
            return Verdict(claim, False, "empty")
        if not claim.cites:
            return Verdict(claim, False, "cites no passage")
        if claim.text.rstrip("\"”’)").endswith(("?", "？")):
            return Verdict(claim, False, "a question, not a statement")  # a model echoing the question
        if any(not 1 <= n <= len(passages) for n in claim.cites):
            return Verdict(claim, False, "cites a passage that was not given")
        cited = [passages[n - 1].chunk for n in claim.cites]
        grounds = " ".join(f"{c.title} {_dated(c.date)} {c.text}" for c in cited)
        missing = _numbers(claim.text) - _numbers(grounds)
        if missing:
            return Verdict(claim, False, f"states {', '.join(sorted(missing))}, which the passage does not")
        lower = grounds.lower()
        # The first word is capitalised by grammar, not because it is a name.
        # A closing quote or a possessive is not part of the name ("'City with 100 Parks'", "Chongqing's").
        written = (m.group(0).rstrip("'’-&") for m in _NAME.finditer(claim.text) if m.start() > 0)
        names = [n for n in written if n and n != "I"]
        unnamed = [n for n in names if n.lower().removesuffix("'s").removesuffix("’s") not in lower]
        if unnamed:
            return Verdict(claim, False, f"names {', '.join(unnamed)}, which the passage does not")
        best = -1.0
        spans: list[tuple[int, tuple[int, int]]] = []
        claim_vector = self.vectors.get([claim.text])[0]
        for n, chunk in zip(claim.cites, cited, strict=True):
            found = [(s.start, s.end) for s in split_sentences(chunk.text)] or [(0, len(chunk.text))]
            cosines = self.vectors.get([chunk.text[a:b] for a, b in found]) @ claim_vector
            i = int(np.argmax(cosines))
            spans.append((n, found[i]))
            best = max(best, float(cosines[i]))
        if best < self.min_cosine:
            return Verdict(claim, False, f"too far from the passage (cosine {best:.2f})", best, tuple(spans))
        return Verdict(claim, True, "", best, tuple(spans))
