"""Loading: bad files are skipped with a reason; the good ones still load."""

from __future__ import annotations

from pathlib import Path

from chatbot.corpus import scan_corpus

GOOD = "Liangjiang New Area signed 28 projects in January. The projects total 30 billion yuan.\n"


def _write(folder: Path, name: str, data: bytes) -> None:
    (folder / name).write_bytes(data)


def test_bad_files_are_skipped_and_named(tmp_path):
    _write(tmp_path, "good.txt", GOOD.encode())
    _write(tmp_path, "empty.txt", b"")
    _write(tmp_path, "blank.md", b"   \n\n  ")
    _write(tmp_path, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _write(tmp_path, "report.pdf", b"%PDF-1.4")
    outside = tmp_path.parent / "outside.txt"
    outside.write_text(GOOD)
    (tmp_path / "link.txt").symlink_to(outside)
    scan = scan_corpus(tmp_path, 5_000_000)
    assert [d.doc_id for d in scan.documents] == ["good.txt"]
    reasons = {s.doc_id: s.reason for s in scan.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.md"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "not a PDF" in reasons["report.pdf"]
    assert "outside the corpus" in reasons["link.txt"]


def test_legacy_encodings_are_decoded(tmp_path):
    _write(tmp_path, "gbk.txt", ("两江新区位于重庆。" * 20 + "\n").encode("gbk"))
    latin = "The café in Liangjiang opened in 2019 near the Jialing river. " * 3
    _write(tmp_path, "latin1.txt", latin.encode("latin-1"))
    scan = scan_corpus(tmp_path, 5_000_000)
    texts = {d.doc_id: d.text for d in scan.documents}
    assert "两江新区位于重庆" in texts["gbk.txt"]
    assert "café" in texts["latin1.txt"]


def test_oversized_file_is_skipped(tmp_path):
    _write(tmp_path, "huge.txt", GOOD.encode() * 100)
    scan = scan_corpus(tmp_path, 1000)
    assert scan.documents == ()
    assert "too large" in scan.skipped[0].reason


def test_doc_id_is_relative_path(tmp_path):
    (tmp_path / "news" / "2023").mkdir(parents=True)
    _write(tmp_path / "news" / "2023", "a b 两江.txt", GOOD.encode())
    scan = scan_corpus(tmp_path, 5_000_000)
    assert [d.doc_id for d in scan.documents] == ["news/2023/a b 两江.txt"]
