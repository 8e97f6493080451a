"""Evaluation metrics on hand-made cases, configurations, and `chatbot eval` through its entry point."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from pydantic import ValidationError

from chatbot.configs import CONFIGS, EvalConfig, UnknownConfig, get_config
from chatbot.evaluate import Verdict, judge, summarise
from chatbot.metrics import (
    answer_body,
    answer_words,
    attached_claims,
    citation_precision,
    contains_key,
    first_rank,
    hit_at,
    length_summary,
    ndcg_at,
    reciprocal_rank,
)
from chatbot.questions import Question, load_questions, load_suite
from chatbot.regression import Delta, check_floors, compare, floors_from
from chatbot.settings import load_settings
from chatbot.types import Answer, Chunk, Citation, Hit
from tests.conftest import REPO

T, F = True, False
IDEAL5 = sum(1 / math.log2(i + 1) for i in range(1, 6))


@pytest.mark.parametrize(
    ("flags", "first", "hits", "rr"),
    [
        ((T, F, F, F, F), 1, (T, T, T), 1.0),
        ((F, F, T, F, T), 3, (F, T, T), 1 / 3),
        ((F, F, F, F, T), 5, (F, F, T), 0.2),
        ((F, F, F, F, F), None, (F, F, F), 0.0),
        ((), None, (F, F, F), 0.0),
    ],
)
def test_rank_metrics(flags, first, hits, rr):
    assert first_rank(flags) == first
    assert tuple(hit_at(flags, k) for k in (1, 3, 5)) == hits
    assert reciprocal_rank(flags) == pytest.approx(rr)


@pytest.mark.parametrize(
    ("flags", "relevant_total", "expected"),
    [
        ((T, F, F, F, F), 1, 1.0),  # the only relevant passage, first: ideal
        ((F, T, F, F, F), 1, 1 / math.log2(3)),
        ((T, T, F, F, F), 2, 1.0),
        ((F, F, T, F, F), 10, 0.5 / IDEAL5),  # the ideal fills all five places
        ((T, T, T, T, T, T), 10, 1.0),  # cut at 5
        ((F, F, F, F, F), 3, 0.0),
        ((F, F, F, F, F), 0, 0.0),  # nothing relevant exists: no credit, no division by zero
    ],
)
def test_ndcg_at_5(flags, relevant_total, expected):
    assert ndcg_at(flags, relevant_total, 5) == pytest.approx(expected)


def test_markers_attach_to_the_claim_they_close():
    answer = "GDP grew 8%. [1] Exports rose. [2][1] Trailing words"
    assert attached_claims(answer) == [("GDP grew 8%.", 1), ("Exports rose.", 2), ("Exports rose.", 1)]
    assert attached_claims("No markers at all.") == []


@pytest.mark.parametrize(
    ("answer", "passages", "keys", "expected"),
    [
        ("GDP reached 367.5 billion. [1]", {1: "In 2020 GDP  reached 367.5 billion. More."}, [], (1, 1)),
        ("GDP reached 367.5 billion. [1]", {1: "Hankook builds tyres."}, [], (0, 1)),
        ("GDP reached 367.5 billion. [2]", {1: "GDP reached 367.5 billion."}, [], (0, 1)),  # no citation 2
        # A reworded claim counts when it and its passage share a key.
        ("Output hit RMB 367.5 billion. [1]", {1: "GDP was 367.5 billion yuan."}, ["367.5 billion"], (1, 1)),
        ("Output hit RMB 367.5 billion. [1]", {1: "GDP grew fast."}, ["367.5 billion"], (0, 1)),
        ("A one. [1] B two. [2]", {1: "x A one. y", 2: "z"}, [], (1, 2)),
        ("Nothing cited.", {1: "Nothing cited."}, [], (0, 0)),
    ],
)
def test_citation_precision(answer, passages, keys, expected):
    assert citation_precision(answer, passages, keys) == expected


def _chunk(doc_id: str, text: str, start: int = 0) -> Chunk:
    return Chunk(f"{doc_id}:{start}", doc_id, "Title", "2020-01-01", text, start, start + len(text), "h")


def _answer(text: str, hits: list[Chunk], cited: list[Chunk], abstained: bool = False) -> Answer:
    citations = tuple(
        Citation(n, c.doc_id, c.title, c.date, c.text, c.start, c.end, 0.5, (0, len(c.text)))
        for n, c in enumerate(cited, 1)
    )
    ranked = tuple(Hit(c, 0.9 - i / 10, i + 1) for i, c in enumerate(hits))
    return Answer("q", text, abstained, citations, "v1", ranked)


GDP = _chunk("a.txt", "In 2020 the GDP reached RMB 367.5 billion.")
TYRES = _chunk("b.txt", "Hankook Tire runs a plant here.")
NOISE = _chunk("c.txt", "The weather is mild in spring.")


def test_judge_uses_sources_when_listed_and_keys_otherwise():
    by_source = Question(id="1", question="GDP?", keys=["367.5 billion"], sources=["a.txt"])
    by_key = Question(id="2", question="GDP?", keys=["367.5 billion"])
    answer = _answer("In 2020 the GDP reached RMB 367.5 billion. [1]", [NOISE, GDP, TYRES], [GDP])
    for q in (by_source, by_key):
        v = judge(q, answer, 0.1, relevant_total=1)
        assert v.relevant == (False, True, False)
        assert v.first_relevant_rank == 2
        assert v.key_in_answer and v.citation_supported and v.markers_valid and v.correct
        assert (v.precise_citations, v.citations) == (1, 1)
        assert v.problems() == []


def test_judge_flags_what_went_wrong():
    q = Question(id="1", question="GDP?", keys=["367.5 billion"], sources=["a.txt"])
    wrong = judge(q, _answer("Hankook Tire runs a plant here. [1] [3]", [TYRES, NOISE], [TYRES]), 0.1, 1)
    assert not wrong.correct and not wrong.markers_valid
    assert wrong.problems() == [
        "key missing from the answer", "no relevant passage retrieved", "cited passages lack the key",
        "a citation does not contain its claim", "a marker points to no citation",
    ]
    unanswerable = Question(id="2", question="Tax rate?", answerable=False)
    answered = judge(unanswerable, _answer("Hankook Tire runs a plant here. [1]", [TYRES], [TYRES]), 0.1, 0)
    assert not answered.correct and answered.problems() == ["answered an unanswerable question"]
    declined = judge(unanswerable, _answer("The documents don't say.", [TYRES], [], abstained=True), 0.1, 0)
    assert declined.correct


def _verdict(
    answerable=True, relevant=(), key=False, abstained=False, precise=(0, 0), seconds=0.1, fell_back=False
):
    return Verdict(
        answerable=answerable, relevant=tuple(relevant), relevant_total=2,
        key_in_answer=key, citation_supported=key, precise_citations=precise[0], citations=precise[1],
        abstained=abstained, markers_valid=True, seconds=seconds, fell_back=fell_back,
    )


def test_summarise_over_hand_made_verdicts():
    verdicts = [
        _verdict(relevant=(T, F, F), key=True, precise=(2, 2), seconds=0.1),
        _verdict(relevant=(F, F, T), key=False, precise=(0, 1), seconds=0.2),
        _verdict(relevant=(F, F, F), abstained=True, seconds=0.3, fell_back=True),
        _verdict(answerable=False, abstained=True, seconds=0.4),
    ]
    m = summarise(verdicts)
    assert (m["questions"], m["answerable"], m["unanswerable"]) == (4, 3, 1)
    assert (m["hit@1"], m["hit@3"], m["hit@5"]) == (0.3333, 0.6667, 0.6667)
    assert m["mrr"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-4)
    assert m["key_fact_accuracy"] == 0.3333
    assert m["false_abstention"] == 0.3333
    assert m["abstention_accuracy"] == 1.0
    assert m["citation_support"] == 0.5  # of the two answered answerable questions
    assert m["citation_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["latency_p50_ms"] == 250.0
    assert m["fell_back"] == 0.25  # of all answers, refusals included
    assert summarise(verdicts[:3])["abstention_accuracy"] is None  # nothing to judge, not 0


@pytest.mark.parametrize(
    ("metric", "old", "new", "change"),
    [
        ("hit@1", 0.70, 0.75, "better"),
        ("hit@1", 0.75, 0.70, "worse"),
        ("hit@1", 0.75, 0.75, "same"),
        ("false_abstention", 0.10, 0.20, "worse"),
        ("false_abstention", 0.20, 0.10, "better"),
        ("latency_p50_ms", 100.0, 105.0, "same"),  # within the noise of a shared machine
        ("latency_p50_ms", 100.0, 200.0, "worse"),
    ],
)
def test_delta_direction(metric, old, new, change):
    assert Delta("dev", "default", metric, old, new).change == change


def test_compare_matches_sets_and_configs_present_in_both():
    old = {"metrics": {"dev": {"default": {"hit@1": 0.7, "questions": 10}, "gone": {"hit@1": 0.1}}}}
    new = {"metrics": {"dev": {"default": {"hit@1": 0.8, "questions": 12}, "new": {"hit@1": 0.9}}}}
    assert compare(old, new) == [Delta("dev", "default", "hit@1", 0.7, 0.8)]


def test_floors_round_trip():
    measured = summarise(
        [_verdict(relevant=(T,), key=True, precise=(1, 1)), _verdict(answerable=False, abstained=True)]
    )
    summary = {"created": "now", "metrics": {"dev": {"default": measured}}}
    summary["configs"] = {"default": {"settings": {}}}
    floors = floors_from(summary, margin=0.02)
    gate = floors["sets"]["dev"]["default"]
    assert gate["min"]["hit@1"] == 0.98 and gate["max"]["false_abstention"] == 0.02
    assert check_floors(measured, gate) == []
    worse = measured | {"hit@1": 0.5, "false_abstention": 0.5}
    assert check_floors(worse, gate) == [
        "hit@1 = 0.5 fell below its floor 0.98", "false_abstention = 0.5 rose above its ceiling 0.02",
    ]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_configuration_is_valid_settings(name):
    base = load_settings()
    settings = get_config(name).settings(base)
    for key, value in CONFIGS[name].overrides.items():
        assert getattr(settings, key) == value
    assert settings.corpus == base.corpus


def test_bad_configurations_are_refused():
    with pytest.raises(UnknownConfig, match="choose from default"):
        get_config("nope")
    with pytest.raises(ValidationError):
        EvalConfig("typo", "misspelt setting", {"retreival": "dense"}).settings(load_settings())


def test_load_questions_names_the_bad_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "1", "question": "ok?"}\n{"id": "2"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"q.jsonl:2: not a valid question"):
        load_questions(path)


TINY_DOCS = {
    "gdp.txt": "Liangjiang economy\n\nIn 2020, the GDP of Liangjiang New Area reached RMB 367.5 billion. "
    "Industry grew quickly in the new area.\n",
    "tyres.txt": "Tyre makers\n\nHankook Tire of South Korea runs a large tyre plant in Liangjiang. "
    "The plant makes tyres for cars sold across China.\n",
}
TINY_QUESTIONS = [
    {"id": "t1", "question": "What was Liangjiang's GDP in 2020?", "keys": ["367.5 billion"],
     "sources": ["gdp.txt"]},
    {"id": "t2", "question": "Which Korean tyre maker is in Liangjiang?", "keys": ["Hankook"]},
    {"id": "t3", "question": "What is the corporate tax rate?", "answerable": False},
]


def test_chatbot_eval_compares_configurations_end_to_end(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in TINY_DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    questions = tmp_path / "tiny.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in TINY_QUESTIONS), encoding="utf-8")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"format": 2, "metrics": {"tiny": {"dense": {"hit@1": 0.0, "mrr": 2.0}}}}))
    out, floors = tmp_path / "report", tmp_path / "floors.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "eval", str(questions), "--config", "dense", "chunks-64",
         "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--out", str(out),
         "--compare", str(old), "--record-floors", str(floors)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["metrics"]["tiny"]) == {"dense", "chunks-64"}
    assert summary["configs"]["chunks-64"]["index"]["spec"].count("64 tokens") == 1
    # Only the configuration that changes chunking gets its own index; retrieval-only ones share.
    assert summary["configs"]["dense"]["index"]["folder"] == str(tmp_path / "index")
    assert summary["configs"]["chunks-64"]["index"]["folder"].startswith(str(tmp_path / "index" / "variants"))
    dense = summary["metrics"]["tiny"]["dense"]
    assert dense["questions"] == 3 and dense["hit@1"] == 1.0

    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted((x["config"], x["id"]) for x in lines) == sorted(
        (c, q["id"]) for c in ("dense", "chunks-64") for q in TINY_QUESTIONS
    )
    first = next(x for x in lines if x["id"] == "t1" and x["config"] == "dense")
    assert first["retrieved"][0].startswith("gdp.txt@0 ") and first["retrieved"][0].endswith(" RK")
    assert first["verdict"]["rank"] == 1 and first["verdict"]["correct"] is not None

    for name in ("report.md", "report.html", "metrics.png", "latency.png", "hit_curve.png"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "## Change since the previous run" in report and "▼ worse" in report and "▲ better" in report
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert "hit@1" in done.stdout and "<-- worse" in done.stdout  # mrr fell from the made-up 2.0
    assert json.loads(floors.read_text())["sets"]["tiny"]["dense"]["min"]["hit@1"] == 0.98


def test_chatbot_eval_refuses_a_missing_question_set(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "eval", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)],
        cwd=tmp_path, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "No question set at" in done.stderr


def test_a_citation_supports_a_year_by_its_date():
    # The answer's date note quotes the citation's date, which the citation shows beside its passage.
    q = Question(id="1", question="In what year was the visit?", keys=["2018"])
    visit = replace(_chunk("d.txt", "They visited Atlanta Thursday."), date="2018-08-03")
    answer = _answer("They visited Atlanta Thursday. [1] (source 1 dated 2018-08-03)", [visit], [visit])
    assert judge(q, answer, 0.1, 1).citation_supported
    # Only a date the answer quotes counts: the source being from 2018 says nothing otherwise.
    answer = _answer("They visited Atlanta Thursday. [1]", [visit], [visit])
    assert not judge(q, answer, 0.1, 1).citation_supported
    undated = replace(visit, date=None)
    answer = _answer("They visited Atlanta Thursday. [1] (source 1 dated undated)", [undated], [undated])
    assert not judge(q, answer, 0.1, 1).citation_supported


@pytest.mark.parametrize(
    ("text", "keys", "expected"),
    [
        ("Normandy is a region of France. [1]", ["france"], True),
        ("It lies in the 10th century.", ["in 10th century"], True),  # articles dropped on both sides
        ("GDP reached 1,205 billion.", ["1205 billion"], True),  # punctuation removed on both sides
        ("It was built in 1476.", ["1477"], False),
        ("See source [1] for more.", ["1"], False),  # a marker is not part of the answer
        ("《战国无双3》是由光荣和 ω-force 开发的。", ["光荣和ω-force"], True),  # spaces, punctuation go
        ("战史演武和争霸演武", ["「战史演武」&「争霸演武」"], False),  # "&" is punctuation, "和" is not
        ("战史演武争霸演武", ["「战史演武」&「争霸演武」"], True),
    ],
)
def test_keys_match_after_squad_style_normalisation(text, keys, expected):
    assert contains_key(answer_body(text), keys) is expected


def test_answer_length_counts_words_without_the_source_list():
    assert answer_words("Normandy is a region of France. [1] It has a coast. [2]") == 10
    # Chinese has no spaces: its words are jieba's ("赵鹏 / 是 / 中国 / 足球 / 运动员").
    assert answer_words("赵鹏是中国足球运动员。[1]") == 5
    assert length_summary([3, 5, 10]) == (6.0, 5.0) and length_summary([]) == (None, None)


def test_a_suite_names_each_sets_corpus_and_sampling(tmp_path):
    (tmp_path / "q.jsonl").write_text(
        "".join(json.dumps({"id": str(i), "question": f"q{i}?", "sources": ["a.txt"]}) + "\n"
                for i in range(10)),
        encoding="utf-8",
    )
    suite = tmp_path / "suite.toml"
    suite.write_text(
        '[[set]]\nname = "bundled"\nquestions = "q.jsonl"\n\n'
        '[[set]]\nname = "other"\nquestions = "q.jsonl"\ncorpus = "docs"\nevery = 4\nrelevance = "keys"\n',
        encoding="utf-8",
    )
    bundled, other = load_suite(suite)
    assert bundled.corpus is None and other.corpus == tmp_path / "docs"
    questions, total = other.load()
    assert total == 10 and [q.id for q in questions] == ["0", "4", "8"]
    assert all(q.sources == [] for q in questions)  # judged by keys on a corpus of its own
    assert other.describe() == "every 4th question" and other.describe(1) == "every question"
    assert [q.id for q in other.load(every=5)[0]] == ["0", "5"]
    assert bundled.load()[0][0].sources == ["a.txt"]
    suite.write_text('[[set]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="needs a name and questions"):
        load_suite(suite)
    suite.write_text('[[set]]\nname = "x"\nquestions = "q.jsonl"\nevery = 0\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad `every`"):
        load_suite(suite)


def test_the_bundled_suite_runs_every_set_over_its_corpus():
    sets = {s.name: s for s in load_suite(REPO / "eval" / "suite.toml")}
    assert {"dev", "test", "calib", "zh", "squad5", "cmrc15", "cmrc15-unanswerable"} <= set(sets)
    for s in sets.values():
        questions, total = s.load()
        assert questions and s.questions.is_file(), s.name
        assert s.corpus is None or any(s.corpus.iterdir()), s.name
    assert sets["squad5"].load(every=1)[1] == 1793


def test_chatbot_eval_runs_sets_over_their_own_corpora_side_by_side(tmp_path):
    # One set over the running corpus, one laid out as a folder with its own corpus/.
    corpus, own = tmp_path / "corpus", tmp_path / "other" / "corpus"
    split = list(TINY_DOCS.items())
    for folder, docs in ((corpus, dict(split[:1])), (own, dict(split[1:]))):
        folder.mkdir(parents=True)
        for name, text in docs.items():
            (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "gdp.jsonl").write_text(json.dumps(TINY_QUESTIONS[0]) + "\n", encoding="utf-8")
    tyres = [TINY_QUESTIONS[1] | {"sources": ["tyres.txt"]}, TINY_QUESTIONS[2]]
    (tmp_path / "other" / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in tyres * 2))
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "eval", str(tmp_path / "gdp.jsonl"), str(tmp_path / "other"),
         "--every", "2", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--out", str(out)],
        cwd=tmp_path, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sets"]["other"] | {"file": None} == {
        "file": None, "corpus": str(own), "questions": 2, "of": 4, "every": 2,
        "sampling": "every 2nd question", "relevance": "keys",
    }
    indexes = summary["configs"]["default"]["indexes"]
    assert indexes[str(corpus)]["documents"] == 1 and indexes[str(own)]["documents"] == 1
    assert indexes[str(own)]["folder"].startswith(str(tmp_path / "index" / "variants"))
    tyre = summary["metrics"]["other"]["default"]
    assert tyre["questions"] == 2 and tyre["hit@1"] == 1.0  # the tyre passage holds the key
    assert tyre["answer_words_median"] is not None
    report = (out / "report.md").read_text()
    assert "## All sets side by side" in report and "2 of 4" in report and "answer_words_median" in report
