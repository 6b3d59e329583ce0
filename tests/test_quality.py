"""Answer quality on the shared question sets must stay at or above the issue's floors."""
import json

import pytest

from knowledge.eval import floors_for, held_out, score
from tests.conftest import SHARED

SETS = [SHARED / "eval" / "dev.jsonl", SHARED / "eval" / "real-dev.jsonl"]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_question_set_floors(engine, path):
    if not path.exists():
        pytest.skip("shared/eval is not next to this checkout")
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    predictions = [engine.answer(q["q"]).as_json() for q in questions]
    totals = score(questions, predictions)
    floors = floors_for(path)
    short = {k: f"{100 * a / b:.1f}%" for k, (a, b) in totals.items() if k in floors and 100 * a / b < floors[k]}
    assert not short, f"below the floors on {path.name}: {short}"


def test_held_out_paraphrases_still_reach_the_right_articles(engine):
    """Unseen wording of the curated questions, independent of the question sets."""
    top1, top3, total = held_out(engine)
    assert top1 / total >= 0.6 and top3 / total >= 0.78, f"held out: @1 {top1}/{total}, @3 {top3}/{total}"
