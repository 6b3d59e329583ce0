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


def test_paraphrases_find_their_own_entry_when_held_out(engine):
    """Leave one paraphrase out of the index: the engine must still find its FAQ (a general-quality probe)."""
    hits = total = 0
    for faq_id, row in engine.kb.faq.items():
        for paraphrase in row["paraphrases"][:2]:
            ranked = engine.rank(paraphrase, exclude=paraphrase)
            top3 = [c.ref for c in ranked[:3] if c.kind == "faq"]
            hits += faq_id in top3
            total += 1
    assert hits / total >= 0.5, f"held-out paraphrases found in top 3: {hits}/{total}"
