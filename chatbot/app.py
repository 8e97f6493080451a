"""The Gradio chat page: streamed answers with numbered, expandable sources."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from chatbot.pipeline import Chatbot, InvalidQuestion
from chatbot.render import answer_markdown
from chatbot.store import IndexMismatch, IndexMissing, read_manifest

log = logging.getLogger(__name__)

TITLE = "Liangjiang New Area — investor Q&A"
DESCRIPTION = (
    "Ask about Chongqing's Liangjiang New Area: its industries, investment projects, partners, "
    "figures and policies. Answers quote the source documents, with numbered sources below."
)
EXAMPLES = [
    "What was the GDP of Liangjiang New Area in 2020?",
    "How many projects were signed at the 2023 Global Investment Promotion Conference?",
    "Which foreign companies already operate in Liangjiang?",
    "How large is Liangjiang New Area?",
]
# Words per streamed update: small enough to look live, large enough not to flood the socket.
STREAM_WORDS = 4


def _user_questions(history: list[dict[str, Any]]) -> list[str]:
    """Return the earlier user turns of an OpenAI-style message history."""
    out = []
    for m in history:
        if m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, list):  # Gradio 6 may hand back content as typed parts
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            out.append(str(content))
    return out


def index_note(bot: Chatbot) -> str:
    """Return a one-line note of the live index version and when it was built."""
    manifest = read_manifest(bot.settings.index)
    if manifest is None:
        return "No index built yet."
    return (
        f"Index version `{manifest.version}`, built {manifest.built_at}: "
        f"{len(manifest.documents)} documents, {manifest.chunk_count} passages."
    )


def build_app(bot: Chatbot) -> gr.Blocks:
    """Return the chat page wired to `bot` (not launched)."""

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]], str]]:
        history = list(history or [])
        try:
            answer = bot.ask(message, _user_questions(history))
        except InvalidQuestion as exc:
            yield message, history, index_note(bot)  # keep what they typed so they can fix it
            gr.Warning(str(exc))
            return
        except (IndexMissing, IndexMismatch) as exc:
            yield message, history, str(exc)
            gr.Warning(str(exc))
            return
        history = history + [{"role": "user", "content": answer.question}]
        words = answer.text.split(" ")
        for i in range(STREAM_WORDS, len(words), STREAM_WORDS):
            yield "", history + [{"role": "assistant", "content": " ".join(words[:i])}], index_note(bot)
        final = answer_markdown(answer) + f"\n\n<sub>Answered from index version {answer.index_version}.</sub>"
        yield "", history + [{"role": "assistant", "content": final}], index_note(bot)

    def ask_api(question: str, history: list[str] | None = None) -> dict[str, object]:
        """Answer one question; returns the same JSON object as `chatbot ask --json`."""
        try:
            return bot.ask(question, history or []).to_json()
        except InvalidQuestion as exc:
            return {"question": question, "error": str(exc)}

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
        chat = gr.Chatbot(label="Conversation", height=520, buttons=["copy"], elem_id="chat")
        with gr.Row():
            box = gr.Textbox(
                placeholder="Ask a question about Liangjiang New Area…",
                show_label=False,
                scale=8,
                elem_id="question",
            )
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        gr.Examples(EXAMPLES, inputs=box, label="Example questions")
        note = gr.Markdown(index_note(bot), elem_id="index-note")
        box.submit(respond, [box, chat], [box, chat, note], api_visibility="private")
        send.click(respond, [box, chat], [box, chat, note], api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return demo


def serve(bot: Chatbot, host: str, port: int) -> None:
    """Launch the chat on host:port and block."""
    demo = build_app(bot)
    demo.queue(default_concurrency_limit=2)
    demo.launch(server_name=host, server_port=port, show_error=False)
