"""Saved web pages: the article's main text, title and date, without menus, banners and sidebars."""

from __future__ import annotations

import logging
import re

import trafilatura

from chatbot.clean import html_to_text
from chatbot.readers.base import ReadPart, ReadResult
from chatbot.readers.text import decode

log = logging.getLogger(__name__)

# The rule line trafilatura writes under a table's header row ("|---|---|"): nothing to cite.
_TABLE_RULE = re.compile(r"^\s*\|(?:\s*-+\s*\|)+\s*$", re.M)
# Below this many characters of main text trafilatura found no article (a bare page, a tiny
# snippet): the whole visible text is then the better reading.
MIN_MAIN_TEXT = 40


def read_web_page(data: bytes) -> ReadResult:
    """Return the main text of a web page (trafilatura), falling back to all its visible text.

    Title and date come from the page's own metadata (<title>, Open Graph, article:published_time,
    JSON-LD) when it has them.
    """
    html = decode(data)
    try:
        found = trafilatura.bare_extraction(
            html, with_metadata=True, include_tables=True, include_comments=False
        )
    except Exception as exc:  # a parser failure on one odd page must not stop the build
        log.info("trafilatura could not read the page (%s); using its visible text", exc)
        found = None
    text = getattr(found, "text", None) or ""
    if len(text.strip()) < MIN_MAIN_TEXT:
        return ReadResult((ReadPart(html_to_text(html)),))
    text = _TABLE_RULE.sub("", text)
    return ReadResult(
        (ReadPart(text),),
        title=getattr(found, "title", None) or None,
        date=getattr(found, "date", None) or None,
    )
