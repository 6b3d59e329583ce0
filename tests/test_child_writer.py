"""A child who writes about what was done to them is answered as 你, told whether it is unlawful or a crime,
and told who can help (12355, a trusted teacher)."""
import pytest


@pytest.mark.parametrize("question", ["我爸妈偷看我日记犯法吗", "我妈趁我不在翻我日记 这犯法吗"])
def test_a_child_asking_about_their_diary_is_answered_as_a_child(engine, question):
    answer = engine.answer(question).answer
    body = answer.split("法律依据")[0]
    assert "你的日记" in body and "对大一点的孩子" not in body and "您" not in answer
    assert "12355" in answer and "老师" in answer.split("法律依据")[-1]


def test_the_verdict_says_unlawful_but_not_a_crime(engine):
    answer = engine.answer("我爸妈偷看我日记犯法吗").answer
    assert answer.startswith("法律不允许这样做，属于违法；但一般不构成犯罪。")


def test_a_crime_verdict_names_the_article_it_rests_on(engine):
    answer = engine.answer("我们老师打我犯法吗").answer
    assert "还可能构成犯罪（《中华人民共和国教师法》第三十七条）" in answer
    assert "老师不可以打你" in answer


def test_a_parent_asking_the_same_gets_the_parents_answer_without_12355(engine):
    answer = engine.answer("父母偷看孩子日记违法吗").answer
    assert "对大一点的孩子" in answer and "你的日记" not in answer and "12355" not in answer
    assert "一般不可以。" not in answer  # the offence verdict stands instead of the entry's own


def test_without_a_legality_word_there_is_no_offence_verdict(engine):
    answer = engine.answer("我爸妈偷看我日记怎么办").answer
    assert "构成犯罪" not in answer


def test_an_offence_basis_must_be_among_the_sources(tmp_content):
    from knowledge.content import load_faq
    from runtime.yamlfile import ContentError

    path = tmp_content / "faq" / "school.yaml"
    text = path.read_text(encoding="utf-8").replace("offence: {kind: serious, law: 中华人民共和国教师法, article: 37}",
                                                   "offence: {kind: serious, law: 中华人民共和国刑法, article: 234}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match="sources"):
        load_faq(tmp_content)


def test_a_child_whose_chats_were_posted_is_told_it_is_unlawful_and_what_to_do(engine):
    answer = engine.answer("我同学把我的聊天记录发到班级群 这违法吗").answer
    assert answer.startswith("法律不允许这样做，属于违法") and "你的聊天记录" in answer
    assert "12355" in answer.split("法律依据")[-1]


def test_a_child_hit_by_a_parent_is_answered_as_a_child(engine):
    answer = engine.answer("我妈打我犯法吗").answer
    assert "打你" in answer and "这不是你的错" in answer and "12355" in answer.split("法律依据")[-1]
