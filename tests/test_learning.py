"""The learned ranking: training is deterministic, content phrasings change what it learns, and the out-of-fold
evaluation measures it honestly (a broken ranker scores lower there)."""
import dataclasses
import sqlite3

import pytest

from knowledge import training
from knowledge.build import build
from knowledge.manifest import BuildError
from knowledge.engine import Engine
from knowledge.eval import REAL_FLOORS, OutOfFold, score
from tests.conftest import SHARED, make_settings

REAL_DEV = SHARED / "eval" / "real-dev.jsonl"
NEIGHBOUR = "邻居家大人经常打孩子我该怎么办"  # asked; the phrasing added below words it differently
ADDED = "      - 隔壁的大人老是揍小孩 我该怎么做\n"
AFTER = "      - 邻居打娃 我能报警吗\n"


def _model(path) -> dict[str, bytes]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("select name, data from model"))


@pytest.fixture(scope="module")
def oof(engine, kb_settings):
    if not REAL_DEV.exists():
        pytest.skip("shared/eval is not next to this checkout")
    return OutOfFold(engine, list(kb_settings.training))


def test_same_content_gives_the_same_model_bytes(engine, kb_settings, tmp_path):
    again = make_settings(tmp_path / "data")
    build(again)
    first, second = _model(kb_settings.kb_path), _model(again.kb_path)
    assert set(first) >= {"header", "classifier.vals", "reranker.coef"}
    assert first == second


def test_a_phrasing_added_to_an_entry_changes_a_differently_worded_question(engine, tmp_content, tmp_path):
    assert engine.answer(NEIGHBOUR).matches[0].id != "family-neighbor-abuse"
    path = tmp_content / "faq" / "family.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(AFTER) == 1
    path.write_text(text.replace(AFTER, AFTER + ADDED), encoding="utf-8")
    changed = Engine.open(make_settings(tmp_path / "data", tmp_content))
    assert changed.answer(NEIGHBOUR).matches[0].id == "family-neighbor-abuse"


def test_out_of_fold_real_questions_meet_the_floors_and_a_broken_ranker_scores_lower(oof, monkeypatch):
    questions = training.read_set(REAL_DEV)
    good = score(questions, oof.answers(REAL_DEV, questions))
    for key in ("article@1", "article@3"):
        hits, total = good[key]
        assert 100 * hits / total >= REAL_FLOORS[key], (key, hits, total)
    fit = training.fit

    def broken(groups):
        reranker = fit(groups)
        reranker.coef = -reranker.coef  # prefers what the real one ranks last
        return reranker

    monkeypatch.setattr(training, "fit", broken)
    bad = score(questions, oof.answers(REAL_DEV, questions))
    assert bad["article@1"][0] < good["article@1"][0] - 20


def test_held_out_paraphrases_out_of_fold(oof):
    """Each paraphrase hidden from the index, the classifier and the reranker when it is asked."""
    totals = score(*oof.probe_answers())
    (top1, total), (top3, _) = totals["article@1"], totals["article@3"]
    assert top1 / total >= 0.7 and top3 / total >= 0.85, f"held out: @1 {top1}/{total}, @3 {top3}/{total}"


def test_a_malformed_training_set_stops_the_build_with_a_message(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "b1", "kind": "article", "q": "孩子被打了怎么办"}\n', encoding="utf-8")  # no gold
    settings = dataclasses.replace(make_settings(tmp_path / "data"), training_sets=(bad,))
    with pytest.raises(BuildError, match="KB_TRAINING_SETS"):
        build(settings)
    assert not settings.kb_path.exists()
