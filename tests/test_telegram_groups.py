"""Telegram group chats and commands for other bots, through the real Application and a fake Bot API."""
from __future__ import annotations

from datetime import timedelta

from chat.context import shanghai_now
from tests.fakebotapi import ADMIN, BOT, GROUP, USER
from tests.telegram_fixtures import (TELEGRAM_TESTS, exchange, fake, log_errors, settle,  # noqa: F401
                                     tg, tg_app, tg_assistant)

pytestmark = TELEGRAM_TESTS

NAME, PHONE = "欧阳翠花", "13912345678"


def signed_up(assistant) -> None:
    """USER has a sign-up with a name and phone number (made in private)."""
    start = shanghai_now() + timedelta(days=10)
    session = assistant.desk.lectures.create_session("family-education", "", start, start + timedelta(hours=1),
                                                     "浦东图书馆", "花木", "家长", 10, start - timedelta(days=1),
                                                     f"tg:{ADMIN['id']}")
    assistant.desk.lectures.sign_up(session.id, f"tg:{USER['id']}", NAME, PHONE, "家长", 1, shanghai_now())


async def test_commands_for_another_bot_are_ignored(tg, tg_assistant):
    mark = tg.mark()
    tg.push(tg.command("/forget@some_other_bot"))                        # in a private chat
    tg.push(tg.command("/privacy@Some_Other_Bot extra"))
    [menu] = await exchange(tg, tg.command(f"/start@{BOT['username']}", chat=GROUP))
    tg.push(tg.command("/my@some_other_bot", chat=GROUP, reply_to=menu.result))  # a reply to us, for another bot
    await settle(tg)
    assert [c.params["chat_id"] for c in tg.calls_to("sendMessage", since=mark)] == [GROUP["id"], ADMIN["id"]]
    [ours] = await exchange(tg, tg.command(f"/privacy@{BOT['username']}"))  # addressed to us: answered
    assert "个人信息" in ours.text


async def test_menu_buttons_in_a_group_never_show_or_send_personal_data(tg, tg_assistant):
    signed_up(tg_assistant)
    [menu] = await exchange(tg, tg.command(f"/start@{BOT['username']}", chat=GROUP))
    for data in ("menu:privacy", "menu:my", "menu:book", "menu:forget", "menu:lectures"):
        [answer] = await exchange(tg, tg.callback(menu, data))
        assert answer.params["chat_id"] == GROUP["id"] and "私聊" in answer.text, data
        assert NAME not in answer.text and "1391234" not in answer.text
    mark = tg.mark()
    [answer] = await exchange(tg, tg.callback(menu, "menu:export", user=ADMIN))
    assert "私聊" in answer.text
    await settle(tg)
    assert tg.calls_to("sendDocument", since=mark) == []
    assert tg_assistant.state.get(f"tg:{USER['id']}") is None  # no form was started


PARENT = {"id": 3003, "is_bot": False, "first_name": "王丽", "language_code": "zh-hans"}


async def test_a_guardian_confirms_through_the_telegram_deep_link(tg, tg_assistant):
    start = shanghai_now() + timedelta(days=10)
    session = tg_assistant.desk.lectures.create_session("family-education", "", start, start + timedelta(hours=1),
                                                        "浦东图书馆", "花木", "学生", 10, start - timedelta(days=1),
                                                        f"tg:{ADMIN['id']}")
    child = {"id": 4004, "is_bot": False, "first_name": "小明", "language_code": "zh-hans"}
    [notice] = await exchange(tg, tg.command(f"/start lec_{session.id}", user=child))
    [notice] = await exchange(tg, tg.callback(notice, notice.buttons[0][1], user=child))   # 报名
    [asks] = await exchange(tg, tg.callback(notice, notice.buttons[0][1], user=child))     # 同意
    await exchange(tg, tg.text("王小明", user=child))
    [age] = await exchange(tg, tg.text("学生", user=child))
    assert "几周岁" in age.text
    for answer in ("12", "王丽", "13812345678", "1"):
        [review] = await exchange(tg, tg.text(answer, user=child))
    submit = next(data for _, data in review.buttons if data.endswith(":ok"))
    [held] = await exchange(tg, tg.callback(review, submit, user=child))
    link = f"https://t.me/{BOT['username']}?start=consent_"
    assert "还差一步" in held.text and link in held.text
    code = held.text.split(link, 1)[1][:8]

    [request] = await exchange(tg, tg.command(f"/start consent_{code}", user=PARENT))  # the link, opened by the parent
    assert "王小明" in request.text and [d for _, d in request.buttons] == ["gdn:yes", "gdn:no"]
    mark = tg.mark()
    tg.push(tg.callback(request, "gdn:yes", user=PARENT))
    calls = await tg.wait_for("sendDocument", since=mark)  # the child's confirmation comes with its .ics file
    assert calls[0].params["chat_id"] == child["id"]
    reg = tg_assistant.desk.lectures.my_registrations(f"tg:{child['id']}")[0]
    assert reg.status == "confirmed" and reg.guardian_user_key == f"tg:{PARENT['id']}"
