"""The answer engine on the real knowledge base: look-ups, emergencies, refusals and the JSON contract."""
import pytest

LAW = "中华人民共和国未成年人保护法"


def sources(match):
    return {(s["law"], s["article"]) for s in match["sources"]}


@pytest.mark.parametrize("question,law,number", [
    ("未保法第75条", LAW, 75),
    ("未成年人保护法第七十五条", LAW, 75),
    ("《未成年人保护法》第11条", LAW, 11),
    ("上海条例73条", "上海市未成年人保护条例", 73),
    ("预防法 59", "中华人民共和国预防未成年人犯罪法", 59),
    ("民法典第一千一百八十八条", "中华人民共和国民法典", 1188),
])
def test_article_lookup_goes_straight_to_the_article(engine, question, law, number):
    result = engine.answer(question).as_json()
    assert result["answered"] is True
    assert sources(result["matches"][0]) == {(law, number)}


def test_lookup_quotes_the_statute_verbatim_with_its_version(engine):
    answer = engine.answer("未保法第75条")
    assert "不得在每日二十二时至次日八时向未成年人提供网络游戏服务" in answer.answer
    assert "2024-04-26" in answer.answer


@pytest.mark.parametrize("law,count", [("中华人民共和国民法典", 1260), ("中华人民共和国刑法", 505),
                                       ("中华人民共和国刑事诉讼法", 308), ("中华人民共和国治安管理处罚法", 144)])
def test_the_laws_families_meet_most_are_in_the_knowledge_base_whole(engine, law, count):
    rows = engine.kb.law_articles(law)
    assert len(rows) == count and all(r["official"] and r["text"] for r in rows)
    searchable = {d.ref for d in engine.kb.docs if d.kind == "article" and d.ref.startswith(law + "#")}
    assert len(searchable) == count  # every article can be found by search, not only looked up


def test_any_article_of_a_national_law_can_be_looked_up(engine):
    """民法典 is in the knowledge base whole; of other national laws only the cited articles are, and a look-up still
    quotes any other article verbatim from laws.db."""
    answer = engine.answer("民法典第1043条")
    assert answer.answered and "家庭应当树立优良家风" in answer.answer
    assert engine.answer("刑法第347条").matches[0].sources == [{"law": "中华人民共和国刑法", "article": 347}]
    answer = engine.answer("民事诉讼法第3条")
    assert answer.answered and "人民法院受理" in answer.answer
    assert engine.answer("刑法第17条之一").matches[0].sources == [
        {"law": "中华人民共和国刑法", "article": 17, "suffix": "之一"}]
    assert "1260" in engine.answer("民法典第9999条").answer


def test_missing_article_is_not_invented(engine):
    answer = engine.answer("未保法第500条")
    assert answer.answered is False
    assert "没有找到" in answer.answer


@pytest.mark.parametrize("question", [
    "我被同学堵在厕所里打，现在还在流血",
    "有人在网上威胁我要发我的裸照",
    "我不想活了",
    "放学路上有个陌生人一直跟着我",
    "爸爸喝醉了在打妈妈和我",
    "网友约我见面还让我别告诉爸妈",
    "同学说放学后要打我",
    "我被困在房间里出不去",
    "活着好累不想上学了",
    "孩子被拐卖了怎么办",
])
def test_danger_puts_110_first(engine, question):
    answer = engine.answer(question)
    assert answer.emergency is True
    assert answer.answer.index("110") < 40


@pytest.mark.parametrize("question", ["我在打游戏", "孩子打游戏充值了能退吗", "孩子关在房间里打游戏不出来",
                                      "未保法第75条", "猥亵儿童罪怎么判"])
def test_ordinary_questions_are_not_emergencies(engine, question):
    assert engine.answer(question).emergency is False


@pytest.mark.parametrize("question", ["推荐一部好看的电影", "怎么申请信用卡", "明天上海天气怎么样",
                                      "帮我做一下这道数学题", "股票怎么买", "你是谁", "给我讲个故事", "谢谢"])
