"""Chinese documents: their language recorded, chunked and split at Chinese sentence ends, searched
by Chinese words, and answered by quoting them, for Chinese and English questions alike."""

from __future__ import annotations

import pytest

from chatbot.chunking import chunk_document, make_splitter
from chatbot.corpus import scan_corpus
from chatbot.language import detect_language, word_count
from chatbot.lexical import term_spans, tokenize
from chatbot.pipeline import Chatbot
from chatbot.rerankers.scoring import is_statement
from chatbot.sentences import split_sentences
from chatbot.types import Document

# Written for these tests (not taken from any evaluation set).
DOCS = {
    "overview.txt": "两江新区概况\n\n两江新区成立于2010年6月18日，是中国内陆第一个国家级开发开放新区。"
    "新区位于重庆市主城区长江以北、嘉陵江以东，规划总面积1200平方公里。"
    "新区重点发展汽车、电子信息和高端装备等产业。\n",
    "port.txt": "果园港\n\n果园港是长江上游规模最大的内河港口之一。"
    "港口于2013年开港运营，年设计吞吐能力3000万吨。"
    "从港口出发的中欧班列经新疆阿拉山口通往欧洲。\n",
    "english.txt": "Liangjiang notes\n\nThis English note says that the new area hosts car makers and "
    "electronics firms. It is kept beside the Chinese documents to check language detection.\n",
}


@pytest.fixture(scope="module")
def zh_bot(tmp_path_factory, encoder) -> Chatbot:
    """A chatbot over the small Chinese corpus above, with its multilingual (e5) index."""
    from chatbot.settings import load_settings

    root = tmp_path_factory.mktemp("zh-docs")
    (root / "corpus").mkdir()
    for name, text in DOCS.items():
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    bot = Chatbot(load_settings(corpus=root / "corpus", index=root / "index", chinese_index=True), encoder)
    bot.build(progress=False)
    return bot


def test_each_documents_language_is_detected_and_recorded_on_its_passages(tmp_path):
    for name, text in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    docs = {d.doc_id: d for d in scan_corpus(tmp_path, 1_000_000).documents}
    languages = {k: d.language for k, d in docs.items()}
    assert languages == {"overview.txt": "zh", "port.txt": "zh", "english.txt": "en"}
    splitter = make_splitter(len, 40, 0)
    assert {c.language for c in chunk_document(docs["port.txt"], splitter)} == {"zh"}
    # Given explicitly it is kept; left out (as by other readers) it is detected from the text.
    assert Document("a", "t", None, "两江新区", "h", language="en").language == "en"
    assert detect_language("Chongqing 两江新区 is a new area") == "en"  # most letters are Latin


def test_chinese_text_is_chunked_and_split_at_chinese_sentence_ends():
    doc = Document("port.txt", "果园港", None, DOCS["port.txt"], "h")
    chunks = chunk_document(doc, make_splitter(len, 45, 0))
    assert len(chunks) > 1
    assert all(c.text.endswith(("。", "港")) for c in chunks), [c.text for c in chunks]
    said = split_sentences("他说：「港口已经开港。」港口年设计吞吐能力3000万吨！真的吗？")
    assert [s.text for s in said] == ["他说：「港口已经开港。」", "港口年设计吞吐能力3000万吨！", "真的吗？"]


def test_chinese_sentences_count_words_without_spaces():
    assert word_count("港口于2013年开港运营。") >= 5
    assert is_statement("港口于2013年开港运营，年设计吞吐能力3000万吨。", 5)
    assert not is_statement("果园港。", 5)  # a label, not a statement


def test_chinese_text_is_searched_by_character_pairs():
    terms = tokenize("两江新区是哪一年成立的？")
    assert "成立" in terms and "两江" in terms and "新区" in terms
    assert tokenize("港") == ["港"]
    # A Latin word ends where Chinese begins, and every term keeps the span of its word.
    assert "forc" in tokenize("由ω-force合作开发")
    text = "ω-force合作开发"
    assert all(text[a:b] for a, b, _ in term_spans(text))


def test_a_chinese_question_is_answered_by_quoting_a_chinese_passage(zh_bot):
    answer = zh_bot.ask("两江新区是哪一年成立的？")
    assert not answer.abstained, answer.text
    assert "2010年6月18日" in answer.text
    cited = answer.citations[0]
    assert cited.doc_id == "overview.txt"
    a, b = cited.highlight
    assert cited.text[a:b] in answer.text  # quoted verbatim


def test_an_english_question_over_chinese_documents_finds_and_quotes_them(zh_bot):
    # The English model cannot read Chinese passages: the question goes to the multilingual index.
    # Whether it then answers or declines is the cross-language cosine's call (abstain_cosine_below,
    # fitted on Chinese questions over English documents; see docs/quality.md): either way the
    # sentence it quotes is the one that holds the answer.
    answer = zh_bot.ask("What is the designed annual throughput of Guoyuan Port?")
    assert "3000万吨" in answer.text and answer.citations[0].doc_id == "port.txt"


def test_a_question_the_chinese_documents_do_not_answer_is_declined(zh_bot):
    answer = zh_bot.ask("上海中心大厦有多高？")
    assert answer.abstained, answer.text
