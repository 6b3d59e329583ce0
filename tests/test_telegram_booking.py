"""A school booking over Telegram, end to end: consent, a form interrupted by a restart, staff alert, decision."""
from __future__ import annotations

import datetime as dtm

from handlers.app import build_application
from tests.chat_fixtures import NOW
from tests.fakebotapi import ADMIN, USER, Call, FakeBotAPI
from tests.telegram_fixtures import TELEGRAM_TESTS, RunningBot, exchange, fake, open_assistant, tg_settings  # noqa: F401

pytestmark = TELEGRAM_TESTS

KEY = f"tg:{USER['id']}"
SOON = NOW.date() + dtm.timedelta(days=14)        # the assistant's clock says it is NOW
TUESDAY = SOON + dtm.timedelta(days=(1 - SOON.weekday()) % 7)  # a school day inside the booking window
ANSWERS = {"school": "上海市浦东新区川沙小学", "street": "川沙", "address": "浦东新区川沙路100号",
           "contact_name": "王丽", "contact_role": "德育主任", "phone": "021-12345678", "grades": "四年级",
           "head_count": "120", "preferred_dates": TUESDAY.isoformat()}


async def fill(server: FakeBotAPI, assistant, prompt: Call, until: str) -> Call:
    """Answer the form until it asks for `until`: typed answers from ANSWERS, else the first button
    (a choice, or 跳过 for optional fields)."""
    for _ in range(30):
        step = assistant.state.get(KEY)[1]
        if step == until:
            return prompt
        if step in ANSWERS:
            [prompt] = await exchange(server, server.text(ANSWERS[step]))
        else:
            [prompt] = await exchange(server, server.callback(prompt, prompt.buttons[0][1]))
    raise AssertionError(f"form stuck at {assistant.state.get(KEY)}")


async def test_school_booking_survives_a_restart_and_reaches_staff(fake, engine, kb_settings, tmp_path):
    settings = tg_settings(fake)
    first = open_assistant(engine, kb_settings, tmp_path, clock=lambda: NOW)
    async with RunningBot(build_application(settings, first)):
        [notice] = await exchange(fake, fake.command("/book"))
        assert "个人信息" in notice.text
        [prompt] = await exchange(fake, fake.callback(notice, notice.buttons[0][1]))  # 同意
        prompt = await fill(fake, first, prompt, until="contact_name")
    # the bot stopped half-way through the form (post_shutdown closed its databases)

    second = open_assistant(engine, kb_settings, tmp_path, clock=lambda: NOW)
    assert second.state.get(KEY)[2]["address"] == ANSWERS["address"]
    async with RunningBot(build_application(settings, second)):
        review = await fill(fake, second, prompt, until="review")
        assert "川沙新镇" in review.text
        submit = next(data for _, data in review.buttons if data.endswith(":ok"))
        mark = fake.mark()
        fake.push(fake.callback(review, submit))
        submitted, alert = await fake.wait_for("sendMessage", count=2, since=mark)
        assert submitted.params["chat_id"] == USER["id"] and "PD-" in submitted.text
        assert alert.params["chat_id"] == ADMIN["id"] and "川沙小学" in alert.text
        approve = next(data for _, data in alert.buttons if ":approve:" in data)

        mark = fake.mark()
        fake.push(fake.callback(alert, approve, user=ADMIN))
        [decided] = await fake.wait_for("editMessageText", since=mark)
        [ics] = await fake.wait_for("sendDocument", since=mark)
        assert decided.params["chat_id"] == ADMIN["id"]
        assert ics.params["chat_id"] == USER["id"] and ics.params["document"]["filename"].endswith(".ics")
        told = [c for c in fake.calls_to("sendMessage", since=mark) if c.params["chat_id"] == USER["id"]]
        assert len(told) == 1

        mark = fake.mark()  # a second tap on 同意 must not tell the school twice
        [again] = await exchange(fake, fake.callback(alert, approve, user=ADMIN))
        assert again.params["chat_id"] == ADMIN["id"]
        assert not fake.calls_to("sendDocument", since=mark)
