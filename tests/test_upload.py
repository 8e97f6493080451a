"""Adding and deleting documents from the chat page, through a real Gradio server and gradio_client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from pydantic import SecretStr

from chatbot.app import launch
from chatbot.pipeline import Chatbot
from tests.conftest import free_port
from tests.documents import PAGE_2_QUESTION, brief_pdf, scanned_pdf


def _serve(settings, encoder) -> tuple[object, str]:
    bot = Chatbot(settings.model_copy(update={"port": free_port()}), encoder)
    return launch(bot, block=False), f"http://127.0.0.1:{bot.settings.port}/"


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "to-upload"
    folder.mkdir()
    out = {"brief": folder / "orchid valley brief.pdf", "scan": folder / "annual.pdf"}
    out["brief"].write_bytes(brief_pdf())
    out["scan"].write_bytes(scanned_pdf(brief_pdf()))
    return out


@pytest.fixture()
def open_server(copy_of_bundled, encoder) -> Iterator[tuple[str, Path]]:
    """A chat without logins whose operator turned uploads on (`uploads = "anyone"`)."""
    settings = copy_of_bundled("upload-open", uploads="anyone")
    demo, url = _serve(settings, encoder)
    yield url, settings.corpus
    demo.close()  # type: ignore[attr-defined]


def test_upload_indexes_a_pdf_cites_its_page_and_delete_removes_it(open_server, files):
    url, corpus = open_server
    client = Client(url, verbose=False)
    status, _, _, _ = client.predict([handle_file(str(files["brief"]))], api_name="/add_documents")
    assert "added orchid valley brief.pdf" in status and "passages" in status
    assert (corpus / "orchid valley brief.pdf").read_bytes() == files["brief"].read_bytes()
    answer = client.predict(PAGE_2_QUESTION, [], api_name="/ask")
    cited = [c for c in answer["citations"] if c["doc_id"] == "orchid valley brief.pdf"]
    assert cited and cited[0]["page"] == 2 and "35 percent" in answer["answer"]

    again, _, _, _ = client.predict([handle_file(str(files["brief"]))], api_name="/add_documents")
    assert "refused" in again and "already has orchid valley brief.pdf" in again
    scan, _, _, _ = client.predict([handle_file(str(files["scan"]))], api_name="/add_documents")
    assert "refused annual.pdf: pages 1-3 have no text layer (scanned?)" in scan
    assert not (corpus / "annual.pdf").exists()

    gone, _, _ = client.predict("orchid valley brief.pdf", api_name="/delete_document")
    assert "Deleted orchid valley brief.pdf" in gone and "removed orchid valley brief.pdf" in gone
    assert not (corpus / "orchid valley brief.pdf").exists()
    after = client.predict(PAGE_2_QUESTION, [], api_name="/ask")
    assert all(c["doc_id"] != "orchid valley brief.pdf" for c in after["citations"])
    with pytest.raises(Exception, match="not in the list of choices"):  # Gradio checks the choice
        client.predict("../pyproject.toml", api_name="/delete_document")
    assert (corpus.parent / "index").is_dir()


def test_uploads_are_off_on_an_open_chat_by_default(copy_of_bundled, encoder, files):
    settings = copy_of_bundled("upload-default")
    demo, url = _serve(settings, encoder)
    try:
        client = Client(url, verbose=False)
        # Gradio's own size cap (max_upload_bytes) refuses the file before our handler sees it.
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a bare error for a refused upload
            client.predict([handle_file(str(files["brief"]))], api_name="/add_documents")
        status, _, _ = client.predict("000_983622f021da30df.txt", api_name="/delete_document")
        assert "turned off" in status
        assert (settings.corpus / "000_983622f021da30df.txt").exists()
    finally:
        demo.close()  # type: ignore[attr-defined]


def test_a_signed_in_user_may_upload_when_the_chat_has_logins(copy_of_bundled, encoder, files):
    settings = copy_of_bundled("upload-auth", auth=SecretStr("alice:s3cret"))
    demo, url = _serve(settings, encoder)
    try:
        client = Client(url, auth=("alice", "s3cret"), verbose=False)
        status, _, _, _ = client.predict([handle_file(str(files["brief"]))], api_name="/add_documents")
        assert "added orchid valley brief.pdf" in status
    finally:
        demo.close()  # type: ignore[attr-defined]
