"""Answer quality on the shared dev set must stay at or above the issue's floors."""
import json

import pytest

from knowledge.eval import FLOORS, score
from tests.conftest import SHARED

DEV = SHARED / "eval" / "dev.jsonl"


@pytest.mark.skipif(not DEV.exists(), reason="shared/eval is not next to this checkout")
def test_dev_set_floors(engine):
    questions = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    predictions = [engine.answer(q["q"]).as_json() for q in questions]
    totals = score(questions, predictions)
    short = {k: f"{100 * a / b:.1f}%" for k, (a, b) in totals.items() if k in FLOORS and 100 * a / b < FLOORS[k]}
    assert not short, f"below the floors: {short}"


def test_held_out_paraphrases_still_reach_the_right_articles(engine):
    """Leave each of the first two paraphrases of every FAQ entry out of the index: the answer must still rest on
    the entry's main articles. A general-quality probe of unseen wording, independent of the dev set."""
    top1 = top3 = total = 0
    for row in engine.kb.faq.values():
        gold = {(s["law"], s["article"]) for s in row["sources"][:2]}
        for paraphrase in row["paraphrases"][:2]:
            answer = engine._search(paraphrase, paraphrase, exclude=paraphrase)
            cited = [{(s["law"], s["article"]) for s in m.sources} for m in answer.matches]
            top1 += bool(answer.answered and cited and cited[0] & gold)
            top3 += bool(answer.answered and any(c & gold for c in cited[:3]))
            total += 1
    assert top1 / total >= 0.6 and top3 / total >= 0.78, f"held out: @1 {top1}/{total}, @3 {top3}/{total}"
