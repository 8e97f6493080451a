"""Follow-up questions are resolved against the conversation before retrieval."""

from __future__ import annotations

import pytest

from chatbot.followup import depends_on_context, refers_to_person, resolve
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
        # "he" is the person the previous answer named, who the previous question does not name.
        (
            ["Who spoke at the Berlin venue of the 2023 conference?"],
            "Which organization does he chair?",
            ["BWA"],
        ),
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


def test_pronouns_for_a_person_are_recognised():
    assert refers_to_person("What's his title?")
    assert refers_to_person("Which organization does she chair?")
    assert not refers_to_person("When was it founded?")
    assert not refers_to_person("Where is the headquarters?")


def test_the_previous_answer_is_reused_for_a_follow_up(bundled_bot, monkeypatch):
    history = ["Who led the Liangjiang delegation that visited Atlanta in 2018?"]
    bundled_bot.ask(history[0])
    asked = []
    real_ask = bundled_bot.ask
    monkeypatch.setattr(bundled_bot, "ask", lambda q, h=(): asked.append(q) or real_ask(q, h))
    answer = real_ask("What's his title?", history)
    assert contains_key(answer.text, ["deputy director"])
    assert asked == []  # the remembered answer named him; the first question was not asked again
