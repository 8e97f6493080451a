"""The Gradio chat page: streamed answers with numbered, expandable sources, and an index rebuild."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from chatbot.indexer import BuildLocked, BuildReport
from chatbot.logins import auth_pairs
from chatbot.pipeline import Chatbot, InvalidQuestion, check_question
from chatbot.render import answer_markdown, escape_markdown, sources_html
from chatbot.stores import IndexCorrupt, IndexMismatch, IndexMissing, StoreUnavailable
from chatbot.types import Answer
from chatbot.upload import add_documents_panel, upload_size_limit
from chatbot.writers import Delta

log = logging.getLogger(__name__)

SEARCHING = "Searching the documents…"
FAILED = "Something went wrong while answering; please try again."
# Errors about the index that the person running the chat can fix (the message says how).
INDEX_ERRORS = (IndexMissing, IndexMismatch, IndexCorrupt, StoreUnavailable)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
CSS = """
#chat .sources blockquote { white-space: normal; overflow-wrap: anywhere; margin: 0.3em 0 0.6em; }
#chat .sources summary { cursor: pointer; }
#chat mark.support { background: #fde68a; color: inherit; padding: 0 0.1em; }
#chat .index-version { opacity: 0.75; }
#chat .sources .where { white-space: nowrap; }
"""

Message = dict[str, Any]


def index_note(bot: Chatbot) -> str:
    """Return a one-line note of the live index version and when it was built."""
    try:
        manifest = bot.index().manifest  # in memory; loads a new version only when one went live
    except IndexMissing:
        return "No index built yet: use **Rebuild index** below or run `chatbot index`."
    except INDEX_ERRORS as exc:
        return str(exc)
    return (
        f"Live index version `{manifest.version}`, built {manifest.built_at}: "
        f"{len(manifest.documents)} documents, {manifest.chunk_count} passages."
    )


def clean_input(text: object) -> str:
    """Return `text` as a string a tokenizer can take: "" for non-text, lone surrogates replaced.

    A browser never sends half a UTF-16 pair, but a hand-made JSON request can ("\\ud800").
    """
    if not isinstance(text, str):
        return ""
    return text.encode("utf-8", "replace").decode("utf-8")


def _history_strings(history: object, limit: int) -> list[str]:
    """Return the last `limit` earlier questions, dropping anything that is not text."""
    if not isinstance(history, list | tuple) or limit == 0:
        return []
    return [clean_input(h) for h in history if isinstance(h, str)][-limit:]


def report_summary(report: BuildReport) -> str:
    """Return a Markdown summary of a build: version and per-document counts."""
    plan = report.plan
    counts = plan.counts()
    skipped = "".join(
        f"\n- skipped {escape_markdown(s.doc_id)}: {escape_markdown(s.reason)}" for s in plan.scan.skipped
    )
    summary = report.chinese_summary()
    chinese = f" {escape_markdown(summary)}" if summary else ""
    if not report.wrote:
        return f"Index already up to date (version `{report.version}`): {counts}.{chinese}{skipped}"
    return (
        f"Rebuilt index version `{report.version}` in {report.seconds:.1f} s: {counts}; "
        f"{report.chunks} passages ({report.embedded} embedded, {report.reused} reused).{chinese}{skipped}"
    )


def build_app(bot: Chatbot) -> gr.Blocks:
    """Return the chat page wired to `bot`, its queue configured from the settings (not launched)."""
    settings = bot.settings

    def respond(
        message: str, history: list[Message], asked: list[str]
    ) -> Iterator[tuple[str, list[Message], list[str], str]]:
        history = list(history or [])
        asked = list(asked or [])
        message = clean_input(message)
        try:
            tidy = check_question(message, settings.max_question_chars)
        except InvalidQuestion as exc:
            gr.Warning(str(exc))
            yield message, history, asked, index_note(bot)  # keep what they typed so they can fix it
            return
        shown = history + [{"role": "user", "content": escape_markdown(tidy)}]
        yield "", shown + [{"role": "assistant", "content": SEARCHING}], asked, index_note(bot)
        note = index_note(bot)  # once per answer, not once per streamed update
        answer: Answer | None = None
        written = ""
        try:
            for event in bot.stream(tidy, _history_strings(asked, settings.max_history_turns)):
                if isinstance(event, Delta):
                    written += event.text
                    partial = escape_markdown(written.rstrip()) + " …"
                    yield "", shown + [{"role": "assistant", "content": partial}], asked, note
                else:
                    answer = event.answer
        except INDEX_ERRORS as exc:
            gr.Warning(str(exc))
            yield message, history, asked, str(exc)
            return
        except Exception:
            log.exception("Answering %r failed", message[:200])
            gr.Warning(FAILED)
            yield message, history, asked, index_note(bot)
            return
        if answer is None:  # the stream ended early (the Stop button): nothing to show
            return
        asked = asked + [tidy]
        final = shown + [
            {"role": "assistant", "content": answer_markdown(answer)},
            {"role": "assistant", "content": sources_html(answer, answer.built_at or None)},
        ]
        yield "", final, asked, note

    def ask_api(question: str, history: list[str] | None = None) -> dict[str, object]:
        """Answer one question; returns the `chatbot ask --json` object, or {"question", "error"}."""
        try:
            text = clean_input(question)
            return bot.ask(text, _history_strings(history, settings.max_history_turns)).to_json()
        except (InvalidQuestion, *INDEX_ERRORS) as exc:
            return {"question": clean_input(question), "error": str(exc)}

    def rebuild(request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
        client = request.client.host if request and request.client else None
        if client not in LOOPBACK:
            gr.Warning("The index can only be rebuilt from the machine that runs the chat.")
            return "Rebuild refused: open the chat on the machine that runs it.", index_note(bot)

        def on_progress(stage: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=f"Rebuilding: {stage}", unit="steps")

        try:
            report = bot.build(progress=False, on_progress=on_progress)
        except (BuildLocked, ValueError, OSError) as exc:  # the index errors are ValueErrors too
            log.warning("Rebuild from the page failed: %s", exc)
            gr.Warning(str(exc))
            failed = f"Rebuild failed, the live index is unchanged: {escape_markdown(str(exc))}"
            return failed, index_note(bot)
        return report_summary(report), index_note(bot)

    with gr.Blocks(title=settings.app_title) as demo:
        gr.Markdown(f"# {settings.app_title}\n{settings.app_description}", elem_id="intro")
        chat = gr.Chatbot(
            label="Conversation",
            height=520,
            buttons=["copy", "copy_all"],
            latex_delimiters=[],  # "$" in a figure is money, not maths
            allow_tags=False,
            sanitize_html=True,
            elem_id="chat",
        )
        asked = gr.State([])
        with gr.Row():
            box = gr.Textbox(
                placeholder=settings.question_placeholder,
                show_label=False,
                scale=8,
                min_width=200,
                elem_id="question",
            )
            send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
            # Cancels the answer being written: closing its stream closes the LLM request too.
            stop = gr.Button("Stop", variant="stop", scale=1, min_width=80, elem_id="stop")
        examples = list(settings.example_questions)
        gr.Examples(examples, inputs=box, label="Example questions", elem_id="examples")
        note = gr.Markdown(index_note(bot), elem_id="index-note")
        with gr.Accordion("Index", open=False, visible=settings.rebuild_button, elem_id="index-panel"):
            gr.Markdown("Re-read `corpus/` and update the index; questions keep being answered meanwhile.")
            rebuild_btn = gr.Button("Rebuild index", elem_id="rebuild")
            rebuild_status = gr.Markdown("", elem_id="rebuild-status")
        add_documents_panel(bot, note, index_note)
        # Page and API share one limit: together they never answer more than answer_concurrency at once.
        limit, group = settings.answer_concurrency, "answer"
        outputs = [box, chat, asked, note]
        answering = [
            trigger(respond, [box, chat, asked], outputs, api_visibility="private",
                    concurrency_limit=limit, concurrency_id=group)
            for trigger in (box.submit, send.click)
        ]  # fmt: skip
        stop.click(None, None, None, cancels=answering, api_visibility="private")  # type: ignore[arg-type]
        chat.clear(lambda: [], None, asked, api_visibility="private")
        rebuild_btn.click(
            rebuild, None, [rebuild_status, note], api_visibility="private",
            concurrency_limit=1, concurrency_id="rebuild",
        )
        gr.api(ask_api, api_name="ask", concurrency_limit=limit, concurrency_id=group)
    demo.queue(max_size=settings.max_queue, default_concurrency_limit=settings.answer_concurrency)
    return demo


def launch(bot: Chatbot, *, block: bool = True) -> gr.Blocks:
    """Launch the chat on the settings' host and port; return the running page (blocks if `block`)."""
    settings = bot.settings
    auth = auth_pairs(settings)
    if settings.host not in LOOPBACK and auth is None:
        log.warning(
            "Serving on %s without a password: anyone who can reach it can use the chat. "
            "Pass --auth USER:PASSWORD to require a login.", settings.host,
        )
    demo = build_app(bot)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        show_error=False,
        prevent_thread_lock=not block,
        # Gradio serves only its own temporary files; block the index and corpus by name too so
        # that no route can hand out anything from them, whatever Gradio's defaults become.
        allowed_paths=[],
        blocked_paths=[str(settings.index.resolve()), str(settings.corpus.resolve())],
        max_file_size=upload_size_limit(settings),
        ssr_mode=False,
        quiet=not block,
        css=CSS,
    )
    return demo


def serve(bot: Chatbot) -> None:
    """Launch the chat and block until it is stopped."""
    launch(bot, block=True)
