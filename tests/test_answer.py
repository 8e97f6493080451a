"""Answers: sentence-level citations, dated conflicting sources, abstention that names the closest fact."""

from __future__ import annotations

import re

import pytest

from chatbot.answer_type import asks_for_list, expected_type, has_list, has_type
from chatbot.conflicts import counts, quantities
from chatbot.metrics import contains_key


def _markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When was the conference held?", "date"),
        ("In what year did Chongqing become a municipality?", "date"),
        ("How many projects were signed?", "number"),
        ("What share of foreign trade does it account for?", "number"),
        ("Who spoke at the Berlin venue?", "person"),
        ("Who is the director of the committee?", "person"),
        ("Who is Liangjiang's Party secretary?", "person"),
        # Naming the person asks what they are, not who.
        ("Who is Jun Lin?", None),
        ("Who was Tang Zongwei and what did he say?", None),
        ("Who is CEO?", "person"),
        ("两江新区是哪一年设立的？", "date"),
        ("Which rivers meet at Chongqing?", None),
        ("How much does industrial electricity cost per kilowatt-hour?", "money"),
        ("How much did the company invest in its factory?", "money"),
        ("How much investment will the projects receive?", "money"),
        ("How much of the land is water?", "number"),
        # What was got is named: a quantity of land, not a sum of money.
        ("How much land did the company get?", "number"),
        ("How much will the service projects get?", "money"),
    ],
)
def test_the_kind_of_answer_asked_for_is_recognised(question, kind):
    assert expected_type(question) == kind


def test_sentences_are_checked_for_the_kind_asked_for():
    assert has_type("The joint conference was held on Feb 28.", "date")
    assert has_type("Twenty manufacturing projects were signed.", "number")
    assert has_type("The speech was given by Michael Schumann.", "person")
    # At the start of a sentence only with an apposition after it: first words are capitalised anyway.
    assert has_type("Tang Zongwei, deputy director of the committee, spoke.", "person")
    assert not has_type("Hankook Tires runs a plant in the zone.", "person")
    assert not has_type("In March, the zone signed deals.", "person")
    assert not has_type("On Thursday, the delegation left.", "person")
    assert not has_type("The conference set up a smaller venue.", "date")
    assert not has_type("Anything at all.", None)
    assert has_type("The projects will receive 5.2 billion yuan.", "money")
    assert has_type("It cost $4.4 billion.", "money")
    assert not has_type("Sitting on 130 square kilometers.", "money")


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Which sectors do Hong Kong investments cover?", True),
        ("What industries does it have?", True),
        ("Which well-known multinational companies already operate in Liangjiang?", True),
        ("In which years was Chongqing the frontrunner in GDP growth?", True),
        ("Which districts were combined to form Liangjiang New Area?", True),
        ("Which body approved it?", False),
        # An auxiliary, a determiner or a verb in s is not a plural.
        ("What is the GDP of Liangjiang?", False),
        ("What was Zhubajie's daily revenue?", False),
        ("What has changed since 2010?", False),
        ("What does this mean for investors?", False),
        ("What is its area?", False),
        ("Which company runs Zhubajie.com?", False),
        ("What does the name Liangjiang refer to?", False),
    ],
)
def test_list_questions_are_recognised(question, asks):
    assert asks_for_list(question) is asks


def test_listing_sentences_are_recognised():
    assert has_list("Investments cover the hotel, manufacturing, restaurant, property and finance sectors.")
    assert has_list("Six parks have been set up, including Sino-Germany Industrial Park.")
    assert not has_list("The company was founded in 2006.")


def _scored(
    text: str, score: float, passage: str | None = None, lead_start: int | None = None, **evidence: float
):
    from chatbot.types import Chunk, Hit, ScoredSentence

    passage = passage or text
    chunk = Chunk("d.txt#0", "d.txt", "A title", None, passage, 0, len(passage), "h")
    start = passage.index(text)
    fields = {"coverage": 1.0, "context": 1.0, "token_match": 0.5} | evidence
    # The score is the words' score plus the token match at its default weight of 1.
    return ScoredSentence(
        Hit(chunk, 1.0, 1), text, start, start + len(text), cosine=-0.5, **fields,
        untyped=False, numbers_missing=False, focus_missing=0.0, score=score,
        word_score=score - fields["token_match"], lead_start=lead_start,
    )  # fmt: skip


