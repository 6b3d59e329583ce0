"""Answers that turn on an age the question did not give: the entry's by_age lines, shown or narrowed to the age."""
from knowledge.check import run_check
from knowledge.model import age_range
from tests.conftest import make_settings
from tests.test_content_checks import _one_entry

HEADER = "要看年龄，法律规定不一样："


def test_a_question_without_an_age_gets_every_age_line(engine):
    answer = engine.answer("孩子抢同学的手机算抢劫吗").answer
    assert HEADER in answer
    assert "不满14周岁：抢劫不负刑事责任" in answer and "已满14周岁：抢劫应当负刑事责任" in answer


def test_the_same_question_with_an_age_gets_that_ages_line_only(engine):
    answer = engine.answer("孩子13岁，抢同学的手机算抢劫吗").answer
    assert HEADER not in answer
    assert "不满14周岁：抢劫不负刑事责任" in answer and "已满14周岁：抢劫应当负刑事责任" not in answer


def test_civil_capacity_turns_on_eight(engine):
    unknown = engine.answer("孩子偷偷在游戏里充值了能退吗").answer
    assert "不满8周岁：" in unknown and "8周岁以上的未成年人：" in unknown
    seven = engine.answer("孩子7岁偷偷在游戏里充值了能退吗").answer
    assert "不满8周岁：" in seven and "8周岁以上的未成年人：" not in seven


def test_age_labels_read_as_the_law_writes_them():
    assert age_range("不满12周岁：…") == (0, 11)
    assert age_range("已满12周岁不满14周岁：…") == (12, 13)
    assert age_range("女方已满十四周岁不满十六周岁：…") == (14, 15)
    assert age_range("已满16周岁：…")[0] == 16 and age_range("8周岁以上的未成年人：…")[0] == 8
    assert age_range("没有年龄的一行") is None


def test_kb_check_holds_by_age_lines_to_the_same_rules(tmp_path):
    """A bare article number, or an age the cited articles do not contain, is refused in by_age as in answers."""
    answer = "一般给到孩子满十八周岁（《民法典》第17条）。父母不履行抚养义务的，未成年子女有权要求父母给付抚养费（《民法典》第1067条）。"
    by_age = "    by_age:\n      - 不满13周岁：按第17条处理。\n      - 已满18周岁：一般不再给。\n"
    content = _one_entry(tmp_path, answer, by_age)
    problems, _ = run_check(make_settings(tmp_path / "data", content), review=False)  # every text: numbers checked
    mine = [p for p in problems if "[family-support-age]" in p]
    assert any("第17条" in p and "同一句" in p for p in mine)
    assert any("找不到" in p and "13" in p for p in mine)
    assert not any("18" in p.split("找不到")[-1] for p in mine if "找不到" in p)


def test_a_bound_is_not_an_age(engine):
    """「未满十八岁」 says the girl is a minor, not how old she is: every line is shown."""
    answer = engine.answer("未满十八岁打胎，完了以后男女双方分手，男方要负什么法律责任").answer
    assert HEADER in answer and "女方不满14周岁：" in answer and "女方已满16周岁：" in answer
