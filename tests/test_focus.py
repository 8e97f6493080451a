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
        ("What is the expected GDP?", "expected GDP"),
        # A second question joined by "and" is not part of what the first asks about.
        ("Who is Jun Lin and what was her earlier role in the U.S.?", "Jun Lin"),
        # "What is X worth?" asks for a sum (the money type), not for X by name.
        ("What is the online marketplace worth?", "online marketplace"),
        # A passive verb, not a thing: "founded earlier".
        ("Which was founded earlier, Zhubajie or Cloud Walk?", ""),
        ("Which was established first?", ""),
        # "is"/"are" as the auxiliary of a verb ending the phrase: the question asks what is done.
        ("What is Liangjiang aiming to become?", ""),
        ("What are European research institutions invited to do in Chongqing?", ""),
        ("What is being done in the area to build up tech talent?", ""),
        ("What was Liangjiang originally meant to be?", ""),
        # With an article it is a thing again.
        ("What is the amount invested in the plant?", "amount invested"),
        ("How many listed companies does Chongqing have?", "listed companies"),
        ("What is green finance in Liangjiang?", "green finance"),
        ("What is Liangjiang's seed fund?", "seed fund"),
        # Shell nouns stand for what the answer spells out in other words.
        ("What are Liangjiang's ambitions for the high-end service sector?", ""),
        ("What was the state of U.S.-China economic relations at the time?", ""),
        ("What is Liangjiang's strategic orientation compared with coastal zones?", ""),
    ],
)
def test_what_a_question_asks_about_is_found(question, focus):
    assert focus_phrase(question) == focus


def test_a_qualified_title_is_not_the_title_asked_for():
    sentence = "Wang Yu, Deputy Director of the Administrative Committee, spoke."
    asked = frozenset(["who", "is", "the", "director", "of", "the", "committee"])
    assert "Director" not in unqualified(sentence, asked)
    assert "Deputy Director" in unqualified(sentence, asked | {"deputy"})
