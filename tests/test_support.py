"""The support check that every LLM sentence passes before it is shown, with the real encoder."""

from __future__ import annotations

import pytest

from chatbot.rerankers.scoring import SentenceVectors
from chatbot.types import Chunk, Hit
from chatbot.writers.prompt import read_reply
from chatbot.writers.support import Claim, SupportChecker, split_claims

PASSAGE = (
    "In 2020, the GDP of Liangjiang New Area reached RMB 367.5 billion. The area hosts Changan "
    "Automobile and Hankook Tires. It was approved by the State Council in 2010."
)


def _hits(*texts: str) -> list[Hit]:
    return [
        Hit(Chunk(f"d{i}.txt#0", f"d{i}.txt", f"Doc {i}", "2021-05-01", t, 0, len(t), "h"), 1.0, i + 1)
        for i, t in enumerate(texts)
    ]


@pytest.fixture(scope="module")
def checker(encoder) -> SupportChecker:
    from chatbot.settings import Settings

    return SupportChecker(SentenceVectors(encoder), Settings().llm_support_min_cosine)


@pytest.mark.parametrize(
    ("claim", "supported", "reason"),
    [
        (Claim("Liangjiang New Area's GDP reached RMB 367.5 billion in 2020.", (1,)), True, ""),
        (Claim("Liangjiang New Area's GDP reached RMB 412.3 billion in 2020.", (1,)), False, "412.3"),
        (Claim("The area hosts Changan Automobile and Toyota.", (1,)), False, "Toyota"),
        (Claim("The State Council approved the area in 2010.", (3,)), False, "not given"),
        (Claim("The State Council approved the area in 2010.", ()), False, "cites no passage"),
        (Claim("Investors enjoy sunny beaches all year round.", (1,)), False, "too far"),
        (Claim("What was the GDP in 2020?", (1,)), False, "a question"),
    ],
)
def test_claims_are_checked_against_the_passage_they_cite(checker, claim, supported, reason):
    verdict = checker.check(claim, _hits(PASSAGE, "Unrelated text about rainfall in Chongqing."))
    assert verdict.supported is supported
    assert reason in verdict.reason


def test_a_claim_is_checked_against_its_own_passage_only(checker):
    hits = _hits("Unrelated text about rainfall in Chongqing.", PASSAGE)
    assert not checker.check(Claim("The GDP reached RMB 367.5 billion in 2020.", (1,)), hits).supported
    verdict = checker.check(Claim("The GDP reached RMB 367.5 billion in 2020.", (2,)), hits)
    assert verdict.supported and verdict.spans[0][0] == 2


def test_claims_are_split_at_sentence_ends_and_wait_for_their_markers():
    text = "The U.S. firm invested $3.5 million [1]. It opened in 2019. Then [2"
    claims, rest = split_claims(text, final=False)
    assert [(c.text, c.cites) for c in claims] == [("The U.S. firm invested $3.5 million.", (1,))]
    assert rest == " It opened in 2019. Then [2"
    claims, _ = split_claims("It opened in 2019. Then it grew [2][3].", final=True)
    assert [(c.text, c.cites) for c in claims] == [("It opened in 2019. Then it grew.", (2, 3))]
    assert split_claims("两江新区成立于2010年[1]。它很大[2]。", final=True)[0][1].cites == (2,)


def test_a_reply_is_read_as_it_is_written():
    raw = '{"found_in_passages": true, "sentences": [{"passage": 2, "text": "It grew 5%"}, {"passage": 1, "te'
    reply = read_reply(raw)
    assert (reply.found, reply.answer, reply.complete) == (True, "It grew 5%. [2]", False)
    done = read_reply(raw + 'xt": "It \\"boomed\\"."}]}')
    assert done.complete and done.answer == 'It grew 5%. [2] It "boomed". [1]'
    assert read_reply('{"found_in_passages": false, "sentences": []}').found is False
    assert read_reply("The documents don't say.").found is False  # a server that ignores the schema
    assert read_reply("GDP was high [1].").answer == "GDP was high [1]."


def test_a_claim_may_name_the_month_of_its_source_date(checker):
    (hit,) = _hits("The zone signed 28 projects at the conference.")
    assert hit.chunk.date == "2021-05-01"
    said = "the zone signed 28 projects at the conference."
    assert checker.check(Claim(f"In May, {said}", (1,)), [hit]).supported
    assert not checker.check(Claim(f"In June, {said}", (1,)), [hit]).supported
