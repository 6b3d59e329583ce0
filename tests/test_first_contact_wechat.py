"""Inside WeChat too, a name typed at the privacy notice keeps the sign-up and says what is expected, with a way
out; typing 同意 goes on."""
from __future__ import annotations

import pytest

from tests.test_wechat_flows import NUMBERED, Chat, assistant, new_session, running  # noqa: F401 - a fixture

pytestmark = pytest.mark.asyncio


async def test_a_name_typed_at_the_notice_keeps_the_sign_up_in_wechat(assistant):  # noqa: F811
    new_session(assistant)
    async with running(assistant) as bot:
        chat = Chat(bot, assistant, "first-contact")
        listing = await chat.click("cmd:lectures")
        await chat.say(next(n for n, label in NUMBERED.findall(listing) if "12月8日" in label))
        assert "个人信息" in await chat.say(chat.number_of("报名"))
        kept = await chat.say("李四")
        assert "同意并继续" in kept and "取消" in kept and "普法助手" not in kept
        assert "姓名" in await chat.say("同意")
