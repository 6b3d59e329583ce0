import pytest

from knowledge.refs import DEFAULT_LAW, ReferenceParser

LAW = "中华人民共和国未成年人保护法"
SH = "上海市未成年人保护条例"
PREVENT = "中华人民共和国预防未成年人犯罪法"
PARSER = ReferenceParser({"未保法": LAW, "未成年人保护法": LAW, "上海条例": SH, "预防法": PREVENT,
                          "预防未成年人犯罪法": PREVENT})


@pytest.mark.parametrize("text,law,number", [
    ("未保法第75条", LAW, 75),
    ("未成年人保护法第七十五条", LAW, 75),
    ("《未成年人保护法》第75条讲了什么", LAW, 75),
    ("上海条例73条", SH, 73),
    ("预防法 59", PREVENT, 59),
    ("预防未成年人犯罪法第三十八条", PREVENT, 38),
    ("第十一条", DEFAULT_LAW, 11),
])
def test_reference_forms(text, law, number):
    refs = PARSER.find(text)
    assert refs and (refs[0].law, refs[0].article) == (law, number)


@pytest.mark.parametrize("text", ["未成年人保护法规定孩子几岁可以打工", "孩子12岁能玩游戏吗", "预防法是什么"])
def test_no_reference_in_ordinary_questions(text):
    assert PARSER.find(text) == []
