"""The legal review's findings stay fixed: each answer states the condition or rule the review found missing, and
rests on the document it names (issue 19)."""
import pytest

from knowledge.answer import Match


def _answer(engine, entry_id):
    return engine.kb.faq[entry_id]["answer"]


def _shown(engine, entry_id):
    row = engine.kb.faq[entry_id]
    return engine.render.faq(Match("faq", row["id"], row["question"], row["answer"], 1.0, row["sources"]))


def test_robbery_after_theft_is_told_by_age(engine):
    text = _answer(engine, "crim-robbery")
    assert "第269条" in text and "只适用于已满十六周岁的人" in text
    assert "已满十四不满十六周岁的" in text and "故意伤害罪、故意杀人罪" in text
    assert "法释〔2006〕1号" in _shown(engine, "crim-robbery")


def test_support_stops_at_sixteen_only_at_the_local_standard_of_living(engine):
    text = _answer(engine, "custody-support-until")
    assert "能维持当地一般生活水平的，父母才可以停止给付" in text
    assert "法释〔2020〕22号" in _shown(engine, "custody-support-until")


def test_a_divorce_agreement_giving_the_child_a_house_cannot_be_revoked_alone(engine):
    text = _answer(engine, "famlaw-child-house-divorce")
    assert "过户前请求撤销的，法院不予支持，另一方同意的除外" in text and "2025年2月1日" in text
    assert "婚姻家庭编的解释（二）》（最高人民法院，法释〔2025〕1号" in _shown(engine, "famlaw-child-house-divorce")


def test_a_child_labourer_is_treated_regardless_of_fault(engine):
    text = _answer(engine, "rights-work-injury")
    assert "不论谁有过错" in text and "全部医疗和生活费用" in text
    assert "行政法规：《禁止使用童工规定》（国务院，国务院令第364号，2002-10-01）" in _shown(engine, "rights-work-injury")
    assert not any(s["article"] == 1165 for s in engine.kb.faq["rights-work-injury"]["sources"])  # not tort fault


def test_both_under_fourteen_entries_say_the_same(engine):
    for entry_id in ("sex-teen-couple-under14", "crim-minor-sex-under14"):
        text = _answer(engine, entry_id)
        assert "不论是否同意，都以强奸论，从重处罚（《刑法》第236条）" in text
        assert "偶尔与幼女发生性行为，情节轻微、未造成严重后果的，不认为是犯罪" in text


@pytest.mark.parametrize("entry_id,words", [
    ("sex-juvenile-offender", ["处五日以上十日以下拘留", "《治安管理处罚法》第23条", "不执行拘留", "封存（第136条）"]),
    ("personal-sneak-photo", ["处五日以下拘留或者一千元以下罚款"]),
    ("custody-divorce-basics", ["三十日内任何一方可以撤回", "《民法典》第1077条"]),
    ("crim-card-renting", ["《反电信网络诈骗法》第31条", "已满十四不满十六周岁的不负刑事责任"]),
    ("crim-school-after-offence", ["高中不属于义务教育"]),
    ("custody-abandonment", ["追诉时效为十年（《刑法》第87条）"]),
    ("sex-teen-pregnancy", ["负有照护职责人员性侵罪", "《刑法》第236条之一"]),
    ("personal-group-rumour-sue", ["提起自诉", "严重危害社会秩序的除外"]),
    ("crim-admin-under14", ["不论多大", "应当收缴", "《治安管理处罚法》第11条"]),
])
def test_the_minor_points_are_stated(engine, entry_id, words):
    text = _answer(engine, entry_id)
    assert all(w in text for w in words), [w for w in words if w not in text]
