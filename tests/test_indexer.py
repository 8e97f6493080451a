"""Incremental builds: per-document diff, reuse of unchanged vectors, answers that follow edits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from filelock import FileLock

from chatbot.cli import main
from chatbot.indexer import LOCK, BuildLocked, NoDocuments, index_spec
from chatbot.pipeline import Chatbot
from chatbot.stores.faiss_store import VERSIONS, current_version, load_index
from tests.conftest import CountingEncoder
from tests.documents import edit_document

GDP_QUESTION = "What was the GDP of Liangjiang New Area in 2020?"
PROJECTS_QUESTION = "How many projects did Liangjiang sign at the 2023 investment promotion conference?"
JOINT_QUESTION = "When did Liangjiang and Tianfu New Area hold their first joint conference?"
NEW_QUESTION = "What is the Yunhan Hydrogen Valley?"
NEW_DOC = (
    "Yunhan Hydrogen Valley opens in Liangjiang\n\n"
    "Liangjiang New Area opened the Yunhan Hydrogen Valley in 2024. The Yunhan Hydrogen Valley is a "
    "48-hectare industrial park for makers of hydrogen fuel-cell trucks and their suppliers.\n"
)
JOINT_DOC = (
    "Chongqing and Chengdu cooperate\n\n"
    "Liangjiang New Area in Chongqing and Tianfu New Area in Chengdu held their first joint conference on "
    "Feb 28, 2020 to promote the Chengdu-Chongqing economic circle.\n\n"
    "Both new areas will work together on inland opening-up, transport links and technology innovation.\n"
)


def cited(answer) -> set[str]:
    return {c.doc_id for c in answer.citations}


def test_add_change_delete_rename(copy_of_bundled, encoder):
    settings = copy_of_bundled("edits")
    corpus = settings.corpus
    docs = sorted(p.name for p in corpus.iterdir())
    before = load_index(settings.index, index_spec(settings, encoder))
    bot = Chatbot(settings, encoder)
    assert docs[1] in cited(bot.ask(PROJECTS_QUESTION))

    (corpus / "005_hydrogen.txt").write_text(NEW_DOC, encoding="utf-8")
    edit_document(corpus / docs[3], "RMB 367.5 billion", "RMB 412.8 billion")
    (corpus / docs[1]).unlink()
    (corpus / docs[2]).rename(corpus / "002_chengdu_cooperation.txt")
    counting = CountingEncoder(encoder)
    report = Chatbot(settings, counting).build(progress=False)

    plan = report.plan
    assert sorted(plan.added) == ["002_chengdu_cooperation.txt", "005_hydrogen.txt"]
    assert plan.changed == (docs[3],)
    assert sorted(plan.removed) == [docs[1], docs[2]]
    assert plan.unchanged == (docs[0], docs[4])
    assert plan.full_reason is None and report.documents == 5

    after = load_index(settings.index, index_spec(settings, encoder))
    assert after.version == report.version != before.version
    assert {c.doc_id for c in after.chunks} == {docs[0], docs[3], docs[4], *plan.added}
    # Only texts that were never embedded went through the encoder: the new document and the
    # passage with the changed figure. The renamed document's vectors came from the cache.
    encoded = set(counting.passages)
    assert report.embedded == len(counting.passages) == len(encoded) >= 2
    assert report.reused == report.chunks - report.embedded
    assert any("Yunhan" in t for t in encoded) and any("412.8" in t for t in encoded)
    kept = {c.text for c in after.chunks if c.doc_id in (docs[0], docs[4], "002_chengdu_cooperation.txt")}
    assert not encoded & kept
    old_rows = {c.chunk_id: i for i, c in enumerate(before.chunks)}
    for i, chunk in enumerate(after.chunks):
        if chunk.doc_id in plan.unchanged:
            old = before.vectors.reconstruct(old_rows[chunk.chunk_id])
            assert np.array_equal(after.vectors.reconstruct(i), old)

    # The running chatbot answers from the new version at its next question.
    gdp = bot.ask(GDP_QUESTION)
    assert gdp.index_version == report.version
    assert "412.8" in gdp.text and "367.5" not in gdp.text
    assert all("367.5" not in c.text for c in gdp.citations)
    assert docs[1] not in cited(bot.ask(PROJECTS_QUESTION))
    assert "005_hydrogen.txt" in cited(bot.ask(NEW_QUESTION))
    assert "002_chengdu_cooperation.txt" in cited(bot.ask(JOINT_QUESTION))


def test_progress_callback_reports_every_stage(copy_of_bundled, encoder):
    settings = copy_of_bundled("progress")
    edit_document(sorted(settings.corpus.iterdir())[3], "367.5", "412.8")
    calls: list[tuple[str, int, int]] = []
    report = Chatbot(settings, encoder).build(progress=False, on_progress=lambda *call: calls.append(call))
    assert report.embedded >= 1
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["scan", "chunk", "embed", "write"]
    assert ("chunk", 5, 5) in calls and ("embed", report.embedded, report.embedded) in calls
    assert calls[-1] == ("write", 1, 1)
    assert all(0 <= done <= total for _, done, total in calls)


def test_settings_change_forces_full_rebuild_and_says_so(make_settings, encoder, monkeypatch, capsys):
    settings = make_settings(copy_corpus=False)
    (settings.corpus / "joint.txt").write_text(JOINT_DOC, encoding="utf-8")
    folders = ["--corpus", str(settings.corpus), "--index", str(settings.index), "--quiet"]
    assert main(["index", *folders]) == 0
    monkeypatch.setenv("CHATBOT_CHUNK_TOKENS", "96")
    capsys.readouterr()
    assert main(["status", "--corpus", str(settings.corpus), "--index", str(settings.index)]) == 0
    assert "next build is a full rebuild" in capsys.readouterr().out
    assert main(["index", *folders]) == 0
    out = capsys.readouterr().out
    assert "Full rebuild: settings changed" in out and "chunks of 96 tokens" in out
    other = make_settings(chunk_tokens=96)
    loaded = load_index(other.index, index_spec(other, encoder))
    assert loaded.manifest.spec.chunk_tokens == 96
    assert max(encoder.count_tokens(c.text) for c in loaded.chunks) <= 96


def test_dry_run_and_status_write_nothing(copy_of_bundled, capsys):
    settings = copy_of_bundled("dry-run")
    live = current_version(settings.index)
    files = sorted(p.name for p in (settings.index / VERSIONS).iterdir())
    doc = sorted(settings.corpus.iterdir())[3]
    edit_document(doc, "367.5", "412.8")
    folders = ["--corpus", str(settings.corpus), "--index", str(settings.index)]
    capsys.readouterr()
    assert main(["index", "--dry-run", *folders]) == 0
    out = capsys.readouterr().out
    assert f"changed   {doc.name}" in out and "Dry run: nothing was written." in out
    assert main(["index", "--status", *folders]) == 0
    out = capsys.readouterr().out
    assert "Documents: 5;" in out and f"Stale:     1 document(s) differ from the corpus: {doc.name}" in out
    assert current_version(settings.index) == live
    assert sorted(p.name for p in (settings.index / VERSIONS).iterdir()) == files


def test_bad_documents_are_skipped_and_never_empty_the_index(copy_of_bundled, encoder, capsys):
    settings = copy_of_bundled("bad-docs")
    corpus = settings.corpus
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (corpus / "empty.md").write_text("  \n", encoding="utf-8")
    bot = Chatbot(settings, encoder)
    live = current_version(settings.index)
    folders = ["--corpus", str(corpus), "--index", str(settings.index), "--quiet"]
    capsys.readouterr()
    assert main(["index", *folders]) == 0
    out = capsys.readouterr().out
    assert "skipped   empty.md: empty file" in out and "skipped   photo.txt: binary file" in out
    assert "0 added, 0 changed, 0 removed, 5 unchanged, 2 skipped" in out
    assert main(["status", *folders[:-1]]) == 0
    assert "Skipped:   empty.md (empty file); photo.txt" in capsys.readouterr().out
    assert current_version(settings.index) == live

    # A corpus left with nothing usable (say, a failed mount) keeps the good index.
    for path in corpus.iterdir():
        if path.suffix in (".txt", ".pdf") and path.name != "photo.txt":
            path.unlink()
    with pytest.raises(NoDocuments, match="index was left as it is"):
        bot.build(progress=False)
    capsys.readouterr()
    assert main(["index", *folders]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No usable document") and err.count("\n") == 1
    assert current_version(settings.index) == live
    assert "367.5" in bot.ask(GDP_QUESTION).text


def test_second_build_is_refused_while_one_runs(copy_of_bundled, encoder, capsys):
    settings = copy_of_bundled("locked")
    # A running build holds this lock (test_crash.py shows it with a real build process).
    with FileLock(str(settings.index / LOCK)):
        with pytest.raises(BuildLocked, match="Another build"):
            Chatbot(settings, encoder).build(progress=False)
        assert main(["index", "--corpus", str(settings.corpus), "--index", str(settings.index)]) == 2
        assert "wait for it to finish" in capsys.readouterr().err
    assert Chatbot(settings, encoder).build(progress=False).version == current_version(settings.index)


def test_an_index_from_before_the_chunk_boundaries_setting_stays_valid(make_settings, capsys):
    # Manifests written before `chunk_boundaries` existed lack it: they were cut at sentences.
    settings = make_settings(copy_corpus=False)
    (settings.corpus / "joint.txt").write_text(JOINT_DOC, encoding="utf-8")
    folders = ["--corpus", str(settings.corpus), "--index", str(settings.index), "--quiet"]
    assert main(["index", *folders]) == 0
    version = current_version(settings.index)
    path = settings.index / VERSIONS / str(version) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["spec"]["chunk_boundaries"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    capsys.readouterr()
    assert main(["index", "--corpus", str(settings.corpus), "--index", str(settings.index)]) == 0
    assert "Index is up to date" in capsys.readouterr().out
    assert current_version(settings.index) == version
