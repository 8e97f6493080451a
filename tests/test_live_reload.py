"""A running chat server picks up a rebuilt index with no restart and no failed question."""

from __future__ import annotations

import threading
import time

from gradio_client import Client

from chatbot.app import launch
from chatbot.pipeline import Chatbot
from chatbot.stores.faiss_store import current_version
from chatbot.watch import watch_in_background
from tests.conftest import free_port
from tests.documents import edit_document

GDP_QUESTION = "What was the GDP of Liangjiang New Area in 2020?"
# Writing the file again if the watcher has not reacted yet covers an edit made before it was
# watching; only a broken watcher runs out of the overall allowance.
RETOUCH_S = 5
GIVE_UP_S = 180


def test_edit_is_watched_rebuilt_and_answered_live(copy_of_bundled, encoder):
    settings = copy_of_bundled("live", port=free_port())
    bot = Chatbot(settings, encoder)
    demo = launch(bot, block=False)
    url = f"http://127.0.0.1:{settings.port}/"
    stop_asking = threading.Event()
    watcher, stop_watching = watch_in_background(settings.corpus, lambda: bot.build(progress=False))
    try:
        client = Client(url, verbose=False)
        first = client.predict(GDP_QUESTION, [], api_name="/ask")
        old_version = first["index_version"]
        assert "367.5" in first["answer"] and old_version == current_version(settings.index)

        answers: list[dict] = []
        failures: list[BaseException] = []

        def keep_asking() -> None:
            asker = Client(url, verbose=False)
            while not stop_asking.is_set():
                try:
                    answers.append(asker.predict(GDP_QUESTION, [], api_name="/ask"))
                except Exception as exc:  # every failure is reported by the assertion below
                    failures.append(exc)

        asking = threading.Thread(target=keep_asking)
        asking.start()

        doc = sorted(settings.corpus.iterdir())[3]
        edited = edit_document(doc, "RMB 367.5 billion", "RMB 412.8 billion")
        started = time.monotonic()
        while current_version(settings.index) == old_version:
            assert time.monotonic() - started < GIVE_UP_S, "the watcher never rebuilt the index"
            doc.write_bytes(edited)
            deadline = time.monotonic() + RETOUCH_S
            while current_version(settings.index) == old_version and time.monotonic() < deadline:
                time.sleep(0.1)

        new = client.predict(GDP_QUESTION, [], api_name="/ask")
        assert new["index_version"] == current_version(settings.index) != old_version
        assert "412.8" in new["answer"] and "367.5" not in new["answer"]
        assert all(c["doc_id"] == doc.name for c in new["citations"] if "412.8" in c["text"])
        stop_asking.set()
        asking.join(timeout=60)
        assert not failures
        assert answers
        for answer in answers:
            figure = "367.5" if answer["index_version"] == old_version else "412.8"
            assert figure in answer["answer"], answer
    finally:
        stop_asking.set()
        stop_watching.set()
        demo.close()
    watcher.join(timeout=30)
    assert not watcher.is_alive()
