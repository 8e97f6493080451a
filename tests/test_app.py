"""The real Gradio server on 127.0.0.1, asked through gradio_client and plain HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from gradio_client import Client
from pydantic import SecretStr

from chatbot.app import launch
from chatbot.logins import ServeError, auth_pairs
from chatbot.pipeline import Chatbot
from chatbot.render import escape_html, escape_markdown, sources_html
from chatbot.settings import load_settings
from chatbot.types import Answer, Citation
from tests.conftest import free_port


def _start(bot: Chatbot, **overrides: object) -> tuple[object, str]:
    settings = bot.settings.model_copy(update={"host": "127.0.0.1", "port": free_port(), **overrides})
    demo = launch(Chatbot(settings, bot.encoder), block=False)
    return demo, f"http://127.0.0.1:{settings.port}/"


@pytest.fixture(scope="module")
def server(bundled_bot: Chatbot) -> Iterator[str]:
    """The chat page over the bundled corpus, on a free local port."""
    demo, url = _start(bundled_bot)
    yield url
    demo.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def client(server: str) -> Client:
    return Client(server, verbose=False)


def test_question_through_the_api_gets_a_cited_answer(client):
    result = client.predict("What was Liangjiang New Area's GDP in 2020?", [], api_name="/ask")
    assert not result["abstained"]
    assert "367.5 billion" in result["answer"]
    assert result["index_version"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert markers and markers <= {c["n"] for c in result["citations"]}
    for c in result["citations"]:
        a, b = c["highlight"]
        assert c["title"] and c["doc_id"] and 0 <= a < b <= len(c["text"])
    assert any("367.5 billion" in c["text"] for c in result["citations"])


def test_follow_up_history_is_accepted(client):
    result = client.predict("And in 2020?", ["What was Liangjiang New Area's GDP?"], api_name="/ask")
    assert "answer" in result and "error" not in result


def test_unanswerable_question_is_abstained(client):
    result = client.predict("What is the minimum wage in Chongqing?", [], api_name="/ask")
    assert result["abstained"]
    assert result["answer"].startswith("The documents don't say")


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "Please type a question"), ("x " * 10_000, "characters long")],
)
def test_bad_question_gets_a_message_not_an_error(client, question, message):
    result = client.predict(question, [], api_name="/ask")
    assert message in result["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/file=/etc/passwd",
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=../../../../etc/passwd",
        "/gradio_api/file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/gradio_api/file=pyproject.toml",
        "/gradio_api/file=chatbot/settings.py",
        "/static/../../../../etc/passwd",
        "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_no_route_serves_files_from_disk(server, path):
    response = httpx.get(server.rstrip("/") + path)
    assert response.status_code in (400, 403, 404)
    assert "root:" not in response.text


def test_index_and_corpus_files_are_refused(server, bundled_bot):
    index_dir = bundled_bot.settings.index.resolve()
    corpus_file = next(bundled_bot.settings.corpus.resolve().glob("*.txt"))
    for target in (index_dir / "CURRENT", index_dir / "embeddings.sqlite", corpus_file):
        for prefix in ("/gradio_api/file=", "/file="):
            response = httpx.get(server.rstrip("/") + prefix + str(target))
            assert response.status_code in (403, 404), target
            assert target.read_bytes()[:40] not in response.content


def test_page_has_title_examples_and_index_note(server, bundled_bot):
    page = httpx.get(server).text
    assert "Liangjiang New Area — investor Q&amp;A" in page or "Liangjiang New Area" in page
    config = httpx.get(server.rstrip("/") + "/config").json()
    text = str(config)
    assert "What was the GDP of Liangjiang New Area in 2020?" in text
    assert bundled_bot.index().version in text
    assert "Rebuild index" in text


def test_login_is_required_when_auth_is_set(bundled_bot):
    demo, url = _start(bundled_bot, auth=SecretStr("alice:s3cret"))  # model_copy does not validate
    try:
        assert httpx.get(url.rstrip("/") + "/config").status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a bare ValueError here
            Client(url, verbose=False)
        with pytest.raises(ValueError):
            Client(url, auth=("alice", "wrong"), verbose=False)
        result = Client(url, auth=("alice", "s3cret"), verbose=False).predict(
            "How large is Liangjiang New Area?", [], api_name="/ask"
        )
        assert result["citations"]
    finally:
        demo.close()  # type: ignore[attr-defined]


def test_auth_options_are_parsed_and_checked(tmp_path):
    logins = tmp_path / "logins"
    logins.write_text("alice:a:b\n\nbob:pw\n", encoding="utf-8")
    assert auth_pairs(load_settings(auth_file=logins)) == [("alice", "a:b"), ("bob", "pw")]
    assert auth_pairs(load_settings()) is None
    with pytest.raises(ServeError, match="USER:PASSWORD"):
        auth_pairs(load_settings(auth="nopassword"))
    with pytest.raises(ServeError, match="Cannot read"):
        auth_pairs(load_settings(auth_file=tmp_path / "missing"))


def test_serve_command_refuses_a_malformed_login(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "serve", "--auth", "alice", "--index", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    assert "USER:PASSWORD" in run.stderr and "Traceback" not in run.stderr


HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3)) $$x$$"


def test_rendering_escapes_document_markup():
    citation = Citation(1, "a<b>.txt", "T<i>tle", "2020", f"Intro.\n\n{HOSTILE} End.", 0, 10, 0.5, (7, 20))
    answer = Answer("q", f"{HOSTILE} [1]", False, (citation,), "v1")
    html = sources_html(answer, "2026-01-01")
    assert "<script" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "\n" not in html
    assert '<mark class="support">' in html and "v1" in html and "2026-01-01" in html
    # Several quoted sentences of one passage are each marked (overlaps once), the text between kept.
    two = Citation(1, "a.txt", "T", None, "One. Two. Three.", 0, 16, 0.5, (0, 4), ((0, 4), (3, 4), (10, 16)))
    marked = '<mark class="support">One.</mark> Two. <mark class="support">Three.</mark>'
    assert marked in sources_html(Answer("q", "One. [1] Three. [1]", False, (two,), "v1"))
    body = escape_markdown(answer.text)
    assert "<script" not in body and "\\[link\\]" in body and body.endswith("[1]")
    assert escape_html("a\nb") == "a<br>b"
