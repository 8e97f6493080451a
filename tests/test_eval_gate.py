"""Regression gate: every set of eval/suite.toml, each over its own corpus, must stay above the
floors recorded for it, so that a change fitted to one corpus shows up as a loss on another.

The floors in eval/floors.json are measured values less a small margin, per set (and so per
corpus), for the sample each set was recorded on. After a deliberate change (better or knowingly
worse), re-record them from a run of the whole suite:
    chatbot eval --record-floors eval/floors.json
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from chatbot.embedding import Encoder
from chatbot.evaluate import evaluate_questions, needs_chinese_index, summarise
from chatbot.pipeline import Chatbot
from chatbot.questions import EvalSet, Question, load_suite
from chatbot.regression import check_floors
from chatbot.settings import load_settings
from tests.conftest import CORPUS, REPO

FLOORS = json.loads((REPO / "eval" / "floors.json").read_text(encoding="utf-8"))["sets"]
SUITE = {s.name: s for s in load_suite(REPO / "eval" / "suite.toml")}


@pytest.fixture(scope="module")
def bot_for(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, bundled_bot: Chatbot
) -> Callable[[EvalSet, list[Question]], Chatbot]:
    """Return a factory of chatbots to ask a set's questions over its corpus (a copy), built once
    per corpus and need of the Chinese index (as `chatbot eval` decides it); the bundled corpus
    without it is the session's bundled_bot."""
    bots: dict[tuple[Path, bool], Chatbot] = {}

    def factory(spec: EvalSet, questions: list[Question]) -> Chatbot:
        corpus = spec.corpus or CORPUS
        chinese = needs_chinese_index(questions, load_settings(corpus=corpus))
        if corpus == CORPUS and not chinese:
            return bundled_bot
        if (corpus, chinese) not in bots:
            root = tmp_path_factory.mktemp(spec.name)
            shutil.copytree(corpus, root / "corpus")
            settings = load_settings(corpus=root / "corpus", index=root / "index", chinese_index=chinese)
            bot = Chatbot(settings, encoder)
            bot.build(progress=False)
            bots[(corpus, chinese)] = bot
        return bots[(corpus, chinese)]

    return factory


def test_every_suite_set_has_floors():
    assert set(SUITE) == set(FLOORS), "re-record with `chatbot eval --record-floors eval/floors.json`"


@pytest.mark.parametrize("name", list(SUITE))
def test_set_stays_above_its_recorded_floors(name, bot_for):
    floors = FLOORS[name]["default"]
    spec = SUITE[name]
    questions, _ = spec.load(floors["every"])
    assert len(questions) == floors["questions"], "the set changed since its floors were recorded"
    verdicts, _ = evaluate_questions(bot_for(spec, questions), questions)
    failures = check_floors(summarise(verdicts), floors)
    assert not failures, (
        f"{name} regressed: " + "; ".join(failures)
        + ". If the change is intended, re-record with `chatbot eval --record-floors eval/floors.json`."
    )
