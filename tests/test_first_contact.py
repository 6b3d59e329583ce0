"""The first minutes, from the user's side: a typed answer at a button step keeps the form and says what is
expected (with a way out), a request opens its flow at once, the lecture list says where, for whom and how many
seats, a family larger than the seats left chooses, ages as people type them, the confirm button first, and what
people typed comes back as they typed it."""
import io
from datetime import timedelta
import pytest

from chat import console
from tests.chat_fixtures import buttons, make_assistant, new_session, say, sign_up
from tests.test_web_api import browser, press
from tests.test_web_api import say as web_say


def test_typing_a_name_at_the_privacy_screen_keeps_the_sign_up_in_the_terminal(engine, tmp_path):
    bot = make_assistant(engine, tmp_path)
    new_session(bot)
    script = "\n".join(["/lectures", "1", "1", "王五", "同意", "王五", "1", "13812345678", "1", "1", "exit"]) + "\n"
    out = io.StringIO()
    console.run(bot, io.StringIO(script), out)
    text = out.getvalue()
    kept = text.split("你> ")[4]  # the reply to 「王五」 typed at the notice
    assert "同意并继续" in kept and "取消" in kept and "我是浦东新区" not in kept
    assert "报名成功！报名编号：JZ-2026-0001" in text


def test_cancel_typed_at_the_privacy_screen_leaves(bot):
    session = new_session(bot)
    say(bot, "tg:41", button=f"lec:join:{session.id}")
    assert "不收集" in say(bot, "tg:41", text="取消")[0].text
    assert bot.state.get("tg:41") is None


@pytest.mark.asyncio
async def test_typing_at_the_privacy_screen_on_the_web_is_not_stuck(bot):
    session = new_session(bot)
    async with browser(bot) as client:
        notice = await press(client, f"lec:join:{session.id}")
        assert "个人信息说明" in notice[0]["text"]
        kept = await web_say(client, "王五")
        labels = [b["label"] for r in kept for row in r["buttons"] for b in row]
        assert "同意并继续" in labels and "不同意" in labels and "取消" in kept[0]["text"]
        agreed = await press(client, [b["data"] for r in kept for row in r["buttons"] for b in row][0])
        assert "姓名" in agreed[0]["text"]


def test_a_guardian_typing_at_the_consent_step_may_leave(bot):
    from chat.consent import CONFIRM

    bot.state.put("tg:42", "gdn", CONFIRM, {"code": "X"})
    reply = say(bot, "tg:42", text="好的")[0]
    assert "gdn:cancel" in buttons([reply])
    assert "先不作决定" in say(bot, "tg:42", button="gdn:cancel")[0].text and bot.state.get("tg:42") is None


@pytest.mark.parametrize("request_text, shown", [("我想报名听讲座", "近期可报名的普法讲座"),
                                                 ("我的报名怎么样了", "您还没有报名")])
def test_a_request_opens_its_flow_at_once(bot, request_text, shown):
    new_session(bot)
    reply = say(bot, "tg:43", text=request_text)
    assert shown in reply[0].text


def test_the_lecture_list_says_where_for_whom_and_the_seats_left(bot):
    session = new_session(bot, capacity=2)
    text = say(bot, "tg:44", command="lectures")[0].text
    assert "浦东图书馆（花木街道）" in text and "对象：家长" in text and "剩余 2 个名额" in text
    sign_up(bot, "tg:45", attendees="2")
    assert "名额已满，可候补" in say(bot, "tg:44", command="lectures")[0].text
    assert session.id


def _family_of_two(bot, user):
    session = new_session(bot, capacity=2)
    sign_up(bot, "tg:46")  # one seat left
    say(bot, user, button=f"privacy:agree:lec:join:{session.id}")
    for step in ({"text": "李四"}, {"button": "lec:pick:role:0"}, {"text": "13912345678"}):
        say(bot, user, **step)
    return say(bot, user, text="2")[0]


def test_a_family_of_two_with_one_seat_left_may_take_the_seat(bot):
    offer = _family_of_two(bot, "tg:47")
    assert "只剩 1 个名额" in offer.text and "lec:pick:fit:0" in buttons([offer])
    review = say(bot, "tg:47", button="lec:pick:fit:0")
    assert "先报剩下的名额" in review[0].text
    assert "报名成功" in say(bot, "tg:47", button="lec:ok")[0].text
    [reg] = bot.desk.lectures.my_registrations("tg:47")
    assert reg.attendees == 1 and reg.status == "confirmed"


def test_a_family_of_two_with_one_seat_left_may_wait_together(bot):
    _family_of_two(bot, "tg:48")
    say(bot, "tg:48", text="一起排候补")
    assert "候补" in say(bot, "tg:48", button="lec:ok")[0].text
    [reg] = bot.desk.lectures.my_registrations("tg:48")
    assert reg.attendees == 2 and reg.status != "confirmed"


