"""What a question asks about, which the answer's passage must name."""

from __future__ import annotations

import pytest

from chatbot.focus import focus_phrase, unqualified


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("What is the unemployment rate in Liangjiang New Area?", "unemployment rate"),
        ("What was Liangjiang's GDP growth rate in 2020?", "GDP growth rate"),
        ("Who is the director (head) of the Administrative Committee?", "director"),
        ("What is the standard lease term, in years, for industrial land?", "standard lease term"),
        ("How many working days does it take to register a company?", "working days"),
        ("Which sectors do Hong Kong investments cover?", ""),
        ("When was the conference held?", ""),
    ],
)
def test_what_a_question_asks_about_is_found(question, focus):
    assert focus_phrase(question) == focus


def test_a_qualified_title_is_not_the_title_asked_for():
    sentence = "Wang Yu, Deputy Director of the Administrative Committee, spoke."
    assert "Director" not in unqualified(sentence, "Who is the director of the committee?")
    assert "Deputy Director" in unqualified(sentence, "Who is the deputy director of the committee?")
