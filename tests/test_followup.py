"""Follow-up questions are resolved against the conversation before retrieval."""

from __future__ import annotations

import pytest

from chatbot.followup import depends_on_context, resolve
from chatbot.metrics import contains_key


@pytest.mark.parametrize(
    ("question", "depends"),
    [
        ("When was it founded?", True),
        ("And how many of those were manufacturing projects?", True),
        ("What about the service projects?", True),
        ("Which organization does he chair?", True),
        ("What was Liangjiang New Area's GDP in 2020?", False),
        ("Which South Korean tyre company operates in Liangjiang?", False),
    ],
)
def test_questions_that_point_back_are_recognised(question, depends):
    assert depends_on_context(question, min_terms=2) is depends


def test_a_follow_up_carries_the_earlier_questions_it_depends_on():
    history = [
        "Which new area did Liangjiang hold a joint conference with in 2020?",
        "When was that meeting held?",
    ]
    resolved = resolve("What did the two sides agree to set up?", history, min_terms=2)
    assert resolved.question == "What did the two sides agree to set up?"
    assert "joint conference" in resolved.context and "that meeting" in resolved.context
    assert resolved.search_text.endswith(resolved.question)


def test_a_standalone_question_ignores_the_history():
    resolved = resolve("What was Liangjiang New Area's GDP in 2020?", ["Who is Jun Lin?"], min_terms=2)
    assert resolved.context == ""
    assert resolved.search_text == "What was Liangjiang New Area's GDP in 2020?"


@pytest.mark.parametrize(
    ("history", "question", "keys"),
    [
        (["Which company runs Zhubajie.com?"], "When was it founded?", ["2006"]),
        (["When was Liangjiang New Area set up?"], "Which body approved it?", ["State Council"]),
    ],
)
def test_follow_ups_are_answered_from_the_conversation(bundled_bot, history, question, keys):
    answer = bundled_bot.ask(question, history)
    assert not answer.abstained
    assert contains_key(answer.text, keys)


def test_the_same_words_without_history_do_not_borrow_context(bundled_bot):
    alone = bundled_bot.ask("When was it founded?")
    followed = bundled_bot.ask("When was it founded?", ["Which company runs Zhubajie.com?"])
    assert alone.text != followed.text
