"""Spot sources that give different values for the same measure (e.g. an area in km²)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chatbot.lexical import term_set
from chatbot.types import ScoredSentence

# A number followed by a unit; units that mean the same thing share one canonical name.
_UNITS = {
    "km²": r"square\s+kilomet(?:er|re)s?|sq\.?\s*km|km²|km2",
    "m²": r"square\s+met(?:er|re)s?|m²|sqm",
    "%": r"percent|per\s+cent|%",
    "km": r"kilomet(?:er|re)s?|km(?![²2])",
    "hectares": r"hectares?",
    "mu": r"\bmu\b",
}
_QUANTITY = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?:-\s*)?("
    + "|".join(f"(?:{p})" for p in _UNITS.values())
    + r")",
    re.IGNORECASE,
)
_UNIT_RES = {name: re.compile(rf"^(?:{p})$", re.IGNORECASE) for name, p in _UNITS.items()}
# Words of a question that ask about what a unit measures ("How large is ..." asks for an area).
_UNIT_TOPICS = {
    "km²": {"large", "big", "area", "size", "cover", "covers", "square", "kilometres", "kilometers", "km"},
    "m²": {"large", "big", "area", "size", "square", "metres", "meters"},
    "%": {"share", "percent", "percentage", "proportion", "portion"},
    "km": {"long", "far", "distance", "length", "kilometres", "kilometers"},
    "hectares": {"large", "big", "area", "size", "hectares"},
    "mu": {"large", "big", "area", "size"},
}
# "650 square kilometers of water" measures the water, not the subject of the sentence.
_MEASURE_OF_OTHER = re.compile(r"^\s+of\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")
# Number words and their values ("hundreds of parks" counts at least a hundred).
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100,
}  # fmt: skip
# A count: a number, then within the next four words the counted noun ("six international
# cooperation industrial parks").
_COUNT = re.compile(
    rf"(?<![\w.,])(\d{{1,3}}(?:,\d{{3}})+|\d+|(?:{'|'.join(_NUMBER_WORDS)})s?)(?=((?:\s+[A-Za-z-]+){{1,4}}))",
    re.IGNORECASE,
)
_SHARE = re.compile(r"^\s*(?:percent|per\s+cent|%)", re.IGNORECASE)
_COUNT_QUESTION = re.compile(r"\bhow\s+many\b|多少个|几个|几家", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A value and its canonical unit as written in a sentence."""

    value: float
    unit: str


def quantities(text: str) -> list[Quantity]:
    """Return the unit-bearing numbers of `text`, units made canonical (km² for square kilometers)."""
    out = []
    for m in _QUANTITY.finditer(text):
        unit = next((name for name, r in _UNIT_RES.items() if r.match(m.group(2))), None)
        if unit and not _MEASURE_OF_OTHER.match(text[m.end() :]):
            out.append(Quantity(float(m.group(1).replace(",", "")), unit))
    return out


def counts(text: str, nouns: set[str]) -> list[Quantity]:
    """Return the counts of `nouns` (stemmed) in `text`, e.g. "four industrial parks" for park."""
    out = []
    for m in _COUNT.finditer(text):
        if _SHARE.match(m.group(2)):
            continue  # "50 percent of Fortune 500 companies" is a share, not a count of them
        hit = next((t for w in m.group(2).split() for t in term_set(w) if t in nouns), None)
        if hit:
            raw = m.group(1).lower().replace(",", "")
            value = float(raw) if raw.isdigit() else float(_NUMBER_WORDS[raw.removesuffix("s")])
            out.append(Quantity(value, "count of " + hit))
    return out


def measures(question: str) -> tuple[set[str], set[str]]:
    """Return the units whose topic the question asks about, and the nouns whose count it asks for."""
    words = set(_WORD.findall(question.lower()))
    units = {unit for unit, topic in _UNIT_TOPICS.items() if words & topic}
    nouns = set(term_set(question)) if _COUNT_QUESTION.search(question) else set()
    return units, {n for n in nouns if not n[:1].isdigit()}


def find_conflict(
    sentences: Sequence[ScoredSentence],
    min_share: float,
    min_coverage: float,
    units: frozenset[str],
    nouns: frozenset[str],
) -> list[ScoredSentence]:
    """Return one sentence per document when documents disagree on the measure a question asks
    about (one of `units`, or a count of one of `nouns`: see measures), else [].

    Only sentences scoring at least `min_share` of the best one and holding at least
    `min_coverage` of the question's terms (so that they speak of the same thing) are compared,
    and only measures the question asks about: an area for "how large", a count of parks for
    "how many parks".
    A conflict needs two documents giving different values.
    """
    if not sentences:
        return []
    if not units and not nouns:
        return []
    floor = sentences[0].score * min_share
    close = [s for s in sentences if s.score >= floor and s.coverage >= min_coverage]
    found = [(s, quantities(s.text) + counts(s.text, set(nouns))) for s in close]
    asked = [q for _, qs in found for q in qs if q.unit in units or q.unit.startswith("count of ")]
    if not asked:
        return []
    unit = asked[0].unit
    per_doc: dict[str, tuple[ScoredSentence, set[float]]] = {}
    for s, qs in found:
        values = {q.value for q in qs if q.unit == unit}
        if values and s.hit.chunk.doc_id not in per_doc:
            per_doc[s.hit.chunk.doc_id] = (s, values)
    if len(per_doc) < 2 or len({v for _, values in per_doc.values() for v in values}) < 2:
        return []
    return [s for s, _ in per_doc.values()]
