"""Render answers and their sources as safe Markdown/HTML for the chat page.

Everything that comes from a document or a user is escaped twice over: HTML special characters
become entities (so `<script>` shows as text and never runs), and Markdown/LaTeX punctuation is
neutralised (so a document cannot turn into a link, an image or a formula in a reader's page).
"""

from __future__ import annotations

import html
import re

from chatbot.types import Answer, Citation

# Markdown punctuation a document could use to make links, images, code or emphasis. Only these
# are escaped so that the copied answer keeps its figures ("367.5") and markers ("[1]") intact.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]])")
# A citation marker "[n]" is restored after escaping unless it could start a link: "[1](…)", "[1]:".
_MARKER = re.compile(r"\\\[(\d{1,3})\\\](?![(:\[])")
# Inside a raw HTML block Markdown is not parsed; entities for its punctuation make sure of it.
_ENTITY_SPECIALS = {ord(ch): f"&#{ord(ch)};" for ch in "\\`*_[]~|$"}


def escape_markdown(text: str) -> str:
    """Return `text` escaped for a Markdown message: HTML entities plus backslash escapes.

    Whitespace is kept, so the message reads (and copies) like the original text.
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))
    return _MARKER.sub(r"[\1]", escaped)


def escape_html(text: str) -> str:
    """Return `text` as inert HTML: entities for HTML and Markdown punctuation, <br> for newlines.

    The result holds no newline, so a Markdown renderer treats it as one raw HTML block.
    """
    escaped = html.escape(text).translate(_ENTITY_SPECIALS)
    return "<br>".join(escaped.split("\n"))


def _passage_html(c: Citation) -> str:
    """Return the passage with every sentence the answer quotes from it marked, all escaped."""
    out, done = [], 0
    for a, b in sorted(c.quoted_spans):
        a = max(a, done)  # overlapping spans are marked once
        if a >= b:
            continue
        out += [escape_html(c.text[done:a]), '<mark class="support">', escape_html(c.text[a:b]), "</mark>"]
        done = b
    out.append(escape_html(c.text[done:]))
    return "".join(out)


def sources_html(answer: Answer, built_at: str | None = None) -> str:
    """Return the numbered, expandable sources and the index note of an answer, as one HTML line."""
    items = []
    for c in answer.citations:
        date = f" · {escape_html(c.date)}" if c.date else ""
        where = f' · <span class="where">{escape_html(c.location)}</span>' if c.location else ""
        items.append(
            f'<details class="source" id="source-{c.n}"><summary><b>[{c.n}]</b> '
            f"{escape_html(c.title)}{date} · <code>{escape_html(c.doc_id)}</code>{where}</summary>"
            f'<blockquote class="passage">{_passage_html(c)}</blockquote></details>'
        )
    built = f", built {escape_html(built_at)}" if built_at else ""
    note = (
        f'<p class="index-version"><small>Answered from index version '
        f"<code>{escape_html(answer.index_version)}</code>{built}.</small></p>"
    )
    heading = '<p class="sources-heading"><b>Sources</b></p>' if items else ""
    return f'<div class="sources">{heading}{"".join(items)}{note}</div>'


def answer_markdown(answer: Answer) -> str:
    """Return the answer text as a safe Markdown message (what the copy button copies), with the
    writer's notice, if any, on a line of its own in italics after it."""
    text = escape_markdown(answer.text)
    return f"{text}\n\n*{escape_markdown(answer.notice)}*" if answer.notice else text
