"""Index storage: round trip, refusal of a mismatched index, atomic versions and their pruning."""

from __future__ import annotations

import shutil

import pytest

from chatbot.indexer import index_spec
from chatbot.pipeline import Chatbot
from chatbot.stores import IndexMismatch, IndexMissing
from chatbot.stores.faiss_store import VERSIONS, current_version, load_index, read_manifest
from tests.documents import edit_document


def test_round_trip(make_settings, encoder):
    settings = make_settings()
    report = Chatbot(settings, encoder).build(progress=False)
    assert report.wrote and report.documents == 5 and report.chunks > 10
    loaded = load_index(settings.index, index_spec(settings, encoder))
    assert loaded.version == report.version == current_version(settings.index)
    assert len(loaded.chunks) == loaded.vectors.ntotal == report.chunks
    manifest = read_manifest(settings.index)
    assert manifest is not None
    assert set(manifest.documents) == {p.name for p in settings.corpus.iterdir()}
    assert manifest.spec.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2")
    # The stored vector of a chunk is the model's vector of its text.
    row, score = loaded.search(encoder.encode_passages([loaded.chunks[3].text])[0], 1)[0]
    assert row == 3 and score == pytest.approx(1.0, abs=1e-4)


def test_missing_index_says_to_build(make_settings, encoder):
    settings = make_settings()
    with pytest.raises(IndexMissing, match="chatbot index"):
        load_index(settings.index, index_spec(settings, encoder))


def test_index_built_with_other_settings_is_refused(make_settings, encoder):
    built = make_settings(chunk_tokens=128)
    Chatbot(built, encoder).build(progress=False)
    other = make_settings(chunk_tokens=64)
    with pytest.raises(IndexMismatch, match="rebuild"):
        load_index(other.index, index_spec(other, encoder))
    with pytest.raises(IndexMismatch, match="--full"):
        Chatbot(other, encoder).ask("What is Liangjiang?")


def test_unchanged_corpus_writes_nothing(make_settings, encoder):
    settings = make_settings()
    bot = Chatbot(settings, encoder)
    first = bot.build(progress=False)
    second = bot.build(progress=False)
    assert not second.wrote and second.version == first.version


def _edit_and_build(settings, encoder, old: str, new: str):
    edit_document(sorted(settings.corpus.iterdir())[3], old, new)
    return Chatbot(settings, encoder).build(progress=False)


def test_leftovers_of_killed_builds_go_and_one_previous_version_stays(copy_of_bundled, encoder):
    settings = copy_of_bundled("prune")
    versions = settings.index / VERSIONS
    first = current_version(settings.index)
    # What builds killed at other moments leave: a half-written folder, and a complete folder
    # that was renamed into place but never made live.
    (versions / ".tmp-20260101T000000000000-killed").mkdir()
    (versions / ".tmp-20260101T000000000000-killed" / "vectors.faiss").write_bytes(b"\0" * 10)
    shutil.copytree(versions / first, versions / "99991231T235959000000-orphan")
    assert load_index(settings.index, index_spec(settings, encoder)).version == first

    second = _edit_and_build(settings, encoder, "367.5", "412.8").version
    assert sorted(p.name for p in versions.iterdir()) == sorted([first, second])
    third = _edit_and_build(settings, encoder, "412.8", "398.1").version
    assert sorted(p.name for p in versions.iterdir()) == sorted([second, third])
    spec = index_spec(settings, encoder)
    # The previous version stays readable for a reader that opened it just before the switch.
    assert load_index(settings.index, spec, second).version == second
    # A reader whose version was pruned while it opened it gets the live one.
    assert load_index(settings.index, spec, first).version == third
