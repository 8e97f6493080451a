"""Follow-up questions are resolved against the conversation before retrieval."""

from __future__ import annotations

import pytest

from chatbot.followup import depends_on_context, person_names, refers_to_person, resolve
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


@pytest.mark.parametrize(
    ("question", "person"),
    [
        ("What's his title?", True),
        ("Which organization does she chair?", True),
        ("When was it founded?", False),
        ("Where is the headquarters?", False),
        ("他的职务是什么？", True),
        ("她在哪里工作？", True),
        # 其他 is "other", 他们 is "they": not one person.
        ("还有其他公司吗？", False),
        ("他们签了什么协议？", False),
    ],
)
def test_pronouns_for_a_person_are_recognised(question, person):
    assert refers_to_person(question) is person


def _searches(bot, monkeypatch) -> list[str]:
    """Record the text each retrieval searches with."""
    searched: list[str] = []
    real = bot.retriever.retrieve
    def spy(query, *args, **kwargs):
        searched.append(query.search_text)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(bot.retriever, "retrieve", spy)
    return searched


def test_he_is_searched_as_the_person_the_previous_answer_named(bundled_bot, monkeypatch):
    history = ["Who spoke at the Berlin venue of the 2023 conference?"]
    previous = bundled_bot.ask(history[0])
    assert "Michael Schumann" in previous.text
    searched = _searches(bundled_bot, monkeypatch)
    answer = bundled_bot.ask("Which organization does he chair?", history)
    assert "Michael Schumann" in searched[-1]
    assert contains_key(answer.text, ["BWA"])


def _fresh(bundled_bot):
    from chatbot.pipeline import Chatbot

    return Chatbot(bundled_bot.settings, bundled_bot.encoder)


def _count_answers(bot, monkeypatch) -> list[str]:
    """Record the question of each answer the bot computes (remembered ones are not computed)."""
    computed: list[str] = []
    real = bot._write
    monkeypatch.setattr(bot, "_write", lambda query, *a: computed.append(query.text) or real(query, *a))
    return computed


def test_a_chain_of_person_follow_ups_looks_back_one_answer_only(bundled_bot, monkeypatch):
    bot = _fresh(bundled_bot)
    computed = _count_answers(bot, monkeypatch)
    history = ["Who spoke at the Berlin venue of the 2023 conference?"] + [
        f"What did he say in part {n}?" for n in range(25)
    ]
    bot.ask("Which organization does he chair?", history)
    assert computed == [history[-1], "Which organization does he chair?"]


def test_the_remembered_answer_is_found_when_the_history_window_slides(bundled_bot, monkeypatch):
    bot = _fresh(bundled_bot)
    first = "When was Liangjiang New Area set up?"
    second = "Who spoke at the Berlin venue of the 2023 conference?"
    bot.ask(second, [first])
    computed = _count_answers(bot, monkeypatch)
    # The app sends only the last turns: the first question has dropped out of the window.
    answer = bot.ask("Which organization does he chair?", [second])
    assert computed == ["Which organization does he chair?"]
    assert contains_key(answer.text, ["BWA"])


@pytest.mark.parametrize("earlier", ["!!!", "x" * 1001, "   "])
def test_an_invalid_earlier_question_does_not_fail_the_follow_up(bundled_bot, earlier):
    answer = bundled_bot.ask("What's his title?", [earlier])
    assert answer.text


def test_the_previous_answer_is_reused_for_a_follow_up(bundled_bot, monkeypatch):
    history = ["Who spoke at the Berlin venue of the 2023 conference?"]
    bundled_bot.ask(history[0])
    computed = _count_answers(bundled_bot, monkeypatch)
    answer = bundled_bot.ask("Which organization does he chair?", history)
    assert contains_key(answer.text, ["BWA"])
    # The remembered answer named him; the first question was not answered again.
    assert computed == ["Which organization does he chair?"]


def test_people_are_picked_out_of_an_answer():
    assert person_names("Michael Schumann, chairman of the board, met Tang Zongwei.") == [
        "Michael Schumann",
        "Tang Zongwei",
    ]
    # Titles, days and words across a line break are not names.
    text = "Wang Yu, Deputy Director, visited Atlanta Thursday.\n\nCreativity\n\nEducation matters."
    assert person_names(text) == ["Wang Yu"]
    # Words common in the index are the place's, not a person's; a stopword is not part of a name.
    idf = {"liangjiang": 0.5, "new": 0.6, "john": 3.0, "zhang": 3.0, "februari": 3.0}.get
    text = "Liangjiang New Area hired John Z. Zhang. By February it had grown."
    assert person_names(text, lambda t: idf(t, 3.0), 1.5) == ["John Z. Zhang"]


def test_the_answer_memory_keeps_the_latest_answers_up_to_its_capacity():
    from chatbot.followup import AnswerMemory
    from chatbot.types import Answer

    memory = AnswerMemory(capacity=2)
    first, second = Answer("q1", "a", False, (), "v1"), Answer("q1", "b", False, (), "v1")
    memory.remember("v1", "q1", first)
    memory.remember("v1", "q1", second)  # the same question again: the newer answer wins
    assert memory.latest("v1", "q1") is second
    assert memory.latest("v2", "q1") is None  # another index version is another conversation
    memory.remember("v1", "q2", first)
    memory.remember("v1", "q3", first)  # past capacity: q1, the oldest, goes
    assert memory.latest("v1", "q1") is None and memory.latest("v1", "q3") is first