@pytest.mark.parametrize("typed", ["13岁", "十三岁", "我13", "我今年13岁了"])
def test_ages_as_people_type_them(bot, typed):
    session = new_session(bot)
    say(bot, "tg:49", button=f"privacy:agree:lec:join:{session.id}")
    say(bot, "tg:49", text="王小明")
    say(bot, "tg:49", button="lec:pick:role:1")
    asked = say(bot, "tg:49", text=typed)
    assert "监护人" in asked[-1].text  # 13: a guardian must consent


def test_the_review_offers_to_change_the_age_and_confirm_comes_first(bot):
    session = new_session(bot)
    say(bot, "tg:50", button=f"privacy:agree:lec:join:{session.id}")
    for step in ({"text": "王小明"}, {"button": "lec:pick:role:1"}, {"text": "十三岁"}, {"text": "王丽"},
                 {"text": "13812345678"}):
        say(bot, "tg:50", **step)
    review = say(bot, "tg:50", text="1")[0]
    assert "13 周岁" in review.text
    assert review.buttons[0][0].data == "lec:ok" and "lec:edit:age" in buttons([review])


def test_full_width_punctuation_in_notes_reaches_staff_as_typed(bot):
    from tests.chat_fixtures import school_form_to_notes
    user = "tg:51"
    school_form_to_notes(bot, user)
    review = say(bot, user, text="需要投影仪，能否提前到？谢谢！")
    assert "需要投影仪，能否提前到？谢谢！" in review[0].text
    say(bot, user, button="sch:ok")
    [booking] = bot.desk.schools.for_user(user)
    assert booking.request.notes == "需要投影仪，能否提前到？谢谢！"


def test_the_consent_message_gives_the_web_link_when_the_public_address_is_known(engine, kb_settings, tmp_path,
                                                                               monkeypatch):
    import dataclasses

    import bot as entry
    for name in ("kb.sqlite", "kb.manifest.json"):
        (tmp_path / name).write_bytes((kb_settings.data_dir / name).read_bytes())
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://pufa.example.cn")
    monkeypatch.setenv("WECHAT_ACCOUNT_NAME", "浦东未保")
    assistant = entry.open_assistant(dataclasses.replace(kb_settings, data_dir=tmp_path))
    try:
        session = new_session(assistant, starts=assistant.ctx.now() + timedelta(days=10))  # the real clock here
        user = "tg:60"
        say(assistant, user, button=f"privacy:agree:lec:join:{session.id}")
        for step in ({"text": "王小明"}, {"button": "lec:pick:role:1"}, {"text": "12"}, {"text": "王丽"},
                     {"text": "13812345678"}, {"text": "1"}):
            say(assistant, user, **step)
        done = say(assistant, user, button="lec:ok")[0].text
        assert "https://pufa.example.cn/?start=consent_" in done and "微信公众号「浦东未保」" in done
    finally:
        assistant.close()


def test_a_teacher_sees_what_each_programme_is_and_no_under_14_rule(bot):
    from tests.chat_fixtures import SCHOOL_ANSWERS
    notice = say(bot, "tg:61", command="book")[0].text
    assert "个人信息说明" in notice and "不满 14 周岁" not in notice
    assert "不满 14 周岁" in say(bot, "tg:62", button=f"lec:join:{new_session(bot).id}")[0].text
    say(bot, "tg:61", button="privacy:agree:sch:new")
    for answer in SCHOOL_ANSWERS:
        prompt = say(bot, "tg:61", text=answer)[-1].text
    assert "· 法治副校长示范课「开卷有益」：法治副校长主讲，小学至高中，约 40 分钟" in prompt


def test_a_schools_review_groups_related_edits(bot):
    from tests.chat_fixtures import school_form_to_notes
    user = "tg:63"
    school_form_to_notes(bot, user)
    review = say(bot, user, button="sch:skip")[0]
    data = buttons([review])
    assert data[0] == "sch:ok" and len(data) <= 8, data
    contact = say(bot, user, button="sch:grp:1")[0]
    assert {"sch:edit:contact_name", "sch:edit:phone", "sch:back"} <= set(buttons([contact]))
    assert "请核对" in say(bot, user, button="sch:back")[0].text


def test_nobody_is_told_to_type_a_command_where_a_button_does_it(bot):
    new_session(bot)
    confirmed = sign_up(bot, "tg:64")[0]
    assert "报名成功" in confirmed.text and "/my" not in confirmed.text and "menu:my" in buttons([confirmed])
    empty = say(bot, "tg:65", command="my")[0]
    assert "/" not in empty.text and {"menu:lectures", "menu:book"} <= set(buttons([empty]))
    gone = say(bot, "tg:65", button="lec:view:999")[0]
    assert "/lectures" not in gone.text and "menu:lectures" in buttons([gone])
