"""Spot sources that give different values for the same measure (e.g. an area in km²)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chatbot.rerank import ScoredSentence

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
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?:-\s*)?(" + "|".join(f"(?:{p})" for p in _UNITS.values()) + r")",
    re.IGNORECASE,
)
_UNIT_RES = {name: re.compile(rf"^(?:{p})$", re.IGNORECASE) for name, p in _UNITS.items()}


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
        if unit:
            out.append(Quantity(float(m.group(1).replace(",", "")), unit))
    return out


def find_conflict(sentences: Sequence[ScoredSentence], min_share: float) -> list[ScoredSentence]:
    """Return one sentence per document when documents disagree on a measure, else [].

    Only sentences scoring at least `min_share` of the best one are compared; the measure is the
    unit of the best-scoring quantity, and a conflict needs two documents with different values.
    """
    if not sentences:
        return []
    floor = sentences[0].score * min_share
    close = [s for s in sentences if s.score >= floor]
    first = next(((s, q) for s in close for q in quantities(s.text)), None)
    if first is None:
        return []
    unit = first[1].unit
    per_doc: dict[str, tuple[ScoredSentence, set[float]]] = {}
    for s in close:
        values = {q.value for q in quantities(s.text) if q.unit == unit}
        if values and s.hit.chunk.doc_id not in per_doc:
            per_doc[s.hit.chunk.doc_id] = (s, values)
    if len(per_doc) < 2:
        return []
    all_values = [v for _, values in per_doc.values() for v in values]
    if len(set(all_values)) < 2:
        return []
    return [s for s, _ in per_doc.values()]
