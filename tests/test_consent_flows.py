"""Guardian consent through the Assistant (so in every channel): a child under 14 cannot complete a sign-up alone;
a guardian confirms or refuses from their own account; unanswered holds expire and free the seat."""
import re
from datetime import timedelta

import pytest

from chat.types import Event
from tests.chat_fixtures import NOW, buttons, make_assistant, new_session, say, sign_up, take_outbox

CHILD, GUARDIAN = "tg:70", "wx:parent"


@pytest.fixture
def clock():
    return [NOW]


@pytest.fixture
def bot(engine, tmp_path, clock):
    assistant = make_assistant(engine, tmp_path, clock=lambda: clock[0])
    yield assistant
    assistant.close()


def child_signs_up(bot, session, user=CHILD, age="12", name="王小明"):
    """The child fills the form alone; returns the replies to 提交 and the code they were given."""
    say(bot, user, button=f"lec:join:{session.id}")
    say(bot, user, button=f"privacy:agree:lec:join:{session.id}")
    say(bot, user, text=name)
    asks_age = say(bot, user, button="lec:pick:role:1")  # 学生
    assert "几周岁" in asks_age[-1].text
    say(bot, user, text=age)
    say(bot, user, text="王丽")
    say(bot, user, text="13812345678")
    review = say(bot, user, text="1")
    assert "lec:ok" in buttons(review)
    done = say(bot, user, button="lec:ok")
    match = re.search(r"确认码交给监护人：([A-Z0-9]{8})", done[0].text)
    return done, match.group(1) if match else ""


def test_a_child_under_14_cannot_complete_a_sign_up_alone(bot):
    session = new_session(bot)
    done, code = child_signs_up(bot, session)
    assert "还差一步" in done[0].text and code and done[0].attachment is None
    assert "报名成功" not in done[0].text
    [reg] = bot.desk.lectures.my_registrations(CHILD)
    assert reg.status == "held" and reg.guardian_consent_at is None
    # the child tries to confirm themselves: typed, as a deep link, or with a forged button
    assert "自己的手机或账号" in say(bot, CHILD, text=code)[0].text
    assert "自己的手机或账号" in say(bot, CHILD, command="start", args=(f"consent_{code}",))[0].text
    assert "过期" in say(bot, CHILD, button="gdn:yes")[0].text
    assert bot.desk.lectures.my_registrations(CHILD)[0].status == "held"
    assert take_outbox(bot) == []


def test_the_guardian_confirms_from_their_own_account(bot):
    session = new_session(bot)
    _, code = child_signs_up(bot, session)
    request = say(bot, GUARDIAN, text=code)  # typed, as in WeChat
    text = request[0].text
    assert "王小明" in text and "监护人 王丽" in text and session.title in text
    assert "为什么收集" in text and "谁能看到" in text and "保存多久" in text and "第三十一条" in text
    assert buttons(request) == ["gdn:yes", "gdn:no"]
    thanks = say(bot, GUARDIAN, button="gdn:yes")
    assert "已记录您的同意" in thanks[0].text
    [(user, told)] = take_outbox(bot)
    assert user == CHILD and "监护人已同意，报名成功" in told.text and told.attachment.filename.endswith(".ics")
    [reg] = bot.desk.lectures.my_registrations(CHILD)
    assert reg.status == "confirmed" and reg.guardian_user_key == GUARDIAN and reg.guardian_consent_at == NOW
    assert "同意报名" in say(bot, CHILD, command="privacy")[0].text
    assert "您作为监护人同意了报名" in say(bot, GUARDIAN, command="privacy")[0].text
    assert "无效或已过期" in say(bot, "tg:other", command="start", args=(f"consent_{code}",))[0].text  # one-time


def test_deep_links_open_the_consent_screen(bot):
    session = new_session(bot)
    _, code = child_signs_up(bot, session)
    opened = say(bot, "tg:parent", command="start", args=(f"consent_{code}",))  # Telegram /start, web ?start=
    assert buttons(opened) == ["gdn:yes", "gdn:no"]
    assert "请点下面的按钮" in say(bot, "tg:parent", text="好的")[0].text
    assert "格式不对" in say(bot, "tg:x", command="start", args=("consent_bad",))[0].text


def test_refusal_frees_the_seat_and_deletes_what_the_child_typed(bot):
    session = new_session(bot, capacity=1)
    _, code = child_signs_up(bot, session)
    assert "候补" in sign_up(bot, "tg:adult", name="赵六", phone="13612345678")[0].text
    say(bot, GUARDIAN, text=code)
    refused = say(bot, GUARDIAN, button="gdn:no")
    assert "没有同意" in refused[0].text
    told = dict(take_outbox(bot))
    assert "没有同意" in told[CHILD].text and "有空位" in told["tg:adult"].text
    [reg] = bot.desk.lectures.my_registrations(CHILD)
    assert (reg.status, reg.name, reg.phone, reg.guardian_name) == ("cancelled", "", "", "")


