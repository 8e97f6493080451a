"""Chinese questions answered from the second, multilingual (e5) index built beside the English one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from filelock import FileLock

from chatbot import indexer
from chatbot.corpus import scan_corpus
from chatbot.indexer import LOCK
from chatbot.pipeline import CHINESE_NOT_BUILT, Chatbot
from chatbot.stores.faiss_store import current_version

GDP = "两江新区2020年的地区生产总值是多少？"  # "What was Liangjiang New Area's GDP in 2020?"
GDP_DOC = "003_8e53e912d7235851.pdf"


@pytest.fixture(scope="module")
def chinese_bot(copy_of_bundled, encoder) -> Chatbot:
    """The bundled corpus and its English index, with the Chinese index built beside it."""
    bot = Chatbot(copy_of_bundled("chinese", chinese_index=True), encoder)
    report = bot.build(progress=False)
    assert report.plan.up_to_date  # the English index was copied: nothing to do there
    assert report.chinese is not None and report.chinese.wrote and report.chinese.chunks > 0
    return bot


def test_a_chinese_question_is_answered_from_english_passages_with_citations(chinese_bot):
    answer = chinese_bot.ask(GDP)
    assert not answer.abstained
    assert "367.5 billion" in answer.text and "[1]" in answer.text
    assert answer.citations[0].doc_id == GDP_DOC
    assert chinese_bot.chinese is not None
    assert answer.index_version == current_version(chinese_bot.chinese.settings.index)
    # The page shows when the index that answered was built: the Chinese one here.
    assert answer.built_at == chinese_bot.chinese.index().manifest.built_at


def test_english_questions_still_use_the_english_index(chinese_bot):
    answer = chinese_bot.ask("What was the GDP of Liangjiang New Area in 2020?")
    assert "367.5 billion" in answer.text
    assert answer.index_version == current_version(chinese_bot.settings.index)


def test_before_the_chinese_index_is_built_the_answer_says_what_to_do(copy_of_bundled, encoder):
    bot = Chatbot(copy_of_bundled("chinese-unbuilt", chinese_index=True), encoder)
    answer = bot.ask(GDP)
    assert answer.abstained and answer.text == CHINESE_NOT_BUILT and answer.citations == ()


def test_status_reports_the_chinese_index(chinese_bot):
    s = chinese_bot.settings
    run = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "status", "--corpus", str(s.corpus), "--index", str(s.index)],
        env={**os.environ, "CHATBOT_CHINESE_INDEX": "true"}, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Chinese:" in run.stdout and "passages, built" in run.stdout


def test_a_deleted_document_leaves_both_indexes(copy_of_bundled, encoder, monkeypatch):
    bot = Chatbot(copy_of_bundled("chinese-delete", chinese_index=True), encoder)
    bot.build(progress=False)
    (bot.settings.corpus / GDP_DOC).unlink()
    scans = []
    monkeypatch.setattr(indexer, "scan_corpus", lambda *a: scans.append(a) or scan_corpus(*a))
    report = bot.build(progress=False)
    assert len(scans) == 1  # both indexes are brought up to date from one reading of the corpus
    assert report.plan.removed == (GDP_DOC,)
    assert report.chinese is not None and report.chinese.plan.removed == (GDP_DOC,)
    answer = bot.ask(GDP)
    assert all(c.doc_id != GDP_DOC for c in answer.citations)
    assert "367.5" not in answer.text


def test_a_failed_chinese_build_is_reported_and_keeps_the_english_one(copy_of_bundled, encoder):
    bot = Chatbot(copy_of_bundled("chinese-locked", chinese_index=True), encoder)
    (bot.settings.corpus / "new.txt").write_text(
        "Liangjiang opened a hydrogen fuel cell test centre in 2024.\n", encoding="utf-8"
    )
    assert bot.chinese is not None
    chinese_lock = FileLock(str(bot.chinese.settings.index / LOCK))
    with chinese_lock.acquire(timeout=0):  # as if another build were writing the Chinese index
        report = bot.build(progress=False)
    assert report.plan.added == ("new.txt",) and report.wrote
    assert report.chinese is None and "Another build" in (report.chinese_error or "")
    assert "hydrogen fuel cell" in bot.ask("What test centre did Liangjiang open in 2024?").text
    # Chinese questions still get an answer from the version already built (or say it is missing).
    assert bot.ask(GDP).text
