"""Where the LLM answers: the operator's endpoint, or the packaged model started on first use."""

from __future__ import annotations

import atexit
import logging
import threading

from chatbot.llm.local import LocalServer, model_file
from chatbot.settings import Settings

log = logging.getLogger(__name__)

# The packaged models' servers this process started, by (model, threads, context): every chatbot
# of a process shares one (the evaluation opens one chatbot per corpus; a server each would hold
# 1-3 GB of memory apiece and compete for the two cores).
_SERVERS: dict[tuple[str, int, int], LocalServer] = {}
_SERVERS_LOCK = threading.Lock()


class Endpoint:
    """Gives the LLM's base URL: `settings.llm_base_url`, else a local server of `settings.llm_model`.

    The local server starts at the first call (joining the model's parts the very first time) and
    stops when the process exits; every Endpoint of a process with the same model shares it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key = (settings.llm_model, settings.llm_threads, settings.llm_context_tokens)

    def base_url(self) -> str:
        """Return the base URL ("http://host:port/v1"); raises ModelUnavailable if none can start."""
        if self.settings.llm_base_url:
            return self.settings.llm_base_url.rstrip("/")
        with _SERVERS_LOCK:
            server = _SERVERS.get(self._key)
            if server is None:
                s = self.settings
                path = model_file(s.llm_model, s.llm_dir)
                log.info("Starting the packaged model %s on 127.0.0.1", s.llm_model)
                server = LocalServer(path, threads=s.llm_threads, context=s.llm_context_tokens)
                atexit.register(server.stop)
                _SERVERS[self._key] = server
                log.info("The packaged model %s answers at %s", s.llm_model, server.base_url)
            return server.base_url

    def close(self) -> None:
        """Stop the local server of this endpoint's model, if one was started (for every chatbot
        of the process that shares it: the next question starts it again)."""
        with _SERVERS_LOCK:
            server = _SERVERS.pop(self._key, None)
        if server is not None:
            server.stop()
