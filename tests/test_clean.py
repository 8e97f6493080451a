"""Cleaning: web boilerplate never survives; titles and dates are found."""

from __future__ import annotations

import pytest

from chatbot.clean import clean_text, html_to_text
from chatbot.corpus import scan_corpus
from chatbot.settings import Settings
from tests.conftest import CORPUS

BOILERPLATE = [
    "ABOUT Introduction Officials",
    "Contact Us",
    "Terms and Conditions",
    "Privacy Policy",
    "Tel:86-773",
    "Fax:",
    "Email:act@",
    "[Photo",
    "©",
    "INVESTING Why Liangjiang",
    "Home>",
]


@pytest.fixture(scope="module")
def docs():
    own = Settings().cleaning()  # the bundled sites' menus and photo credits come from settings
    return {d.doc_id: d for d in scan_corpus(CORPUS, 5_000_000, None, own).documents}


def test_every_bundled_document_loads(docs):
    assert len(docs) == 5


@pytest.mark.parametrize("fragment", BOILERPLATE)
def test_boilerplate_is_gone(docs, fragment):
    for doc in docs.values():
        assert fragment not in doc.text, f"{fragment!r} left in {doc.doc_id}"


@pytest.mark.parametrize(
    ("doc_id", "date", "title"),
    [
        ("000_983622f021da30df.txt", "2018-08-03", "A special zone designated"),
        ("001_a4c0f1a52cab1993.txt", "2023-01-11", "New area kicks off 2023 global investment promotion"),
        ("002_bc91dbafb4b8b7fa.txt", "2020-03-03", "Chongqing, Chengdu cooperate on opening-up highland"),
        ("003_8e53e912d7235851.pdf", "2020", "General Socio-economic Profile"),
        ("004_2d2294dd4198b730.txt", "2017", "Chongqing Gateway to Southwest for Hong Kong"),
    ],
)
def test_title_and_date(docs, doc_id, date, title):
    assert docs[doc_id].date == date
    assert docs[doc_id].title.startswith(title)


def test_facts_survive_cleaning(docs):
    text = " ".join(d.text for d in docs.values())
    for fact in ["367.5 billion", "Hankook Tires", "1,205 square kilometers", "1,200 km²", "28 projects"]:
        assert fact in text


def test_date_stamp_is_removed_from_body():
    cleaned = clean_text("date 2018-08-03 A zone opened. It grew.", "x")
    assert cleaned.date == "2018-08-03"
    assert cleaned.text.startswith("A zone opened.")


def test_unicode_is_normalised():
    cleaned = clean_text("Cafe\u0301\u00a0zone\u200b of 1,200\u00a0km² opened.\x07 More text here.", "x")
    assert "Café zone of 1,200 km² opened." in cleaned.text
    assert "\x07" not in cleaned.text and "\u200b" not in cleaned.text


def test_html_scripts_and_navigation_are_dropped():
    page = (
        "<html><head><title>Park opens</title><script>alert(1)</script></head>"
        "<body><nav>ABOUT Home</nav><p>The park opened in 2021.</p></body></html>"
    )
    text = html_to_text(page)
    assert "alert" not in text and "ABOUT Home" not in text
    assert "The park opened in 2021." in text


def test_a_corpus_brings_its_own_boilerplate_without_code():
    raw = "Acme news\n\nSUBSCRIBE NOW for more stories\nThe plant opened in 2021. (Image: Acme)\n"
    assert "SUBSCRIBE NOW" in clean_text(raw, "x").text
    own = Settings(boilerplate_lines=(r"^SUBSCRIBE NOW",), boilerplate_inline=(r"\s*\(Image: [^)]*\)",))
    cleaned = clean_text(raw, "x", own.cleaning())
    assert "SUBSCRIBE" not in cleaned.text and "(Image" not in cleaned.text
    assert "The plant opened in 2021." in cleaned.text
    with pytest.raises(ValueError, match="not a regular expression"):
        Settings(boilerplate_lines=("([unclosed",)).cleaning()


def test_other_boilerplate_patterns_rebuild_the_index(bundled_bot):
    from chatbot.indexer import index_spec

    same = index_spec(bundled_bot.settings, bundled_bot.encoder)
    other = bundled_bot.settings.model_copy(update={"boilerplate_lines": (r"^Menu",)})
    assert same.boilerplate == "" and index_spec(other, bundled_bot.encoder) != same
