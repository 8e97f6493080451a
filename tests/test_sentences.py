"""Sentence splitting keeps exact offsets and does not break at abbreviations or initials."""

from __future__ import annotations

import pytest

from chatbot.sentences import refers_back, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("Mr. Tang spoke. Ms. Lin agreed.", ["Mr. Tang spoke.", "Ms. Lin agreed."]),
        ("John Z. Zhang of Corning spoke. He left.", ["John Z. Zhang of Corning spoke.", "He left."]),
        (
            "It grew 10.5 percent in 2017. Then it slowed.",
            ["It grew 10.5 percent in 2017.", "Then it slowed."],
        ),
        ("A heading\n\nBody text here.", ["A heading", "Body text here."]),
        (
            "两江新区成立于2010年。它是第三个国家级新区。",
            ["两江新区成立于2010年。", "它是第三个国家级新区。"],
        ),
        ("“We did it.” She smiled.", ["“We did it.”", "She smiled."]),
        # An abbreviation does not hold a sentence together across a blank line.
        ("She was in the U.S.\n\nThe trip came later.", ["She was in the U.S.", "The trip came later."]),
    ],
)
def test_sentences_are_split_where_they_end(text, expected):
    assert [s.text for s in split_sentences(text)] == expected


def test_offsets_point_at_the_sentence_text():
    text = "  Liangjiang was approved in 2010.  It is the third nationwide.\n\n1,200 km²\n"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Liangjiang was approved in 2010.",
        "It is the third nationwide.",
        "1,200 km²",
    ]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_empty_text_has_no_sentences():
    assert split_sentences("   \n ") == []


@pytest.mark.parametrize(
    ("sentence", "points_back"),
    [
        ("It’s also a multimodal logistics hub.", True),
        ("Both areas will further their cooperation.", True),
        ("The company, established in 2006, has grown.", True),
        ("Liangjiang is a national new area.", False),
        ("Itself a port, the city grew.", False),
        ("This growth is rare.", True),
        # "this year", "this May" point at the article's date, not at the sentence before.
        ("This year, GDP grew 8 percent.", False),
        ("This May the park opened.", False),
        ("These past months saw new projects.", False),
        ("Such days are rare in Chongqing.", False),
    ],
)
def test_sentences_that_point_back_are_recognised(sentence, points_back):
    assert refers_back(sentence) is points_back
