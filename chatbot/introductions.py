"""Who "Ms. Lin" is: news articles name a person in full once, then by title and surname only.

An answer quoting "…said Ms. Lin, who helped organize the delegation" does not tell the reader
who that is; the sentence of the same article that gives the full name ("Jun Lin, a Chongqing
native who …") does, so it is quoted after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatbot.rerank import ScoredSentence

_TITLED = re.compile(r"\b(?:Mr|Ms|Mrs|Miss|Dr|Prof)\.?\s+([A-Z][a-z]+)\b")


def _full_name(surname: str) -> re.Pattern[str]:
    """Return a pattern for `surname` with a given name, before it (Western order, "Jun Lin") or
    after it (Chinese order, "Tang Zongwei"), and no title in front."""
    return re.compile(
        rf"(?<!Mr\. )(?<!Ms\. )(?<!Mrs\. )(?<!Dr\. )"
        rf"\b(?:(?!{surname}\b)[A-Z][a-z]+\s+{surname}|{surname}\s+(?!(?:said|says)\b)[A-Z][a-z]+)\b"
    )


def titled_surnames(text: str) -> list[str]:
    """Return the surnames `text` gives only with a title ("Ms. Lin" → "Lin"), in order, once each."""
    return [s for s in dict.fromkeys(_TITLED.findall(text)) if not _full_name(s).search(text)]


def introduce(chosen: Sequence[ScoredSentence], candidates: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """Return `chosen` with, after each sentence naming someone only by title and surname, the
    earliest candidate sentence of the same document that gives their full name.

    Nothing is added for a person the answer already names in full, or when no candidate (the
    sentences of the retrieved passages) does.
    """
    out: list[ScoredSentence] = []
    quoted = " ".join(c.text for c in chosen)
    texts = {c.text for c in chosen}
    for c in chosen:
        out.append(c)
        for surname in titled_surnames(c.text):
            name = _full_name(surname)
            if name.search(quoted):
                continue
            same_doc = [
                x for x in candidates
                if x.hit.chunk.doc_id == c.hit.chunk.doc_id and x.text not in texts and name.search(x.text)
            ]
            if same_doc:
                first = min(same_doc, key=lambda x: x.hit.chunk.start + x.start)
                out.append(first)
                texts.add(first.text)
                quoted += " " + first.text
    return out
