"""A streaming client for the OpenAI chat-completions protocol, with a hard deadline.

httpx's timeouts bound each read, not the whole answer: a server that sends a token every few
seconds would never time out. So the request runs in a worker thread feeding a queue, and the
caller waits on the queue only until the deadline; on the deadline, an error, or the caller
closing the generator (the page's Stop button), the response is closed, which makes llama.cpp,
vLLM and hosted APIs stop generating.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


class LLMError(RuntimeError):
    """The LLM gave no usable answer; the message says why in one line (shown to the user)."""


class LLMUnreachable(LLMError):
    """Nothing answers at the endpoint."""


class LLMTimeout(LLMError):
    """The answer did not arrive in time."""


class LLMHTTPError(LLMError):
    """The endpoint answered with an HTTP error."""


class LLMMalformed(LLMError):
    """The endpoint's reply is not the protocol's."""


@dataclass(frozen=True)
class ChatRequest:
    """One chat-completions request: messages, sampling, and an optional JSON schema for the reply."""

    messages: tuple[dict[str, str], ...]
    max_tokens: int
    temperature: float
    schema: dict[str, Any] | None = None


_END = object()


class ChatClient:
    """Streams the content of one chat completion from `base_url` ("http://host:port/v1")."""

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": list(request.messages),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }
        if request.schema is not None:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": request.schema},
            }
        return payload

    def stream(self, request: ChatRequest) -> Iterator[str]:
        """Yield the reply's content as it arrives; raises an LLMError subclass on any failure.

        Never waits past `timeout_s` from the call in total.
        """
        deadline = time.monotonic() + self.timeout_s
        items: queue.Queue[object] = queue.Queue()
        stop = threading.Event()
        held: list[httpx.Response] = []
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        timeout = httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0))

        def work() -> None:
            try:
                with (
                    httpx.Client(timeout=timeout) as client,
                    client.stream("POST", self.url, json=self._payload(request), headers=headers) as reply,
                ):
                    held.append(reply)
                    if reply.status_code >= 400:
                        body = " ".join(reply.read().decode("utf-8", "replace").split())[:200]
                        items.put(LLMHTTPError(f"the LLM server answered HTTP {reply.status_code}: {body}"))
                        return
                    for line in reply.iter_lines():
                        if stop.is_set():
                            return
                        content = _content(line)
                        if content is _END:
                            break
                        if content:
                            items.put(content)
                items.put(_END)
            except LLMError as exc:
                items.put(exc)
            except httpx.ConnectError as exc:
                items.put(LLMUnreachable(f"no LLM server answers at {self.url} ({exc})"))
            except httpx.TimeoutException:
                items.put(LLMTimeout(f"the LLM server did not answer within {self.timeout_s:g} s"))
            except (httpx.HTTPError, OSError, ValueError) as exc:
                if not stop.is_set():  # closing the response on purpose makes reads fail: not news
                    items.put(LLMError(f"the LLM request failed: {type(exc).__name__}: {exc}"))

        worker = threading.Thread(target=work, name="llm-request", daemon=True)
        worker.start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    item = items.get(timeout=max(remaining, 0.0))
                except queue.Empty:
                    raise LLMTimeout(f"the LLM's answer took longer than {self.timeout_s:g} s") from None
                if item is _END:
                    return
                if isinstance(item, LLMError):
                    raise item
                assert isinstance(item, str)
                yield item
        finally:
            stop.set()
            for reply in held:
                reply.close()  # cancels generation at the server


def _content(line: str) -> object:
    """Return the text one server-sent-events line adds, "" for none, or _END for the last."""
    if not line.startswith("data:"):
        return ""  # blank separators, ": ping" comments, "event:" names
    data = line[len("data:") :].strip()
    if data == "[DONE]":
        return _END
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError as exc:
        raise LLMMalformed(f"the LLM server sent a line that is not JSON: {data[:80]!r}") from exc
    if not isinstance(chunk, dict):
        raise LLMMalformed("the LLM server sent a chunk that is not a JSON object")
    if "error" in chunk:
        raise LLMHTTPError(f"the LLM server reported an error: {str(chunk['error'])[:200]}")
    choices = chunk.get("choices") or []
    if not choices:
        return ""  # usage or keep-alive chunks
    delta = choices[0].get("delta") or {}
    content = delta.get("content")
    return content if isinstance(content, str) else ""
