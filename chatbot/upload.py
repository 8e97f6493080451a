"""The chat page's Documents panel: upload PDF, Word, web-page and text files, delete documents,
and see what the incremental index update did with them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from chatbot.indexer import BuildLocked, BuildReport
from chatbot.intake import UPLOAD_SUFFIXES, Refused, add_file, corpus_documents, remove_file
from chatbot.logins import ServeError, auth_pairs
from chatbot.pipeline import Chatbot
from chatbot.render import escape_markdown
from chatbot.settings import Settings

log = logging.getLogger(__name__)

NOT_ALLOWED = "Adding and deleting documents is turned off on this chat (see the `uploads` setting)."
NOT_SIGNED_IN = "Only a signed-in user may add or delete documents."


def uploads_enabled(settings: Settings) -> bool:
    """Return whether the page offers uploads: with logins unless `uploads` is "off"; without
    logins only when the operator set `uploads = "anyone"`."""
    if settings.uploads == "off":
        return False
    try:
        has_logins = auth_pairs(settings) is not None
    except ServeError:
        return False  # `serve` refuses to start then anyway
    return has_logins or settings.uploads == "anyone"


def upload_size_limit(settings: Settings) -> int:
    """Return the largest file Gradio's upload route accepts: the document limits where uploads are
    on, else settings.max_upload_bytes."""
    if not uploads_enabled(settings):
        return settings.max_upload_bytes
    return max(settings.max_document_bytes, settings.max_binary_document_bytes)


def _may_change(settings: Settings, request: gr.Request | None) -> str | None:
    """Return why this visitor may not change the corpus, or None when they may."""
    if not uploads_enabled(settings):
        return NOT_ALLOWED
    if auth_pairs(settings) is not None and not (request and request.username):
        return NOT_SIGNED_IN
    return None


def _build_lines(report: BuildReport, names: set[str]) -> list[str]:
    """Return one line per thing the build did with the named documents, and its totals."""
    plan = report.plan
    lines = []
    for label, ids in (("added", plan.added), ("changed", plan.changed), ("removed", plan.removed)):
        lines += [f"- {label} {escape_markdown(d)}" for d in ids if d in names]
    lines += [
        f"- skipped {escape_markdown(s.doc_id)}: {escape_markdown(s.reason)}"
        for s in plan.scan.skipped if s.doc_id in names
    ]
    lines += [
        f"- warning {escape_markdown(w.doc_id)}: {escape_markdown(w.reason)}"
        for w in plan.scan.warnings if w.doc_id in names
    ]
    if report.wrote:
        lines.append(
            f"Index version `{report.version}`: {report.chunks} passages "
            f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s."
        )
    return lines


def _rebuild(bot: Chatbot, progress: gr.Progress, names: set[str]) -> list[str]:
    def on_progress(stage: str, done: int, total: int) -> None:
        progress((done, max(total, 1)), desc=f"Updating the index: {stage}", unit="steps")

    try:
        return _build_lines(bot.build(progress=False, on_progress=on_progress), names)
    except (BuildLocked, ValueError, OSError) as exc:  # the index errors are ValueErrors too
        log.warning("Index update after an upload failed: %s", exc)
        return [f"The index was not updated (the live index is unchanged): {escape_markdown(str(exc))}"]


def add_documents_panel(bot: Chatbot, note: gr.Markdown, index_note: Callable[[Chatbot], str]) -> None:
    """Add the Documents panel to the page being built (call inside gr.Blocks); `note` is the index
    note it refreshes after a change."""
    settings = bot.settings

    def choices() -> Any:
        return gr.Dropdown(choices=corpus_documents(settings), value=None)

    def add(
        files: list[str] | None, request: gr.Request, progress: gr.Progress = gr.Progress()  # noqa: B008
    ) -> tuple[str, str, Any, None]:
        """Add the uploaded files to the corpus and update the index; returns the summary."""
        why = _may_change(settings, request)
        if why:
            return why, index_note(bot), choices(), None
        paths = [Path(f) for f in (files or []) if f]
        if not paths:
            return "Choose one or more files first.", index_note(bot), choices(), None
        lines: list[str] = []
        added: set[str] = set()
        for path in paths:
            try:
                saved = add_file(settings, path.name, path)
            except (Refused, OSError) as exc:
                lines.append(f"- refused {escape_markdown(str(exc))}")
                continue
            added.add(saved.doc_id)
        if added:
            lines += _rebuild(bot, progress, added)
        return "\n".join(lines), index_note(bot), choices(), None

    def delete(
        doc_id: str | None, request: gr.Request, progress: gr.Progress = gr.Progress()  # noqa: B008
    ) -> tuple[str, str, Any]:
        """Delete one corpus document and update the index; returns the summary."""
        why = _may_change(settings, request)
        if why:
            return why, index_note(bot), choices()
        if not doc_id:
            return "Choose a document to delete.", index_note(bot), choices()
        try:
            remove_file(settings, doc_id)
        except (Refused, OSError) as exc:
            return f"- refused {escape_markdown(str(exc))}", index_note(bot), choices()
        lines = [f"Deleted {escape_markdown(doc_id)}.", *_rebuild(bot, progress, {doc_id})]
        return "\n".join(lines), index_note(bot), choices()

    with gr.Accordion("Documents", open=False, visible=uploads_enabled(settings), elem_id="documents-panel"):
        gr.Markdown(
            "Add PDF, Word (.docx), web-page (.html), text or Markdown files to the corpus; the index "
            "is updated at once. A scanned PDF without a text layer is refused."
        )
        files = gr.File(
            label="Documents to add", file_count="multiple", file_types=list(UPLOAD_SUFFIXES),
            type="filepath", elem_id="upload-files",
        )
        add_btn = gr.Button("Add to the index", variant="primary", elem_id="add-documents")
        status = gr.Markdown("", elem_id="documents-status")
        with gr.Row():
            chosen = gr.Dropdown(
                choices=corpus_documents(settings), label="Document", scale=4, elem_id="delete-choice"
            )
            delete_btn = gr.Button("Delete document", variant="stop", scale=1, elem_id="delete-document")
    # One corpus change at a time, and never beside a rebuild from the Index panel.
    add_btn.click(add, [files], [status, note, chosen, files], api_name="add_documents",
                  concurrency_limit=1, concurrency_id="rebuild")
    delete_btn.click(delete, [chosen], [status, note, chosen], api_name="delete_document",
                     concurrency_limit=1, concurrency_id="rebuild")
