"""Render answers and their sources as safe HTML/Markdown for the chat page."""

from __future__ import annotations

import html

from chatbot.types import Answer, Citation


def _passage_html(c: Citation) -> str:
    """Return the passage with its supporting sentence marked, every character escaped."""
    a, b = c.highlight
    return (
        html.escape(c.text[:a])
        + "<mark>"
        + html.escape(c.text[a:b])
        + "</mark>"
        + html.escape(c.text[b:])
    )


def sources_html(answer: Answer) -> str:
    """Return the numbered, expandable sources of an answer (empty when there are none)."""
    if not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        date = f" · {html.escape(c.date)}" if c.date else ""
        items.append(
            f'<details class="source" id="source-{c.n}"><summary><b>[{c.n}]</b> '
            f"{html.escape(c.title)}{date} · <code>{html.escape(c.doc_id)}</code></summary>"
            f'<blockquote class="passage">{_passage_html(c)}</blockquote></details>'
        )
    return '<div class="sources"><p><b>Sources</b></p>' + "".join(items) + "</div>"


def answer_markdown(answer: Answer) -> str:
    """Return the full chat message: the escaped answer text, then its sources."""
    body = html.escape(answer.text)
    sources = sources_html(answer)
    return f"{body}\n\n{sources}" if sources else body
