"""A person quoted by title and surname only is introduced by the sentence giving the full name."""

from __future__ import annotations

import pytest

from chatbot.introductions import introduce, titled_surnames
from chatbot.sentences import refers_back, split_sentences
from chatbot.types import Chunk, Hit, ScoredSentence


@pytest.mark.parametrize(
    ("sentence", "surnames"),
    [
        ("“They can move easier,” said Ms. Lin, who helped organize the delegation.", ["Lin"]),
        ("She said a leader like Mr. Tang and five other officials came.", ["Tang"]),
        ("Dr. Wu met Prof. Zhang and Dr. Wu again.", ["Wu", "Zhang"]),
        # Titles without a full stop are titles too, not given names.
        ("“It works,” said Ms Lin.", ["Lin"]),
        # Named in full in the same sentence, in either order: nothing to introduce.
        ("Jun Lin, or Ms. Lin as colleagues say, spoke.", []),
        ("Tang Zongwei spoke; Mr. Tang said more.", []),
        ("Mr. Tang Zongwei spoke and Mr. Tang agreed.", []),
        ("Nobody with a title here, said Lin.", []),
    ],
)
def test_people_named_only_by_title_are_found(sentence, surnames):
    assert titled_surnames(sentence) == surnames


def _sentences(doc_text: str, doc_id: str = "a.txt") -> list[ScoredSentence]:
    """Score every sentence of a one-chunk document (scores do not matter to introductions)."""
    chunk = Chunk(f"{doc_id}#0", doc_id, "T", "2018-08-03", doc_text, 0, len(doc_text), "h")
    hit = Hit(chunk, 1.0, 1)
    parts = split_sentences(doc_text)
    return [
        ScoredSentence(
            hit, s.text, s.start, s.end, 0.5, 0.5, 0.5, 0.5, False, False, 0.0, 1.0, 1.0,
            lead_start=parts[i - 1].start if i and refers_back(s.text) else None,
        )
        for i, s in enumerate(parts)
    ]


ARTICLE = (
    "Jun Lin, a Chongqing native, runs a consultancy. The weather was mild. "
    "“They can move easier,” said Ms. Lin, who organized the visit. Ms. Lin said more."
)


def test_the_full_name_sentence_follows_the_titled_one():
    sents = _sentences(ARTICLE)
    quote = next(s for s in sents if "move easier" in s.text)
    out = introduce([quote], sents)
    assert [s.text for s in out] == [quote.text, sents[0].text]
    # Already named in full in the answer: nothing added, and nothing quoted twice.
    assert introduce([sents[0], quote], sents) == [sents[0], quote]
    # Introduced once, after the first sentence that needs it.
    assert introduce([quote, sents[3]], sents) == [quote, sents[0], sents[3]]


def test_no_introduction_without_a_candidate_from_the_same_document():
    sents = _sentences(ARTICLE)
    quote = next(s for s in sents if "move easier" in s.text)
    other = _sentences("Jun Lin is someone else entirely.", doc_id="b.txt")
    assert introduce([quote], [quote, *other]) == [quote]


def test_a_name_in_a_quoted_lead_counts_and_an_introduction_is_quoted_alone():
    # The chosen sentence opens with "Her" and is quoted with the sentence before it, which names her.
    text = "Jun Lin founded the firm in Atlanta. Her company, said Ms. Lin, has ten staff."
    sents = _sentences(text)
    assert sents[1].lead_start == sents[0].start
    assert introduce([sents[1]], sents) == [sents[1]]
    # The introduction would itself open with "She" and lead back to the titled sentence: it is
    # quoted without that lead, so the titled sentence is not quoted twice.
    text = "“It is easier,” said Ms. Lin at the forum. She is Jun Lin, a consultant."
    sents = _sentences(text)
    out = introduce([sents[0]], sents)
    assert [s.text for s in out] == [sents[0].text, sents[1].text]
    assert out[1].lead_start is None
