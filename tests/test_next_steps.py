"""A parent is told what to do next: incident answers end with numbered next steps (FAQ `steps:`), in plain words,
before the legal basis; a child writer gets the words for a child instead."""
import pytest


@pytest.mark.parametrize("question, step", [
    ("孩子在学校被同学打伤了 谁来赔", "先带孩子看医生"),
    ("学生在学校上课时受伤了，学校有哪些处理义务", "书面说明"),
    ("孩子在学校被欺负，老师不管，学校必须怎么处理", "区教育局"),
    ("老师可以体罚学生吗", "区教育局投诉"),
    ("孩子被人偷拍了，偷拍的人会受什么处罚", "证据不要删"),
])
def test_incident_answers_end_with_next_steps_before_the_law(engine, question, step):
    answer = engine.answer(question).answer
    assert "接下来可以这样做：\n1. " in answer, answer[:200]
    steps = answer.split("接下来可以这样做：", 1)[1].split("法律依据", 1)[0]
    assert step in steps


def test_a_child_writer_gets_no_parents_steps(engine):
    answer = engine.answer("我们老师打我犯法吗").answer
    assert "接下来可以这样做" not in answer


def test_steps_must_be_a_list_of_lines(tmp_content):
    from knowledge.content import load_faq
    from runtime.yamlfile import ContentError

    path = tmp_content / "faq" / "personal.yaml"
    text = path.read_text(encoding="utf-8").replace("    steps:\n      - 发现时马上打 110 报警。",
                                                   "    steps: 发现时马上打 110 报警。\n    unused:\n      - x", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match="steps"):
        load_faq(tmp_content)
