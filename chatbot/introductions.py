"""Who "Ms. Lin" is: news articles name a person in full once, then by title and surname only.

An answer quoting "…said Ms. Lin, who helped organize the delegation" does not tell the reader
who that is; the sentence of the same article that gives the full name ("Jun Lin, a Chongqing
native who …") does, so it is quoted after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from chatbot.types import ScoredSentence, overlaps

_TITLES = r"(?:Mr|Ms|Mrs|Miss|Dr|Prof)"
_TITLED = re.compile(rf"\b{_TITLES}\.?\s+([A-Z][a-z]+)\b")


@lru_cache(maxsize=256)
def _full_name(surname: str) -> re.Pattern[str]:
    """Return a pattern for `surname` with a given name before it (Western order, "Jun Lin") or
    after it (Chinese order, "Tang Zongwei"); a title is not a given name ("Ms Lin")."""
    s = re.escape(surname)
    return re.compile(
        rf"\b(?:(?!{_TITLES}\b)(?!{s}\b)[A-Z][a-z]+\s+{s}|{s}\s+(?!(?:said|says)\b)[A-Z][a-z]+)\b"
    )


def titled_surnames(text: str) -> list[str]:
    """Return the surnames `text` gives only with a title ("Ms. Lin" → "Lin"), in order, once each."""
    return [s for s in dict.fromkeys(_TITLED.findall(text)) if not _full_name(s).search(text)]


def introduce(chosen: Sequence[ScoredSentence], candidates: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """Return `chosen` with, after each sentence naming someone only by title and surname, the
    earliest candidate sentence of the same document that gives their full name, quoted alone.

    Nothing is added for a person the answer already names in full (in a quoted sentence or its
    lead), when no candidate (the sentences of the retrieved passages) does, or when that sentence
    is already quoted. Introductions come on top of `max_answer_sentences`: one per person at most.
    """
    spans = [c.in_document() for c in chosen]
    # The text quoted so far, leads included: a lead may be what names the person in full.
    quoted = " ".join(c.hit.chunk.text[slice(*c.quoted_span)] for c in chosen)
    out: list[ScoredSentence] = []
    for c in chosen:
        out.append(c)
        for surname in titled_surnames(c.text):
            name = _full_name(surname)
            if name.search(quoted):
                continue
            fresh = [
                x
                for x in candidates
                if x.hit.chunk.doc_id == c.hit.chunk.doc_id
                and name.search(x.text)
                and not overlaps(spans, x.in_document(with_lead=False))
            ]
            if fresh:
                first = replace(min(fresh, key=lambda x: x.hit.chunk.start + x.start), lead_start=None)
                out.append(first)
                spans.append(first.in_document())
                quoted += " " + first.text
    return out