def test_off_topic_is_declined(engine, question):
    answer = engine.answer(question)
    assert answer.answered is False
    assert answer.emergency is False


@pytest.mark.parametrize("question", ["", "   ", "？？？", "\u200b\u200b"])
def test_empty_input_gets_a_prompt(engine, question):
    answer = engine.answer(question)
    assert answer.answered is False and answer.answer


def test_json_contract(engine):
    result = engine.answer("孩子打游戏充了三千块能要回来吗").as_json()
    assert set(result) == {"question", "answered", "emergency", "answer", "matches"}
    assert result["matches"], "a legal question has matches"
    for match in result["matches"]:
        assert match["kind"] in ("faq", "article", "digest", "policy")
        assert set(match) >= {"kind", "id", "title", "text", "score", "sources"}
        for source in match["sources"]:
            assert isinstance(source["article"], int)


def test_every_cited_article_exists_in_the_knowledge_base(engine):
    for faq in engine.kb.faq.values():
        for source in faq["sources"]:
            assert engine.kb.article(source["law"], source["article"], source.get("suffix", "")), (faq["id"], source)


def test_national_text_is_verbatim_from_the_package(engine):
    import sqlite3

    from knowledge.statutes import packaged_laws_db

    with sqlite3.connect(packaged_laws_db()) as conn:
        rows = conn.execute("select article_no_arabic, article_text from articles where law_name = ? "
                            "and article_no not like '%之%'", (LAW,)).fetchall()
    assert len(rows) == 132
    for number, text in rows:
        assert engine.kb.article(LAW, number)["text"] == text.strip()


def test_article_17_and_17_bis_stay_distinct(engine):
    plain = engine.kb.article("中华人民共和国刑法", 17)
    assert plain and "十六周岁" in plain["text"]
    bis = engine.kb.article("中华人民共和国刑法", 17, "之一")
    assert bis is None or "七十五周岁" in bis["text"]


def test_traditional_and_full_width_input(engine):
    simplified = engine.answer("学校可以开除初中生吗")
    traditional = engine.answer("學校可以開除初中生嗎？")
    assert traditional.matches[0].id == simplified.matches[0].id


@pytest.mark.parametrize("question,units", [
    ("浦东孤独症关爱服务谁负责", ["区民政局", "区残联"]),
    ("浦东未成年人心理健康服务由哪些部门负责", ["区卫健委", "区教育局"]),
    ("爱心妈咪小屋是哪个单位负责", ["区总工会"]),
    ("浦东网吧违规接纳未成年人谁来查", ["区市场监管局"]),
    ("浦东法治进校园谁负责", ["区教育局", "区公安分局", "团区委"]),
])
def test_questions_about_pudongs_plan_name_the_responsible_units(engine, question, units):
    answer = engine.answer(question)
    assert answer.answered and answer.matches[0].kind == "policy"
    assert all(unit in answer.answer for unit in units), answer.answer


@pytest.mark.parametrize("question,fact", [
    ("孩子多大可以打工", "十六周岁"),
    ("网络游戏晚上几点以后不能给未成年人玩", "22时"),
    ("多大算成年人", "十八周岁"),
    ("几岁要负刑事责任", "十六周岁"),
    ("酒吧离学校要多远", "二百米"),
    ("处理多大孩子的个人信息要家长同意", "十四周岁"),
])
def test_everyday_fact_questions_state_the_number(engine, question, fact):
    answer = engine.answer(question)
    assert answer.answered and fact in answer.answer


@pytest.mark.parametrize("question", ["\ud800孩子被打了", "\udcff", "a\udfffb怎么办"])
def test_broken_text_gets_an_answer_not_an_error(engine, question):
    answer = engine.answer(question)
    assert answer.answer and answer.as_json()["question"] == question
