"""The question log's masking set: every form of identifying detail people type, and what must stay readable."""
import time

import pytest

from runtime.masking import mask_personal

# (what someone typed, what must not be kept, the mark left instead)
HIDDEN = [
    ("我是张伟，孩子在学校被打了", "张伟", "[姓名]"),
    ("本人是李娜的妈妈，想问问", "李娜", "[姓名]"),
    ("有个同学名叫刘洋", "刘洋", "[姓名]"),
    ("我姓赵，孩子今年12岁", "我姓赵", "[姓名]"),
    ("一个姓王的老师打了学生", "姓王", "[姓名]"),
    ("我叫欧阳翠花", "欧阳翠花", "[姓名]"),
    ("我女儿王小红在浦东新区明珠小学三年级二班被欺负", "王小红", "[姓名]"),
    ("我女儿王小红在浦东新区明珠小学三年级二班被欺负", "明珠小学", "[学校]"),
    ("我女儿王小红在浦东新区明珠小学三年级二班被欺负", "二班", "[班级]"),
    ("孩子陈一鸣在建平中学读初二（3）班", "陈一鸣", "[姓名]"),
    ("孩子陈一鸣在建平中学读初二（3）班", "建平中学", "[学校]"),
    ("孩子陈一鸣在建平中学读初二（3）班", "（3）班", "[班级]"),
    ("我家住在张杨路100弄5号302室", "张杨路100弄5号302室", "[地址]"),
    ("我家住在张杨路一百弄五号三零二室", "张杨路", "[地址]"),
    ("住在花木新村12号301室", "花木新村", "[地址]"),
    ("对方住3号楼502室", "502室", "[地址]"),
    ("加我QQ号12345678", "12345678", "[QQ号]"),
    ("扣扣：87654321", "87654321", "[QQ号]"),
    ("我的微信号是 wxid_ab12cd", "wxid_ab12cd", "[微信号]"),
    ("加vx:Zhang_wei88", "Zhang_wei88", "[微信号]"),
    ("电话一三八一二三四五六七八", "一三八一二三四五六七八", "[电话]"),
    ("打我手机幺三八 一二三四 五六七八", "一二三四", "[电话]"),
    ("手机１３８１２３４５６７８", "１３８１２３４５６７８", "[电话]"),
    ("手机13812345678", "13812345678", "[电话]"),
]

KEPT = ["我是家长", "我是高中生", "我是一名老师", "孩子在学校被欺负", "我们学校能这样做吗", "孩子上小学了",
        "孩子的学校", "公办学校能收费吗", "孩子高烧在家", "孩子明天在家", "孩子和同学在打架", "12月3号去",
        "未保法第七十五条", "刑法第二百三十四条", "孩子12岁", "老百姓", "孩子随母姓", "我叫他别去学校",
        "去年九月", "一一零", "有什么求助电话", "孩子上班了吗", "预防法 59"]


@pytest.mark.parametrize("typed, secret, mark", HIDDEN)
def test_identifying_details_are_masked(typed, secret, mark):
    masked = mask_personal(typed)
    assert secret not in masked and mark in masked, masked


@pytest.mark.parametrize("typed", KEPT)
def test_ordinary_questions_are_left_alone(typed):
    assert mask_personal(typed) == typed


def test_the_new_forms_stay_linear_in_the_length_of_the_text():
    for text in ["我是张" * 30_000, "孩子王小" * 25_000, "1号" * 50_000, "路1弄" * 30_000, "小学" * 50_000,
                 "一" * 100_000, "qq" * 50_000, "vx:a" * 25_000, "3班" * 50_000, "姓王" * 50_000]:
        started = time.perf_counter()
        mask_personal(text)
        assert time.perf_counter() - started < 0.5, text[:10]


def test_questions_logged_before_are_masked_again_on_upgrade(tmp_path):
    import sqlite3

    from chat.state import MIGRATIONS, ChatState
    path = tmp_path / "chat.sqlite"
    ChatState(path).close()
    with sqlite3.connect(path) as conn:  # a question from older code, and the migration not yet run
        conn.execute("INSERT INTO questions (asked_at, text, answered) VALUES (0, '我是张伟，住张杨路100弄5号302室', 1)")
        conn.execute("DELETE FROM _migrations WHERE name = ?", [MIGRATIONS[-1][0]])
    ChatState(path).close()
    with sqlite3.connect(path) as conn:
        [(text,)] = conn.execute("SELECT text FROM questions").fetchall()
    assert "张伟" not in text and "张杨路" not in text
