"""Crisis help only for danger now, in any words; legal questions about the past, punishment or procedure get the law.

The sets in content/danger were written by someone who did not see the rules (see tests/data/README.md); the learned
detector trains on them."""
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "content" / "danger"
NOW = [line.strip() for line in (DATA / "now.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
LEGAL = [line.strip() for line in (DATA / "not_now.txt").read_text(encoding="utf-8").splitlines()
         if line.strip()]


def test_the_sets_are_big_enough():
    assert len(NOW) >= 60 and len(LEGAL) >= 150


def test_every_danger_now_gets_crisis_help(engine):
    missed = [q for q in NOW if not engine.answer(q).emergency]
    assert not missed, f"{len(missed)} of {len(NOW)} emergencies got no crisis reply: {missed[:10]}"


def test_legal_questions_about_violence_rarely_alarm(engine):
    alarmed = [q for q in LEGAL if engine.answer(q).emergency]
    assert len(alarmed) <= 0.02 * len(LEGAL), f"{len(alarmed)} of {len(LEGAL)} alarmed: {alarmed[:10]}"


@pytest.mark.parametrize("question, writer_word", [
    ("我爸喝醉了拿着刀在砸门 我躲在厕所里", "你"),
    ("我女儿刚才被一个男的抱上车开走了", "请立即拨打 110 报警"),
    ("我看见一个男的把一个小孩拖进草丛里了", "说清地址"),
])
def test_crisis_reply_is_help_only_and_fits_the_writer(engine, question, writer_word):
    answer = engine.answer(question)
    assert answer.emergency and answer.answer.index("110") < 40
    assert writer_word in answer.answer
    assert "法律依据" not in answer.answer and "第" not in answer.answer.split("110", 1)[0]
    assert "110" in answer.calls


def test_crisis_reply_keeps_the_legal_matches_for_its_button(engine):
    answer = engine.answer("救命 我爸喝醉了拿刀要砍我")
    assert answer.emergency and answer.matches
    legal = engine.answer("救命 我爸喝醉了拿刀要砍我", legal_only=True)
    assert not legal.emergency and "法律依据" in legal.answer


def test_an_ongoing_abuse_is_never_silenced_by_a_legal_word(engine):
    assert engine.answer("我爸天天打我 这样犯法吗").emergency
    assert engine.answer("他现在还在摸我 这算猥亵吗 怎么判").emergency


def test_a_past_offence_gets_the_law_with_a_calm_line(engine):
    answer = engine.answer("女儿9岁时被补课老师猥亵了，这个老师会怎么判")
    assert not answer.emergency and answer.answered
    assert "110" in answer.answer.split("法律依据")[-1]  # the calm line comes after the legal basis


def test_the_crisis_reply_in_a_chat_has_help_buttons_and_the_legal_answer_behind_one(bot):
    from tests.chat_fixtures import buttons, say
    reply = say(bot, "tg:9", text="救命 我爸喝醉了拿刀在砸门")[0]
    data = buttons([reply])
    assert "110" in reply.calls and not any(d.startswith("fb:") for d in data)
    legal = [d for d in data if d.startswith(("faq:", "art:"))]
    assert legal, data
    law = say(bot, "tg:9", button=legal[0])[0]
    assert "法律依据" in law.text or "《" in law.text


# ---- advice that fits the situation (content/emergency.yaml situations) -----------------------------------

def test_children_hiding_behind_a_locked_door_are_told_to_stay_in(engine):
    answer = engine.answer("我继父喝醉了在砸门，我和妹妹躲在厕所")
    assert answer.emergency
    assert "不要开门" in answer.answer and "小声打 110" in answer.answer and "地址" in answer.answer
    assert "跑" not in answer.answer and "邻居家" not in answer.answer  # never sent past a drunk adult


def test_a_sibling_there_is_kept_close(engine):
    answer = engine.answer("我继父喝醉了在砸门，我和妹妹躲在厕所")
    assert "弟弟妹妹一直待在你身边" in answer.answer
    assert "身边" not in engine.answer("我继父喝醉了在砸门，我躲在厕所").answer


def test_afterwards_family_violence_gets_the_womens_federation_and_a_child_12355(engine):
    answer = engine.answer("我继父喝醉了在砸门，我和妹妹躲在厕所")
    after = answer.answer.split("等安全了", 1)[1]
    assert "12338" in after and "12355" in after
    assert "12338" in answer.calls and "12355" in answer.calls
    stranger = engine.answer("放学路上有个男的一直跟着我")
    assert "12338" not in stranger.answer  # not a family matter


def test_followed_outside_goes_where_people_are(engine):
    answer = engine.answer("放学路上有个男的一直跟着我")
    assert answer.emergency and "人多" in answer.answer and "商店" in answer.answer
    assert "锁" not in answer.answer


def test_hurt_calls_120(engine):
    answer = engine.answer("我爸在打我 我流血了")
    assert answer.emergency and "120" in answer.calls
    assert "打 120" in answer.answer and "按住" in answer.answer
    assert "按住" not in engine.answer("救命 我爸喝醉了拿刀要砍我").answer


def test_alone_at_home_with_someone_at_the_door_does_not_open(engine):
    answer = engine.answer("有人一直敲门 我一个人在家 不敢开门")
    assert answer.emergency and "不要开门" in answer.answer and "家里没有大人" in answer.answer


def test_a_fire_never_gets_stay_inside_advice(engine):
    answer = engine.answer("着火了 我躲在房间里 好多烟")
    assert answer.emergency and "门一直锁着" not in answer.answer and "往外跑" in answer.answer


def test_a_situation_naming_a_rule_that_does_not_exist_fails_the_load(tmp_content):
    from knowledge.danger import load_danger_rules
    from runtime.yamlfile import ContentError

    path = tmp_content / "emergency.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("rules: [violence-now, abuse-now, followed, threat, sexual-abuse]",
                                                             "rules: [violence-nowx]", 1), encoding="utf-8")
    with pytest.raises(ContentError, match="violence-nowx"):
        load_danger_rules(tmp_content, None)


def test_a_child_shut_in_is_not_told_to_find_somewhere_warm(engine):
    answer = engine.answer("我妈把我关在家里不让我出去 我好饿")
    assert answer.emergency and "被关在里面出不来" in answer.answer and "不要爬窗" in answer.answer
    assert "暖和的地方" not in answer.answer
    outside = engine.answer("我被锁在门外了 外面在下大雨 我爸不让我进门")
    assert "暖和的地方" in outside.answer  # locked out: find somewhere safe and warm


def test_a_child_locked_in_a_car_gets_120_and_the_window(engine):
    answer = engine.answer("孩子被锁在车里了 好热")
    assert answer.emergency and answer.calls[:2] == ["110", "120"]
    assert "车窗" in answer.answer and "暖和的地方" not in answer.answer