def test_unconfirmed_holds_expire_free_the_seat_and_tell_the_child(bot, clock):
    session = new_session(bot, capacity=1)
    _, code = child_signs_up(bot, session)
    sign_up(bot, "tg:adult", name="赵六", phone="13612345678")
    clock[0] = NOW + timedelta(hours=47)
    bot.reminders()
    assert take_outbox(bot) == []
    clock[0] = NOW + timedelta(hours=48)
    bot.reminders()  # every channel asks for reminders every few minutes: holds are released there
    told = dict(take_outbox(bot))
    assert "自动取消" in told[CHILD].text and "有空位" in told["tg:adult"].text
    assert bot.desk.lectures.get_session(session.id).seats_left == 0
    assert "无效或已过期" in say(bot, GUARDIAN, command="start", args=(f"consent_{code}",))[0].text


def test_the_review_screen_cannot_remove_the_need_for_consent(bot):
    session = new_session(bot)
    say(bot, CHILD, button=f"privacy:agree:lec:join:{session.id}")
    for step in ({"text": "王小明"}, {"button": "lec:pick:role:1"}, {"text": "2014"}, {"text": "王丽"},
                 {"text": "13812345678"}):
        say(bot, CHILD, **step)
    review = say(bot, CHILD, text="1")
    assert "11 周岁" in review[0].text
    assert "lec:edit:role" not in buttons(review) and "lec:edit:guardian_name" in buttons(review)
    locked = say(bot, CHILD, button="lec:edit:role")
    assert "不能再修改" in locked[0].text and bot.state.get(CHILD)[1] == "review"
    say(bot, CHILD, button="lec:edit:age")  # 修改年龄 corrects the age, but not past the need for consent
    assert "只能改成不满 14 周岁" in say(bot, CHILD, text="15岁")[0].text
    assert "12 周岁" in say(bot, CHILD, text="十二岁")[0].text and bot.state.get(CHILD)[1] == "review"
    assert "不能再修改" in say(bot, CHILD, button="lec:edit:phone")[0].text  # not asked of a child: not editable
    assert bot.state.get(CHILD)[1] == "review"
    done = say(bot, CHILD, button="lec:ok")
    assert "还差一步" in done[0].text


def test_a_student_of_14_or_older_signs_up_alone(bot):
    session = new_session(bot)
    say(bot, CHILD, button=f"privacy:agree:lec:join:{session.id}")
    say(bot, CHILD, text="王大明")
    say(bot, CHILD, button="lec:pick:role:1")
    asks_phone = say(bot, CHILD, text="15岁")
    assert "联系电话" in asks_phone[-1].text
    say(bot, CHILD, text="13812345678")
    say(bot, CHILD, text="1")
    assert "报名成功" in say(bot, CHILD, button="lec:ok")[0].text


def test_the_child_can_get_a_new_code_from_my(bot):
    session = new_session(bot)
    _, old = child_signs_up(bot, session)
    mine = say(bot, CHILD, command="my")
    assert "等待监护人确认" in mine[0].text
    [renew] = [b for b in buttons(mine) if b.startswith("lec:code:")]
    again = say(bot, CHILD, button=renew)
    new = re.search(r"确认码交给监护人：([A-Z0-9]{8})", again[0].text).group(1)
    assert new != old
    assert "无效或已过期" in say(bot, GUARDIAN, command="start", args=(f"consent_{old}",))[0].text
    assert buttons(say(bot, GUARDIAN, text=new)) == ["gdn:yes", "gdn:no"]
    assert "不再等待" in say(bot, "tg:someone", button=renew)[0].text  # only the child's own sign-up


def test_links_registered_by_channels_are_offered(bot):
    bot.ctx.links["Telegram"] = "https://t.me/pufa_bot?start={payload}"
    done, code = child_signs_up(bot, new_session(bot))
    assert f"https://t.me/pufa_bot?start=consent_{code}" in done[0].text


def test_a_code_said_in_a_group_is_just_text(bot):
    _, code = child_signs_up(bot, new_session(bot))
    answer = bot.handle(Event(user=GUARDIAN, text=code, public=True))
    assert "gdn:yes" not in buttons(answer) and bot.state.get(GUARDIAN) is None


def test_forget_cancel_does_not_claim_nothing_is_collected(bot):
    new_session(bot)
    sign_up(bot, "tg:1")
    forget = say(bot, "tg:1", command="forget")
    [cancel] = [b for b in buttons(forget) if b != "privacy:forget"]
    kept = say(bot, "tg:1", button=cancel)[0].text
    assert "不收集" not in kept and "没有删除" in kept
    declined = say(bot, "tg:1", button="privacy:no")[0].text  # 不同意 under a later notice
    assert "不收集您的任何信息" not in declined and "/forget" in declined
    assert "不收集您的任何信息" in say(bot, "tg:new", button="privacy:no")[0].text  # nothing held: true