def _ranked(sentences: list) -> object:
    from chatbot.types import Ranking

    return Ranking((), tuple(sentences))


def test_abstention_is_judged_on_the_sentence_words_alone_rank_first(bundled_bot):
    from chatbot.settings import Settings
    from chatbot.writers.extractive import compose_answer

    # First only thanks to the token match, and with no lexical evidence of its own.
    paraphrase = _scored("Jiangbeizui central business district hosts banks.", 2.0, coverage=0.0, context=0.0,
                         token_match=1.0)  # fmt: skip
    lexical = _scored("The zone has a financial district for investors.", 1.8, token_match=0.0)
    answer = compose_answer(
        bundled_bot.analyse("Is there a financial district?"), _ranked([paraphrase, lexical]), Settings()
    )
    assert not answer.abstained
    assert answer.text.startswith("Jiangbeizui")
    # Alone, the paraphrase is what words rank first, and it is not confident enough.
    alone = compose_answer(
        bundled_bot.analyse("Is there a financial district?"), _ranked([paraphrase]), Settings()
    )
    assert alone.abstained


def test_the_best_sentence_is_quoted_even_with_a_negative_score(bundled_bot):
    from chatbot.settings import Settings
    from chatbot.writers.extractive import compose_answer

    best = _scored("Liangjiang was approved by the State Council in 2010.", -0.2)
    runner_up = _scored("The zone covers 1,200 square kilometers of land.", -0.3)
    answer = compose_answer(
        bundled_bot.analyse("When was it approved?"), _ranked([best, runner_up]), Settings()
    )
    assert not answer.abstained
    assert answer.text == "Liangjiang was approved by the State Council in 2010. [1]"


def test_a_lead_across_a_paragraph_break_is_quoted_on_one_line(bundled_bot):
    from chatbot.settings import Settings
    from chatbot.writers.extractive import compose_answer

    passage = "Liangjiang was approved in 2010.\n\nIt is the third such area in China."
    sentence = _scored("It is the third such area in China.", 1.0, passage, lead_start=0)
    answer = compose_answer(bundled_bot.analyse("What is Liangjiang?"), _ranked([sentence]), Settings())
    assert answer.text == "Liangjiang was approved in 2010. It is the third such area in China. [1]"
    assert answer.citations[0].highlight == (0, len(passage))


def test_quantities_are_read_with_canonical_units():
    assert [
        (q.value, q.unit) for q in quantities("about 1,205 square kilometers, 1,200 km² and 30 percent")
    ] == [
        (1205.0, "km²"),
        (1200.0, "km²"),
        (30.0, "%"),
    ]
    # "650 square kilometers of water" measures the water, not the place.
    assert quantities("with 650 square kilometers of water") == []
    assert [q.value for q in counts("three zones and four industrial parks", {"park"})] == [4.0]
    # A share of something is not a count of it.
    assert counts("home to 50 percent of Fortune Global 500 companies", {"fortun"}) == []


def test_number_words_count_by_their_value():
    assert [q.value for q in counts("twenty parks", {"park"})] == [20.0]
    assert [q.value for q in counts("hundreds of industrial parks", {"park"})] == [100.0]


def test_a_count_question_over_number_words_is_answered(bundled_bot):
    from chatbot.settings import Settings
    from chatbot.writers.extractive import compose_answer

    sentence = _scored("The city is home to hundreds of industrial parks.", 1.0)
    answer = compose_answer(
        bundled_bot.analyse("How many industrial parks are there?"), _ranked([sentence]), Settings()
    )
    assert "hundreds of industrial parks" in answer.text


