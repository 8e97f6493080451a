"""End to end with the real model and a real FAISS index on the bundled corpus."""

from __future__ import annotations

import re

import pytest

from chatbot.metrics import contains_key
from chatbot.pipeline import Chatbot, InvalidQuestion

CORE = [
    ("What was Liangjiang New Area's GDP in 2020?", ["367.5 billion"]),
    ("How many projects did Liangjiang sign at the 2023 investment promotion conference?", ["28 projects"]),
    ("Which South Korean tyre company operates in Liangjiang?", ["Hankook"]),
    ("When was Liangjiang New Area approved by the State Council?", ["2010"]),
    ("How many global investment consultants were hired in 2023?", ["11 global", "Eleven investment"]),
]


@pytest.mark.parametrize(("question", "keys"), CORE)
def test_core_questions_are_answered_with_supporting_citations(bundled_bot, question, keys):
    answer = bundled_bot.ask(question)
    assert not answer.abstained
    assert contains_key(answer.text, keys)
    assert answer.built_at == bundled_bot.index().manifest.built_at
    assert any(contains_key(c.text, keys) for c in answer.citations)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers and markers <= {c.n for c in answer.citations}
    for c in answer.citations:
        a, b = c.highlight
        assert c.text[a:b] and " ".join(c.text[a:b].split()) in answer.text


def test_citations_quote_the_document_exactly(bundled_bot):
    answer = bundled_bot.ask("What was Liangjiang New Area's GDP in 2020?")
    for c in answer.citations:
        doc = (bundled_bot.settings.corpus / c.doc_id).read_bytes()
        from chatbot.corpus import read_document

        cleaned = read_document(c.doc_id, bundled_bot.settings.corpus / c.doc_id, 10**7).text
        assert cleaned[c.start : c.end] == c.text
        assert c.title and doc


@pytest.mark.parametrize(
    "question",
    [
        "What is the corporate income tax rate for companies in Liangjiang?",
        "What is the minimum wage in Chongqing?",
        # Its passage names OneSpace's factory but no sum: a money question needs a sum.
        "How much did OneSpace invest in its Liangjiang factory?",
    ],
)
def test_unanswerable_questions_are_abstained(bundled_bot, question):
    answer = bundled_bot.ask(question)
    assert answer.abstained
    assert answer.text.startswith("The documents don't say")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "Please type a question"),
        ("   \n\t ", "Please type a question"),
        ("x" * 20_000, "20,000 characters"),
        ("?!...", "in words"),
    ],
)
def test_bad_questions_get_a_clear_message(bundled_bot, question, message):
    with pytest.raises(InvalidQuestion, match=message):
        bundled_bot.ask(question)


def test_bad_files_do_not_stop_the_build(make_settings, encoder):
    settings = make_settings()
    (settings.corpus / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    (settings.corpus / "empty.txt").write_bytes(b"")
    report = Chatbot(settings, encoder).build(progress=False)
    assert report.documents == 5
    assert {s.doc_id for s in report.plan.scan.skipped} == {"broken.txt", "empty.txt"}
    answer = Chatbot(settings, encoder).ask("What was Liangjiang New Area's GDP in 2020?")
    assert contains_key(answer.text, ["367.5 billion"])


def test_a_person_named_by_title_is_introduced_by_full_name(bundled_bot):
    # The article names her "Jun Lin" once, then "Ms. Lin"; the answer quotes the "Ms. Lin"
    # sentence, so the one giving her full name follows it, quoted and cited like any other.
    answer = bundled_bot.ask("Who helped organize the Liangjiang delegation's visit to Atlanta?")
    assert not answer.abstained
    assert answer.text.index("said Ms. Lin") < answer.text.index("Jun Lin, a Chongqing native")
    assert answer.text.count("Jun Lin, a Chongqing native") == 1
    intro = [c for c in answer.citations if "Jun Lin" in c.text[c.highlight[0] : c.highlight[1]]]
    assert intro and f"[{intro[0].n}]" in answer.text.split("Jun Lin, a Chongqing native", 1)[1][:200]
    # A question whose answer names the person in full gets nothing added.
    named = bundled_bot.ask("Who laid out the Liangjiang vision at the Atlanta luncheon?")
    assert "Tang Zongwei" in named.text and named.text.count("Tang Zongwei") == 1
