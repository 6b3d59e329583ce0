"""Understanding the question: what is asked, from which side, by whom; verdicts only for the question asked."""
import pytest


def read(engine, text):
    return engine.reader.read(engine.segmenter.prepare(text))


@pytest.mark.parametrize("text, ask", [
    ("这个老师能告吗", "report"), ("打伤了人要赔多少钱", "liability"), ("偷东西会判几年", "punishment"),
    ("取保候审以后要等多久才开庭", "procedure"), ("游戏充的钱能退吗", "refund"), ("网吧让未成年人进合法吗", "legality"),
])
def test_what_is_asked(engine, text, ask):
    assert ask in read(engine, text).asks


@pytest.mark.parametrize("text, side", [("孩子被同学打伤了", "victim"), ("我儿子把同学打伤了", "offender"),
                                        ("孩子在学校被欺负", "victim"), ("儿子涉嫌抢劫被刑拘了", "offender")])
def test_from_which_side(engine, text, side):
    assert read(engine, text).side == side


@pytest.mark.parametrize("text, writer", [("我家孩子在学校被打了", "parent"), ("我今年14岁，我爸老打我", "child"),
                                          ("我是班主任，学生说被家暴", "teacher"), ("我被同学在班级群里骂", "child")])
def test_who_writes(engine, text, writer):
    assert read(engine, text).writer == writer


def test_a_verdict_opens_the_answer_only_for_the_question_asked(engine):
    other = engine.answer("老师打孩子耳光了，这个老师能告吗").answer
    assert not other.startswith(("不可以", "不能", "可以")) and "您问的情况" in other
    same = engine.answer("孩子打游戏充的钱能退吗").answer
    assert not same.startswith("您问的情况")


def test_an_answer_about_another_harm_carries_no_verdict(engine):
    answer = engine.answer("初三女儿早恋了 对方18岁 我能报警吗").answer
    assert not answer.startswith(("可以", "需要", "不能"))


def test_a_child_is_answered_as_a_child(engine):
    answer = engine.answer("我在班级群里被同学P图骂，还有人说要把我踢出去，我好难受").answer
    assert "您" not in answer and "12355" in answer


@pytest.mark.parametrize("question", ["明天浦东下雨吗", "浦东哪里可以办护照"])
def test_a_place_name_does_not_bring_in_the_work_plan(engine, question):
    answer = engine.answer(question)
    assert not answer.matches or answer.matches[0].kind != "policy" or not answer.answered


def test_the_work_plan_item_about_the_programme(engine):
    answer = engine.answer("浦东法治副校长这块哪个单位牵头")
    assert answer.matches[0].kind == "policy" and "法治进校园" in answer.answer