def test_every_sentence_quoted_from_a_passage_is_highlighted(bundled_bot):
    from chatbot.settings import Settings
    from chatbot.writers.extractive import compose_answer

    passage = "Liangjiang was approved in 2010. It rains a lot. The zone covers 1,200 square kilometers."
    best = _scored("Liangjiang was approved in 2010.", 1.0, passage)
    runner_up = _scored("The zone covers 1,200 square kilometers.", 0.95, passage)
    answer = compose_answer(
        bundled_bot.analyse("When was it approved?"), _ranked([best, runner_up]), Settings()
    )
    (citation,) = answer.citations
    assert citation.highlight == (best.start, best.end)
    assert citation.highlights == ((best.start, best.end), (runner_up.start, runner_up.end))
    assert answer.to_json()["citations"][0]["highlights"] == [list(span) for span in citation.highlights]


def test_every_sentence_is_cited_and_markers_stay_within_the_sources(bundled_bot):
    answer = bundled_bot.ask("How many global investment consultants were hired in 2023?")
    assert not answer.abstained
    numbers = {c.n for c in answer.citations}
    assert _markers(answer.text) == numbers
    for c in answer.citations:
        a, b = c.highlight
        quoted = " ".join(c.text[a:b].split())
        assert quoted in answer.text
        assert answer.text.index(quoted) < answer.text.index(f"[{c.n}]", answer.text.index(quoted))
    assert answer.to_json()["citations"][0]["highlight"] == list(answer.citations[0].highlight)


def test_conflicting_sources_are_reported_with_their_dates_newest_first(bundled_bot):
    answer = bundled_bot.ask("How large is Liangjiang New Area?")
    assert not answer.abstained
    assert contains_key(answer.text, ["130 square kilometers"]) and contains_key(
        answer.text, ["1,205 square"]
    )
    dates = [c.date or "" for c in answer.citations]
    assert len(set(c.doc_id for c in answer.citations)) >= 2
    assert dates == sorted(dates, reverse=True)
    # The note follows the last marker, so that every [n] closes a verbatim quotation of its source.
    note = answer.text[answer.text.rindex("]") + 1 :]
    assert note.strip().startswith("The sources differ: ")
    for c in answer.citations:
        assert f"source {c.n} dated {c.date}" in note


def test_agreeing_or_unrelated_figures_are_not_called_a_conflict(bundled_bot):
    answer = bundled_bot.ask("What was Liangjiang New Area's GDP in 2020?")
    assert "The sources differ" not in answer.text


def test_relative_dates_are_anchored_to_the_source_date(bundled_bot):
    answer = bundled_bot.ask("In what year did the Liangjiang delegation visit Atlanta?")
    assert not answer.abstained
    # The note follows the last marker and dates the source that says "Thursday".
    assert re.search(r"\[\d\] \(source 1 dated 2018-08-03(; source \d dated [\d-]+)*\)$", answer.text)
    assert "Thursday" in answer.text.split("[1]")[0]


@pytest.mark.parametrize(
    "question",
    [
        "What was Liangjiang New Area's GDP in 2023?",  # only the 2020 figure is there
        "Who is the director of the Liangjiang New Area Administrative Committee?",  # only a deputy
        "What is the unemployment rate in Liangjiang New Area?",  # nothing names the rate
    ],
)
def test_near_misses_are_declined(bundled_bot, question):
    assert bundled_bot.ask(question).abstained


def test_abstention_names_the_closest_thing_the_documents_say(bundled_bot):
    answer = bundled_bot.ask("What is the corporate income tax rate for companies registered in Liangjiang?")
    assert answer.abstained
    assert answer.text.startswith("The documents don't say. The closest they come is: ")
    assert _markers(answer.text) == {c.n for c in answer.citations} == {1}


@pytest.mark.parametrize("rerank", [True, False])
@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_retrieval_configuration_answers(bundled_bot, mode, rerank):
    from chatbot.pipeline import Chatbot

    settings = bundled_bot.settings.model_copy(update={"retrieval": mode, "rerank": rerank})
    bot = Chatbot(settings, bundled_bot.encoder)
    answer = bot.ask("What was Liangjiang New Area's GDP in 2020?")
    assert contains_key(answer.text, ["367.5 billion"])
    assert len(answer.hits) == settings.top_k
