"""Regression gate: the dev question set on the bundled corpus must stay above the recorded floors.

The floors in eval/floors.json are measured values less a small margin. After a deliberate change
(better or knowingly worse), re-record them from a run:
    chatbot eval eval/questions/dev.jsonl --record-floors eval/floors.json
"""

from __future__ import annotations

import json

from chatbot.evaluate import evaluate_questions, summarise
from chatbot.questions import load_questions
from chatbot.regression import check_floors
from tests.conftest import QUESTIONS, REPO

FLOORS = REPO / "eval" / "floors.json"


def test_dev_set_stays_above_its_recorded_floors(bundled_bot):
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))["sets"]["dev"]["default"]
    verdicts, _ = evaluate_questions(bundled_bot, load_questions(QUESTIONS / "dev.jsonl"))
    metrics = summarise(verdicts)
    failures = check_floors(metrics, floors)
    assert not failures, (
        "dev.jsonl regressed: " + "; ".join(failures)
        + ". If the change is intended, re-record with "
        "`chatbot eval eval/questions/dev.jsonl --record-floors eval/floors.json`."
    )
