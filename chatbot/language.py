"""Which language a text is written in, and its words, for English and Chinese documents.

The product reads English and Chinese. A text is Chinese when most of its letters are Chinese
characters (the share of CJK ideographs among letters: no threshold to tune, a majority), and
Chinese words are cut by jieba's dictionary segmentation, since Chinese writes no spaces.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Literal

Language = Literal["en", "zh"]

# CJK unified ideographs, extension A and the compatibility block.
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def cjk_share(text: str) -> float:
    """Return the share of the letters of `text` that are Chinese characters (0 without letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(bool(CJK.match(ch)) for ch in letters) / len(letters) if letters else 0.0


def is_mostly_chinese(text: str) -> bool:
    """Return whether most of the letters of `text` are Chinese characters."""
    return cjk_share(text) > 0.5


def detect_language(text: str) -> Language:
    """Return "zh" for a text mostly in Chinese characters, else "en" (the product's two languages)."""
    return "zh" if is_mostly_chinese(text) else "en"


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it logs its dictionary loading at INFO to stderr
    return jieba


@lru_cache(maxsize=65_536)
def chinese_words(run: str) -> tuple[str, ...]:
    """Return the words of a run of Chinese characters, as jieba's dictionary segmentation cuts it."""
    return tuple(w for w in _jieba().lcut(run) if w.strip())


def word_count(text: str) -> int:
    """Return how many words `text` has: space-separated words, with runs of Chinese characters
    counted in jieba's words (a Chinese sentence has no spaces, yet as many words as an English one)."""
    count = 0
    for piece in text.split():
        runs = _CJK_RUN.findall(piece)
        rest = _CJK_RUN.sub(" ", piece).split()
        count += sum(len(chinese_words(r)) for r in runs)
        count += sum(1 for w in rest if any(c.isalnum() for c in w))
    return count
