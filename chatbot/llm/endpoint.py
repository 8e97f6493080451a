"""Where the LLM answers: the operator's endpoint, or the packaged model started on first use."""

from __future__ import annotations

import atexit
import logging
import threading

from chatbot.llm.local import LocalServer, model_file
from chatbot.settings import Settings

log = logging.getLogger(__name__)


class Endpoint:
    """Gives the LLM's base URL: `settings.llm_base_url`, else a local server of `settings.llm_model`.

    The local server starts at the first call (joining the model's parts the very first time) and
    stops when the process exits; one Endpoint is shared by every chatbot of a process.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._server: LocalServer | None = None
        self._lock = threading.Lock()

    def base_url(self) -> str:
        """Return the base URL ("http://host:port/v1"); raises ModelUnavailable if none can start."""
        if self.settings.llm_base_url:
            return self.settings.llm_base_url.rstrip("/")
        with self._lock:
            if self._server is None:
                s = self.settings
                path = model_file(s.llm_model, s.llm_dir)
                log.info("Starting the packaged model %s on 127.0.0.1", s.llm_model)
                self._server = LocalServer(path, threads=s.llm_threads, context=s.llm_context_tokens)
                atexit.register(self._server.stop)
                log.info("The packaged model %s answers at %s", s.llm_model, self._server.base_url)
            return self._server.base_url

    def close(self) -> None:
        """Stop the local server, if this endpoint started one."""
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
