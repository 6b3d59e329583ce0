"""The learned danger-now detector beside the rules: deterministic, out-of-fold threshold, caught when broken."""
from dataclasses import replace

import numpy as np
import pytest

from knowledge import danger_model
from runtime.settings import REPO
from runtime.yamlfile import ContentError

CONTENT = REPO / "content"
# Written for this test, not taken from any emergency set: danger now in words none of the rules has.
OUTSIDE_THE_RULES = "我后爸又喝多了，我和妹妹缩在衣柜里不敢出声，他在外面找我们"
ABOUT_THE_LAW = ["去年孩子被同学打伤了，对方家长要赔多少钱", "未成年人拿刀砍人会怎么判",
                 "孩子小时候被继父打过，现在能起诉他吗", "孩子被猥亵后报警，警察一般多久立案"]


def _phrasings(engine) -> list[str]:
    return [t for e in engine.kb.faq.values() for t in (e["question"], *e["paraphrases"])]


@pytest.fixture(scope="module")
def stored(engine):
    return engine.danger.model


@pytest.fixture(scope="module")
def data(engine):
    return danger_model.training_set(CONTENT, _phrasings(engine))


def sound(model, data) -> bool:
    """What a working detector must do: catch the training crises, stay quiet on legal questions, read a crisis."""
    flagged = np.array([model.flags(t) for t in data.texts])
    caught = flagged[data.labels == 1].mean()
    quiet = 1 - flagged[data.labels == 0].mean()
    return bool(caught >= 0.9 and quiet >= 0.98 and model.flags(danger_model.prepare(OUTSIDE_THE_RULES)))


def test_the_knowledge_base_stores_the_model_as_arrays(stored):
    assert stored is not None and stored.rule is not None and stored.rule.hotlines[0] == "110"
    assert stored.idf.shape == stored.coef.shape == (len(stored.vocabulary),)
    assert 0 < stored.threshold < 1


def test_training_is_deterministic(engine, stored):
    again = danger_model.train(CONTENT, _phrasings(engine),
                               lambda text: not danger_model.about_law(engine.reader.read(text)))
    assert again.vocabulary == stored.vocabulary
    assert np.array_equal(again.coef, stored.coef) and np.array_equal(again.idf, stored.idf)
    assert again.intercept == stored.intercept and again.threshold == stored.threshold


def test_a_crisis_worded_outside_the_rules_is_caught_by_the_model(engine, stored):
    engine.danger.model = None
    try:
        assert not engine.answer(OUTSIDE_THE_RULES).emergency  # the rules alone miss it
    finally:
        engine.danger.model = stored
    answer = engine.answer(OUTSIDE_THE_RULES)
    assert answer.emergency and answer.answer.index("110") < 40 and "法律依据" not in answer.answer
    assert stored.rule.advice["child"] in answer.answer  # the generic situation, for whoever writes


@pytest.mark.parametrize("question", ABOUT_THE_LAW)
def test_past_events_and_punishment_get_the_law(engine, question):
    answer = engine.answer(question)
    assert not answer.emergency and answer.answered
    assert not engine.danger.model.flags(engine.segmenter.prepare(question))


def test_the_out_of_fold_threshold_keeps_false_alarms_under_two_percent(engine, stored, data):
    report = stored.report["out_of_fold"]
    assert report["quiet"] >= 0.98 and report["quiet_legal"] >= 0.98 and report["caught"] >= 0.85
    x = danger_model._vectorizer().fit_transform(data.texts)
    oof = danger_model.out_of_fold(data, x)
    gated = np.array([p if not danger_model.about_law(engine.reader.read(t)) else 0.0
                      for t, p in zip(data.texts, oof)])
    assert danger_model.rates(gated, data, stored.threshold) == report


def test_a_broken_model_is_caught(stored, data):
    assert sound(stored, data)
    assert not sound(replace(stored, coef=np.zeros_like(stored.coef)), data)
    assert not sound(replace(stored, coef=-stored.coef), data)


def test_too_few_examples_stop_the_build_with_a_message(tmp_content):
    (tmp_content / "danger" / "now.txt").write_text("救命\n", encoding="utf-8")
    with pytest.raises(ContentError, match="例句太少"):
        danger_model.training_set(tmp_content, [])
